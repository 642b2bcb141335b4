"""Every preset shows its effect in the numbers, from its own fixed seed (issue 3's requirements).

Each preset is trained once per module (`trained`), for the longest horizon any test needs; the
tests then read slices of the same records. Gradient norms are the engine's per-layer norms of the
gradient the optimiser received (mean over the epoch's steps); "gap" is val_loss - train_loss.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from app.training.presets import PRESET_LIST, PRESETS, preset_config
from app.training.run import Run

Record = dict[str, Any]
Trained = Callable[[str, int], tuple[Run, list[Record]]]

OVERFIT_EPOCHS = 3000  # "the end" of the overfitting family: a few seconds live


@pytest.fixture(scope="module")
def trained() -> Trained:
    """Train a preset for `epochs` (fewer if it diverges or stops early), once per module.

    Returns the Run in its latest state (it may have trained further for another test) and the
    records of the first `epochs` epochs.
    """
    cache: dict[str, tuple[Run, list[Record]]] = {}

    def get(preset_id: str, epochs: int) -> tuple[Run, list[Record]]:
        if preset_id not in cache:
            cache[preset_id] = (Run(preset_config(preset_id)), [])
        run, records = cache[preset_id]
        with threadpool_limits(limits=1):
            while len(records) < epochs and _alive(records):
                record = run.train_epoch()
                record.pop("histograms", None)
                records.append(record)
        return run, records[:epochs]

    return get


def _alive(records: list[Record]) -> bool:
    return not records or (math.isfinite(records[-1]["train_loss"]) and not records[-1]["stopped"])


def grad_norms(record: Record) -> tuple[float, float]:
    """(first layer's, last layer's) gradient norm."""
    return record["layers"][0]["grad_norm"], record["layers"][-1]["grad_norm"]


def gap(record: Record) -> float:
    return float(record["val_loss"] - record["train_loss"])


def first_epoch(records: list[Record], condition: Callable[[Record], bool]) -> int | None:
    return next((r["epoch"] for r in records if condition(r)), None)


def losses(run: Run) -> tuple[float, float]:
    """(train, val) data loss of the run's current weights, in evaluation mode."""
    model, data = run.model, run.data
    values = []
    for x, y in ((data.x_train, data.y_train), (data.x_val, data.y_val)):
        values.append(model.loss.value(model.forward(x, False), model.loss.prepare(y)))
    return values[0], values[1]


def chance(run: Run) -> float:
    """Validation accuracy of always answering the majority class."""
    return float(np.bincount(run.data.y_val).max() / len(run.data.y_val))


# ---- the catalogue --------------------------------------------------------------------------


def test_every_issue_preset_exists_with_a_short_explanation() -> None:
    required = {
        "vanishing-gradients",
        "vanishing-gradients-relu",
        "vanishing-gradients-batchnorm",
        "exploding-gradients",
        "exploding-gradients-clipped",
        "overfitting",
        "overfitting-dropout",
        "overfitting-l2",
        "overfitting-early-stopping",
        "lr-too-high",
        "lr-too-low",
        "lr-adam",
        "lr-schedule",
    }
    assert required <= set(PRESETS)
    assert len(PRESETS) == len(PRESET_LIST), "ids are unique"
    for preset in PRESET_LIST:
        sentences = preset.description.count(". ") + preset.description.count(": ") + 1
        assert preset.title and 2 <= sentences <= 5 and len(preset.description) < 420, preset.id
        assert preset_config(preset.id) == preset.config
        assert preset_config(preset.id) is not preset.config, "callers get a copy"


@pytest.mark.parametrize(
    ("base", "variant", "changed"),
    [
        ("vanishing-gradients", "vanishing-gradients-relu", {"model"}),
        ("vanishing-gradients", "vanishing-gradients-batchnorm", {"model"}),
        ("exploding-gradients", "exploding-gradients-clipped", {"training"}),
        ("overfitting", "overfitting-dropout", {"model"}),
        ("overfitting", "overfitting-l2", {"training"}),
        ("overfitting", "overfitting-early-stopping", {"training"}),
        ("lr-too-low", "lr-too-high", {"training"}),
        ("lr-too-low", "lr-adam", {"training"}),
        ("lr-too-low", "lr-schedule", {"training"}),
    ],
)
def test_a_fix_changes_only_what_it_is_about(base: str, variant: str, changed: set[str]) -> None:
    a, b = PRESETS[base].config, PRESETS[variant].config
    differs = {
        section
        for section in ("dataset", "model", "training")
        if getattr(a, section) != getattr(b, section)
    }
    assert differs == changed
    assert a.training.seed == b.training.seed and a.dataset.seed == b.dataset.seed
    assert len(a.model.layers) == len(b.model.layers), "the same depth"


# ---- vanishing gradients ----------------------------------------------------------------------


def test_vanishing_gradients_first_layer_starves_and_accuracy_stays_at_chance(
    trained: Trained,
) -> None:
    config = PRESETS["vanishing-gradients"].config
    assert len(config.model.layers) >= 8
    assert {layer.activation for layer in config.model.layers} == {"sigmoid"}
    assert config.model.init == "normal" and config.model.init_scale <= 0.1
    run, records = trained("vanishing-gradients", 20)
    assert len(records) == 20
    for record in records:
        first, last = grad_norms(record)
        assert 0 < first * 100 <= last, f"epoch {record['epoch']}: {first:.3g} vs {last:.3g}"
        assert first * 1e7 <= last, "the description says about 10⁸"
        assert abs(record["val_acc"] - chance(run)) <= 0.05, f"epoch {record['epoch']}"


@pytest.mark.parametrize(
    ("preset_id", "within"),
    [("vanishing-gradients-relu", 15), ("vanishing-gradients-batchnorm", 30)],
)
def test_relu_or_batch_norm_keeps_gradients_balanced_and_the_network_learns(
    trained: Trained, preset_id: str, within: int
) -> None:
    _, records = trained(preset_id, 100)
    for record in records[:20]:
        first, last = grad_norms(record)
        assert last / 10 <= first <= last * 10, (
            f"epoch {record['epoch']}: {first:.3g} vs {last:.3g}"
        )
    reached = first_epoch(records, lambda r: r["val_acc"] >= 0.9)
    assert reached is not None and reached <= within, f"90 % validation accuracy at epoch {reached}"
    assert records[-1]["val_acc"] >= 0.9 and records[-1]["train_acc"] >= 0.9


# ---- exploding gradients ----------------------------------------------------------------------


def test_exploding_gradients_grow_by_orders_of_magnitude_then_diverge(trained: Trained) -> None:
    _, records = trained("exploding-gradients", 100)
    assert not math.isfinite(records[-1]["train_loss"]), "the run diverges"
    assert len(records) <= 20, f"within a few epochs, not {len(records)}"
    norms = [r["grad_norm_global"] for r in records[:-1]]
    assert all(math.isfinite(n) for n in norms) and len(norms) >= 3, "a visible climb first"
    assert norms[0] > 100
    assert max(norms) >= 100 * norms[0], f"grew only {max(norms) / norms[0]:.3g}×"


def test_clipping_bounds_the_applied_gradient_and_the_network_learns(trained: Trained) -> None:
    clip = PRESETS["exploding-gradients-clipped"].config.training.clip_norm
    assert clip == 1.0
    _, records = trained("exploding-gradients-clipped", 100)
    assert len(records) == 100 and all(math.isfinite(r["train_loss"]) for r in records)
    assert records[0]["grad_norm_global"] > 100, "the raw gradient still explodes"
    for record in records:
        assert record["grad_norm_clipped"] <= clip * (1 + 1e-6)
        assert all(layer["grad_norm"] <= clip * (1 + 1e-6) for layer in record["layers"])
    reached = first_epoch(records, lambda r: r["val_acc"] >= 0.9)
    assert reached is not None and reached <= 50, f"90 % validation accuracy at epoch {reached}"
    assert records[-1]["val_acc"] >= 0.9


# ---- overfitting ------------------------------------------------------------------------------


def test_overfitting_validation_loss_rises_while_training_loss_keeps_falling(
    trained: Trained,
) -> None:
    _, records = trained("overfitting", OVERFIT_EPOCHS)
    train = np.array([r["train_loss"] for r in records])
    val = np.array([r["val_loss"] for r in records])
    best = int(np.argmin(val))
    assert 100 <= best + 1 <= 300, f"validation loss bottoms out at epoch {best + 1}"
    # After the best epoch: validation loss climbs, training loss keeps falling, window by window.
    windows = np.array_split(np.arange(best, len(records)), 5)
    val_means = [val[w].mean() for w in windows]
    train_means = [train[w].mean() for w in windows]
    assert all(b > a for a, b in itertools.pairwise(val_means)), val_means
    assert all(b < a for a, b in itertools.pairwise(train_means)), train_means
    assert val[-1] >= 2 * val[best] and train[-1] <= 0.01
    assert gap(records[-1]) > 1.0


@pytest.mark.parametrize("preset_id", ["overfitting-dropout", "overfitting-l2"])
def test_regularisation_halves_the_final_gap(trained: Trained, preset_id: str) -> None:
    _, base = trained("overfitting", OVERFIT_EPOCHS)
    _, records = trained(preset_id, OVERFIT_EPOCHS)
    assert len(records) == OVERFIT_EPOCHS
    assert gap(records[-1]) <= gap(base[-1]) / 2
    assert records[-1]["val_loss"] <= base[-1]["val_loss"] / 2


def test_dropout_keeps_the_losses_close_for_thousands_of_epochs(trained: Trained) -> None:
    _, base = trained("overfitting", OVERFIT_EPOCHS)
    _, records = trained("overfitting-dropout", OVERFIT_EPOCHS)
    parted = first_epoch(base, lambda r: r["epoch"] > 50 and gap(r) > 0.2)
    assert parted is not None and parted <= 300, f"without dropout they part at epoch {parted}"
    assert all(gap(r) <= 0.15 for r in records[50:]), max(gap(r) for r in records[50:])


def test_l2_levels_validation_loss_off_next_to_training_loss(trained: Trained) -> None:
    _, records = trained("overfitting-l2", OVERFIT_EPOCHS)
    assert all(abs(gap(r)) <= 0.1 for r in records[100:])


def test_early_stopping_stops_before_memorising_and_restores_the_best_weights(
    trained: Trained,
) -> None:
    _, base = trained("overfitting", OVERFIT_EPOCHS)
    run, records = trained("overfitting-early-stopping", OVERFIT_EPOCHS)
    stopped_at = records[-1]["epoch"]
    assert records[-1]["stopped"] and not any(r["stopped"] for r in records[:-1])
    assert 250 <= stopped_at <= 310, f"stopped at epoch {stopped_at}"
    patience = run.config.training.early_stopping.patience
    val = [r["val_loss"] for r in records]
    best = int(np.argmin(val))
    assert best + 1 == stopped_at - patience
    assert gap(records[-1]) <= gap(base[-1]) / 2, "the gap when it stops"
    train_now, val_now = losses(run)
    assert val_now == pytest.approx(val[best], rel=1e-9), "the best epoch's weights are back"
    assert val_now - train_now <= gap(base[-1]) / 2, "the gap of the weights it ends with"


# ---- learning rate ----------------------------------------------------------------------------


def untrained_loss(preset_id: str) -> float:
    return losses(Run(preset_config(preset_id)))[0]


def test_learning_rate_too_low_barely_moves_the_loss_in_100_epochs(trained: Trained) -> None:
    _, records = trained("lr-too-low", 100)
    start = untrained_loss("lr-too-low")
    assert abs(records[-1]["train_loss"] - start) <= 0.1 * start
    assert abs(records[-1]["val_acc"] - records[0]["val_acc"]) <= 0.1
    assert records[-1]["train_loss"] > 0.6


def test_learning_rate_too_high_oscillates(trained: Trained) -> None:
    _, records = trained("lr-too-high", 100)
    train = [r["train_loss"] for r in records]
    assert all(math.isfinite(v) for v in train), "it oscillates rather than diverging"
    rises = sum(b > a for a, b in itertools.pairwise(train))
    assert rises >= 0.3 * (len(train) - 1), f"the loss rose in only {rises} of 99 epochs"
    assert min(train) > untrained_loss("lr-too-high"), "never better than the untrained network"
    assert max(train) > 5 * min(train)


@pytest.mark.parametrize("preset_id", ["lr-adam", "lr-schedule"])
def test_adam_or_a_schedule_makes_the_same_network_converge(
    trained: Trained, preset_id: str
) -> None:
    _, records = trained(preset_id, 300)
    _, slow = trained("lr-too-low", 100)
    assert records[99]["train_loss"] <= 0.25 < slow[99]["train_loss"]
    assert records[-1]["train_loss"] <= 0.02
    assert records[-1]["val_acc"] >= 0.9
    settled = [r["train_loss"] for r in records[-50:]]
    assert max(settled) <= 0.05, "converged, not passing through"


def test_adam_reaches_a_training_loss_near_a_tenth_in_100_epochs(trained: Trained) -> None:
    _, records = trained("lr-adam", 100)
    assert records[-1]["train_loss"] <= 0.15


def test_the_schedule_warms_up_then_anneals(trained: Trained) -> None:
    _, records = trained("lr-schedule", 300)
    lrs = [r["lr"] for r in records]
    assert lrs[0] == pytest.approx(0.1 / 6) and lrs[5] == pytest.approx(0.1)
    assert all(b <= a for a, b in itertools.pairwise(lrs[5:]))
    assert lrs[-1] == pytest.approx(0.001, abs=1e-4)
