"""Trainer: epochs split across `train(deadline)` calls, mid-epoch changes, and step hooks."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import numpy as np
import pytest

from app.data.generators import generate
from app.engine.model import LayerSpec, ModelSpec, build_model
from app.engine.optimizers import OptimizerSpec
from app.engine.trainer import StepInfo, Trainer, TrainSettings

SPEC = ModelSpec(
    2,
    1,
    (LayerSpec(8, "relu", batch_norm=True, dropout=0.2), LayerSpec(6, "tanh", dropout=0.1)),
    "binary",
)
SETTINGS = TrainSettings(
    batch_size=16, histogram_every=2, optimizer=OptimizerSpec("adam"), clip_norm=1.0, l2=1e-3
)
PAST = -1.0  # a deadline that has always passed: exactly one batch per call


def _data(n_train: int = 150, n_val: int = 50) -> tuple[np.ndarray, ...]:
    x, y = generate("spiral", n_train + n_val, 0.1, 3)
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def _trainer(settings: TrainSettings = SETTINGS, spec: ModelSpec = SPEC) -> Trainer:
    model = build_model(spec, np.random.default_rng([5, 0]))
    return Trainer(model, settings, *_data(), np.random.default_rng([5, 1]))


def _split_epoch(t: Trainer) -> tuple[dict[str, object], int]:
    """One epoch, one batch per call, with a prediction between calls (as a snapshot does)."""
    calls = 1
    while (record := t.train(PAST)) is None:
        assert t.in_epoch
        t.model.predict(np.zeros((5, 2)))
        calls += 1
    return record, calls


def test_a_split_epoch_is_bit_identical_to_an_unsplit_one() -> None:
    whole, split = _trainer(), _trainer()
    for _ in range(4):
        expected = whole.run_epoch()
        record, calls = _split_epoch(split)
        assert calls == 10, "150 rows in batches of 16: one call per batch"
        assert json.dumps(record) == json.dumps(expected)
    assert whole.model.theta.tobytes() == split.model.theta.tobytes()
    assert whole.model.state.tobytes() == split.model.state.tobytes()


def test_train_without_a_deadline_finishes_the_epoch_in_progress() -> None:
    whole, split = _trainer(), _trainer()
    assert split.train(PAST) is None and split.train(PAST) is None
    record = split.train()
    assert record is not None and record["epoch"] == 1 and not split.in_epoch
    assert json.dumps(record) == json.dumps(whole.run_epoch())


def test_a_generous_deadline_runs_whole_epochs() -> None:
    t = _trainer()
    record = t.train(time.perf_counter() + 60.0)
    assert record is not None and record["epoch"] == 1


def test_a_learning_rate_change_mid_epoch_applies_from_the_next_batch() -> None:
    t = _trainer(replace(SETTINGS, optimizer=OptimizerSpec("sgd")))
    used: list[float] = []
    t.add_step_hook(lambda info: used.append(info.lr))
    for _ in range(3):
        assert t.train(PAST) is None
    t.update_settings(replace(t.settings, learning_rate=0.5))
    record = t.run_epoch()
    assert used == [SETTINGS.learning_rate] * 3 + [0.5] * 7
    assert record["lr"] == 0.5, "the record names the learning rate of the last step"


def test_a_batch_size_change_mid_epoch_applies_from_the_next_epoch() -> None:
    t = _trainer()
    rows: list[int] = []
    t.add_step_hook(lambda info: rows.append(len(info.rows)))
    t.train(PAST)
    t.update_settings(replace(t.settings, batch_size=50))
    t.run_epoch()
    assert rows == [16] * 9 + [6], "the epoch in progress keeps its batches"
    rows.clear()
    t.run_epoch()
    assert rows == [50, 50, 50]


def test_an_optimiser_switch_mid_epoch_keeps_the_update_ratio_measured() -> None:
    t = _trainer()
    t.run_epoch()  # Adam now has an update buffer the meter reads
    t.train(PAST)
    t.update_settings(replace(t.settings, optimizer=OptimizerSpec("sgd", momentum=0.9)))
    record = t.run_epoch()
    ratios = [layer["update_ratio"] for layer in record["layers"]]  # type: ignore[index]
    assert all(np.isfinite(r) and r > 0 for r in ratios)


def test_new_data_abandons_the_epoch_in_progress() -> None:
    t = _trainer()
    t.train(PAST)
    t.train(PAST)
    theta = t.model.theta.copy()
    x, y, xv, yv = _data(100, 20)
    t.set_data(x, y, xv, yv)
    assert not t.in_epoch
    assert (t.model.theta == theta).all(), "the steps already taken stay in the weights"
    record = t.run_epoch()
    assert record["epoch"] == 1


def test_step_hooks_see_every_step_with_its_gradient_then_can_be_removed() -> None:
    t = _trainer(TrainSettings(batch_size=32, optimizer=OptimizerSpec("sgd"), learning_rate=0.1))
    seen: list[StepInfo] = []
    thetas: list[np.ndarray] = [t.model.theta.copy()]

    def hook(info: StepInfo) -> None:
        seen.append(info)
        # plain SGD: theta_before = theta_after + lr * grad of this very step
        np.testing.assert_allclose(thetas[-1], t.model.theta + info.lr * t.model.grad, atol=1e-6)
        thetas.append(t.model.theta.copy())

    remove = t.add_step_hook(hook)
    t.run_epoch()
    assert [(i.epoch, i.batch) for i in seen] == [(1, k) for k in range(5)]
    rows = np.concatenate([i.rows for i in seen])
    assert sorted(rows.tolist()) == list(range(150)), "the batches cover a permutation"
    assert all(np.isfinite(i.loss) and i.loss > 0 for i in seen)
    with pytest.raises(ValueError):
        seen[0].rows[0] = 1
    remove()
    t.run_epoch()
    assert len(seen) == 5


def test_a_hook_does_not_change_the_results() -> None:
    plain, hooked = _trainer(), _trainer()
    hooked.add_step_hook(lambda info: None)
    for _ in range(3):
        assert json.dumps(plain.run_epoch()) == json.dumps(hooked.run_epoch())
