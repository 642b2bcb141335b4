"""Where an epoch's figures come from: evaluation passes, the epoch's batches, samples, cadence."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from app.engine.early_stopping import EarlyStoppingSpec
from app.engine.evaluation import EVAL_ROWS, STATS_ROWS, evenly_spaced
from app.engine.model import LayerSpec, ModelSpec, build_model
from app.engine.optimizers import OptimizerSpec
from app.engine.stats import activation_stats
from app.engine.trainer import LAYER_KEYS, StepInfo, Trainer, TrainSettings

SETTINGS = TrainSettings(
    learning_rate=0.05, batch_size=64, optimizer=OptimizerSpec("sgd", momentum=0.9)
)
PAST = -1.0  # a deadline that has always passed: one batch per call


def _blobs(n_train: int, n_val: int = 200, dim: int = 6, k: int = 4) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(11)
    centres = rng.normal(0.0, 1.5, size=(k, dim))
    y = rng.integers(0, k, size=n_train + n_val)
    x = centres[y] + rng.normal(size=(y.size, dim))
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def _spec(dropout: float = 0.0, task: str = "multiclass") -> ModelSpec:
    hidden = (LayerSpec(16, "relu", dropout=dropout), LayerSpec(8, "tanh"))
    return ModelSpec(6, 4 if task == "multiclass" else 1, hidden, task, init="he")


def _trainer(
    n_train: int, settings: TrainSettings = SETTINGS, dropout: float = 0.0, task: str = "multiclass"
) -> Trainer:
    xt, yt, xv, yv = _blobs(n_train)
    if task == "regression":
        yt, yv = xt[:, 0] - 2 * xt[:, 1], xv[:, 0] - 2 * xv[:, 1]
    model = build_model(_spec(dropout, task), np.random.default_rng([3, 0]))
    return Trainer(model, settings, xt, yt, xv, yv, np.random.default_rng([3, 1]))


def _eval_figures(t: Trainer, rows: np.ndarray | None) -> tuple[float, float, float | None]:
    """An evaluation-mode pass over the given training rows (None = all), current weights."""
    x, tt = t.data.x_train, t.data.t_train
    if rows is not None:
        x, tt = x[rows], tt[rows]
    return t.model.loss.evaluate(t.model.forward(x, False, True), tt)


def test_small_sets_are_evaluated_after_the_epoch_over_every_row() -> None:
    t = _trainer(EVAL_ROWS)
    assert not t.train_figures_from_pass and t.eval_train_rows is None
    rec = t.run_epoch()
    loss, acc, _ = _eval_figures(t, None)
    assert rec["train_loss"] == pytest.approx(loss, rel=1e-6)
    assert rec["train_acc"] == pytest.approx(acc)


def test_large_sets_take_the_mean_of_each_batch_before_its_step() -> None:
    t = _trainer(EVAL_ROWS + 300)
    assert t.train_figures_from_pass
    seen: list[StepInfo] = []
    t.add_step_hook(seen.append)
    rec = t.run_epoch()
    rows = sum(len(s.rows) for s in seen)
    assert rows == EVAL_ROWS + 300
    mean = sum(s.loss * len(s.rows) for s in seen) / rows
    assert rec["train_loss"] == pytest.approx(mean, rel=1e-5)
    # not an evaluation pass after the epoch: early on the weights move within the epoch
    after, _, _ = _eval_figures(t, None)
    assert rec["train_loss"] != pytest.approx(after, rel=1e-4)
    assert 0.0 <= rec["train_acc"] <= 1.0
    assert rec["val_loss"] is not None and math.isfinite(rec["val_loss"])


def test_large_sets_with_dropout_evaluate_a_fixed_sample() -> None:
    t = _trainer(3 * EVAL_ROWS, dropout=0.3)
    assert not t.train_figures_from_pass
    rows = t.eval_train_rows
    assert rows is not None and len(rows) == EVAL_ROWS and len(set(rows.tolist())) == EVAL_ROWS
    rec = t.run_epoch()
    loss, acc, _ = _eval_figures(t, rows)
    assert rec["train_loss"] == pytest.approx(loss, rel=1e-6)
    assert rec["train_acc"] == pytest.approx(acc)
    t.model.set_dropout([0.0, 0.0])  # live: the next epoch's figures come from its batches
    assert t.train_figures_from_pass


def test_regression_from_the_pass_gives_r2_and_mae_over_the_epoch() -> None:
    t = _trainer(EVAL_ROWS + 100, replace(SETTINGS, learning_rate=0.01), task="regression")
    seen: list[StepInfo] = []
    t.add_step_hook(seen.append)
    records = [t.run_epoch() for _ in range(3)]
    last = records[-1]
    epoch_steps = [s for s in seen if s.epoch == 3]
    mse = sum(s.loss * len(s.rows) for s in epoch_steps) / (EVAL_ROWS + 100)
    assert last["train_loss"] == pytest.approx(mse, rel=1e-5)
    y = t.data.t_train[:, 0].astype(np.float64)
    ss_tot = float(((y - y.mean()) ** 2).sum())
    assert last["train_acc"] == pytest.approx(1 - mse * (EVAL_ROWS + 100) / ss_tot, rel=1e-5)
    assert last["train_mae"] is not None and 0 < last["train_mae"] < records[0]["train_mae"]


def test_activation_statistics_on_large_sets_come_from_a_sample() -> None:
    t = _trainer(EVAL_ROWS + 300)
    rec = t.run_epoch()
    rows = evenly_spaced(EVAL_ROWS + 300, STATS_ROWS)
    assert rows is not None and len(rows) == STATS_ROWS
    t.model.forward(t.data.x_train[rows], False, True)
    layer = t.model.blocks[1].activation
    assert layer is not None
    mean, std, _, sat = activation_stats(layer.act, layer.pre_activation, layer.output)
    assert rec["layers"][1]["act_mean"] == pytest.approx(mean, rel=1e-5)
    assert rec["layers"][1]["act_std"] == pytest.approx(std, rel=1e-5)
    assert rec["layers"][1]["saturated_frac"] == sat


def test_a_split_epoch_on_a_large_set_matches_an_unsplit_one() -> None:
    whole, split = _trainer(EVAL_ROWS + 200), _trainer(EVAL_ROWS + 200)
    for _ in range(2):
        expected = whole.run_epoch()
        calls = 0
        while (rec := split.train(PAST)) is None:
            calls += 1
        assert calls > 1
        assert json.dumps(rec) == json.dumps(expected)


def test_eval_every_skips_validation_but_keeps_training_figures() -> None:
    t = _trainer(300, replace(SETTINGS, eval_every=3))
    records = [t.run_epoch() for _ in range(6)]
    for rec in records:
        assert math.isfinite(rec["train_loss"]) and math.isfinite(rec["train_acc"])
        evaluated = rec["epoch"] % 3 == 0
        assert (rec["val_loss"] is not None) == evaluated
        assert (rec["val_acc"] is not None) == evaluated
    # an evaluated small set is still scored after the epoch
    loss, _, _ = _eval_figures(t, None)
    assert records[-1]["train_loss"] == pytest.approx(loss, rel=1e-6)


def test_eval_every_and_instruments_change_from_the_next_epoch() -> None:
    t = _trainer(300)
    assert t.run_epoch()["layers"][0]["grad_norm"] is not None
    t.train(PAST)  # mid-epoch: the change waits for the next epoch
    t.update_settings(replace(SETTINGS, instruments=False, eval_every=2, histogram_every=1))
    rec = t.run_epoch()
    assert rec["epoch"] == 2 and rec["layers"][0]["grad_norm"] is not None
    assert rec["val_loss"] is not None  # epoch 2 began under eval_every = 1
    rec = t.run_epoch()
    assert all(layer[key] is None for layer in rec["layers"] for key in LAYER_KEYS)
    assert rec["histograms"] is None and rec["grad_norm_global"] is None
    assert rec["val_loss"] is None and math.isfinite(rec["train_loss"])
    assert t.run_epoch()["val_loss"] is not None


def test_plateau_schedule_and_early_stopping_count_evaluations() -> None:
    settings = replace(
        SETTINGS, learning_rate=0.0, eval_every=4, early_stopping=EarlyStoppingSpec(patience=2)
    )
    t = _trainer(300, settings)
    records = [t.run_epoch() for _ in range(12)]
    stopped = [r["epoch"] for r in records if r["stopped"]]
    # lr 0: the loss never improves after the first evaluation (epoch 4); two more: epoch 12
    assert stopped and stopped[0] == 12


def test_bad_cadence_is_refused() -> None:
    with pytest.raises(ValueError, match="eval_every"):
        TrainSettings(eval_every=0)
    with pytest.raises(ValueError, match="instruments"):
        TrainSettings(instruments=1)  # type: ignore[arg-type]
