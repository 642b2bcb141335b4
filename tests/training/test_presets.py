"""Every preset's note holds with a margin, from its own seeds and the next four.

Float32 training is chaotic: another CPU's BLAS kernel sends a run down another trajectory. So each
claim is asserted on SEEDS seed pairs (data and weights), with margins measured by
`python -m bench.preset_margins` under several kernels, and `make test` runs this file again under
forced OpenBLAS kernels (tests/conftest.py checks that the kernel asked for is the one in use).
The figures themselves are defined once, in app/training/preset_figures.py.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from app.training import preset_figures as pf
from app.training.presets import PRESET_LIST, PRESETS, preset_config
from app.training.run import Run

SEEDS = 5
Record = dict[str, Any]
Trained = Callable[[str], list[tuple[Run, list[Record]]]]
EPOCHS = {claim.preset_id: claim.epochs for claim in pf.CLAIMS}


@pytest.fixture(scope="module")
def trained() -> Trained:
    """(run, records) per seed for a preset, trained once per module for its claim's epochs."""
    cache: dict[str, list[tuple[Run, list[Record]]]] = {}

    def get(preset_id: str) -> list[tuple[Run, list[Record]]]:
        if preset_id not in cache:
            cache[preset_id] = [_train(preset_id, index) for index in range(SEEDS)]
        return cache[preset_id]

    return get


def _train(preset_id: str, index: int) -> tuple[Run, list[Record]]:
    run = Run(pf.seeded_config(preset_id, index))
    records: list[Record] = []
    with threadpool_limits(limits=1):
        while len(records) < EPOCHS[preset_id]:
            record = run.train_epoch()
            record.pop("histograms", None)
            records.append(record)
            if not math.isfinite(record["train_loss"]) or record["stopped"]:
                break
    return run, records


def figures(trained: Trained, preset_id: str) -> list[pf.Figures]:
    claim = next(c for c in pf.CLAIMS if c.preset_id == preset_id)
    return [claim.figures(records) for _, records in trained(preset_id)]


def column(rows: Sequence[pf.Figures], name: str) -> list[float]:
    return [row[name] for row in rows]


def chance(run: Run) -> float:
    """Validation accuracy of always answering the majority class."""
    return float(np.bincount(run.data.y_val).max() / len(run.data.y_val))


def losses(run: Run) -> tuple[float, float]:
    """(train, val) data loss of the run's current weights, in evaluation mode."""
    model, data = run.model, run.data
    values = []
    for x, y in ((data.x_train, data.y_train), (data.x_val, data.y_val)):
        values.append(model.loss.value(model.forward(x, False), model.loss.prepare(y)))
    return values[0], values[1]


# ---- the catalogue --------------------------------------------------------------------------


def test_every_issue_preset_exists_with_a_short_explanation() -> None:
    required = {c.preset_id for c in pf.CLAIMS}
    assert len(required) == 13
    assert required <= set(PRESETS)
    assert len(PRESETS) == len(PRESET_LIST), "ids are unique"
    for preset in PRESET_LIST:
        sentences = preset.description.count(". ") + preset.description.count(": ") + 1
        assert preset.title and 2 <= sentences <= 5 and len(preset.description) < 420, preset.id
        assert preset_config(preset.id) == preset.config
        assert preset_config(preset.id) is not preset.config, "callers get a copy"


def test_seeded_configs_move_both_seeds_and_nothing_else() -> None:
    base = PRESETS["overfitting"].config
    moved = pf.seeded_config("overfitting", 3)
    assert moved.dataset.seed == base.dataset.seed + 3
    assert moved.training.seed == base.training.seed + 3
    assert moved.model == base.model
    assert pf.seeded_config("overfitting", 0) == base


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
    for run, records in trained("vanishing-gradients"):
        assert len(records) == EPOCHS["vanishing-gradients"]
        ratio = pf.vanishing(records)["min last/first grad ratio (1-20)"]
        assert ratio >= 1e7, f"the note says about 10⁸; got {ratio:.3g}"
        off = max(abs(r["val_acc"] - chance(run)) for r in records)
        assert off <= 0.05, f"validation accuracy left chance by {off:.3f}"


def test_relu_keeps_gradients_balanced_and_the_network_learns_within_ten_epochs(
    trained: Trained,
) -> None:
    rows = figures(trained, "vanishing-gradients-relu")
    assert max(column(rows, "max grad imbalance (1-20)")) <= 30, rows
    assert max(column(rows, "epoch val_acc >= 0.9")) <= 10, rows
    assert min(column(rows, "min val_acc (last 20)")) >= 0.9, rows


def test_batch_norm_keeps_gradients_balanced_and_the_network_learns_in_about_thirty_epochs(
    trained: Trained,
) -> None:
    rows = figures(trained, "vanishing-gradients-batchnorm")
    assert max(column(rows, "max grad imbalance (1-20)")) <= 15, rows
    assert max(column(rows, "epoch val_acc >= 0.9")) <= 40, "the note says about thirty"
    for _, records in trained("vanishing-gradients-batchnorm"):
        assert float(np.median([r["val_acc"] for r in records[-20:]])) >= 0.9


# ---- exploding gradients ----------------------------------------------------------------------


def test_exploding_gradients_grow_a_hundredfold_then_diverge_within_a_few_epochs(
    trained: Trained,
) -> None:
    rows = figures(trained, "exploding-gradients")
    assert max(column(rows, "diverged at epoch")) <= 12, rows
    assert min(column(rows, "finite epochs before")) >= 2, "a visible climb first"
    assert min(column(rows, "first grad norm")) >= 10, "tens or hundreds at first"
    assert min(column(rows, "growth of grad norm (x)")) >= 30, rows


def test_clipping_bounds_the_applied_gradient_and_the_network_learns(trained: Trained) -> None:
    clip = PRESETS["exploding-gradients-clipped"].config.training.clip_norm
    assert clip == 1.0
    for _, records in trained("exploding-gradients-clipped"):
        assert len(records) == EPOCHS["exploding-gradients-clipped"]
        assert all(math.isfinite(r["train_loss"]) for r in records)
        assert records[0]["grad_norm_global"] >= 10, "the raw gradient still explodes"
        for record in records:
            assert record["grad_norm_clipped"] <= clip * (1 + 1e-6)
            assert all(layer["grad_norm"] <= clip * (1 + 1e-6) for layer in record["layers"])
    rows = figures(trained, "exploding-gradients-clipped")
    assert max(column(rows, "epoch val_acc >= 0.9")) <= 70, "the note says about 50"
    assert min(column(rows, "val_acc at end")) >= 0.9, rows


# ---- overfitting ------------------------------------------------------------------------------


def test_overfitting_validation_loss_rises_while_training_loss_keeps_falling(
    trained: Trained,
) -> None:
    rows = figures(trained, "overfitting")
    assert all(10 <= best <= 200 for best in column(rows, "best val epoch")), rows
    assert min(column(rows, "final / best val loss")) >= 2, rows
    assert min(column(rows, "val windows rising (of 4)")) >= 3, rows
    assert min(column(rows, "train windows falling (of 4)")) >= 3, rows
    assert max(column(rows, "final train loss")) <= 0.02, rows
    assert min(column(rows, "final gap")) >= 0.4, rows


def test_dropout_opens_the_gap_less_than_half_as_wide_on_average(trained: Trained) -> None:
    base = figures(trained, "overfitting")
    rows = figures(trained, "overfitting-dropout")
    for plain, dropped in zip(base, rows, strict=True):
        assert dropped["final gap"] < plain["final gap"], (plain, dropped)
        assert dropped["mean gap"] <= 0.8 * plain["mean gap"], (plain, dropped)
    assert sum(column(rows, "mean gap")) <= 0.5 * sum(column(base, "mean gap"))


def test_l2_levels_validation_loss_off_near_its_best(trained: Trained) -> None:
    base = figures(trained, "overfitting")
    rows = figures(trained, "overfitting-l2")
    assert max(column(rows, "final / best val loss")) <= 1.8, rows
    for plain, regular in zip(base, rows, strict=True):
        assert regular["final gap"] <= plain["final gap"] / 2, (plain, regular)


def test_early_stopping_stops_before_memorising_and_restores_the_best_weights(
    trained: Trained,
) -> None:
    base = figures(trained, "overfitting")
    for index, (run, records) in enumerate(trained("overfitting-early-stopping")):
        stopped_at = records[-1]["epoch"]
        assert records[-1]["stopped"] and not any(r["stopped"] for r in records[:-1])
        assert stopped_at <= 300, f"the note says within two hundred or so, not {stopped_at}"
        patience = run.config.training.early_stopping.patience
        val = [r["val_loss"] for r in records]
        best = int(np.argmin(val))
        assert best + 1 == stopped_at - patience
        assert pf.gap(records[-1]) <= base[index]["final gap"] / 2, "the gap when it stops"
        train_now, val_now = losses(run)
        assert val_now == pytest.approx(val[best], rel=1e-9), "the best epoch's weights are back"
        assert val_now - train_now <= base[index]["final gap"] / 2


# ---- learning rate ----------------------------------------------------------------------------


def untrained_loss(run: Run) -> float:
    return losses(Run(run.config))[0]


def test_learning_rate_too_low_barely_moves_the_loss_in_100_epochs(trained: Trained) -> None:
    rows = figures(trained, "lr-too-low")
    assert max(column(rows, "relative change 1-100")) <= 0.1, rows
    assert max(column(rows, "val_acc change 1-100")) <= 0.1, rows
    assert min(column(rows, "train loss at end")) > 0.6, rows


def test_learning_rate_too_high_oscillates_above_the_untrained_loss(trained: Trained) -> None:
    for (run, _), row in zip(trained("lr-too-high"), figures(trained, "lr-too-high"), strict=True):
        assert row["finite epochs"] == EPOCHS["lr-too-high"], "it oscillates, not diverges"
        assert row["share of epochs the loss rose"] >= 0.3, row
        assert row["min train loss"] > untrained_loss(run), "never better than untrained"
        assert row["max / min train loss"] >= 3, row
        assert row["min train loss"] >= 0.5 and row["max / min train loss"] <= 30, "1 to 10"


@pytest.mark.parametrize("preset_id", ["lr-adam", "lr-schedule"])
def test_adam_or_a_schedule_makes_the_same_network_converge(
    trained: Trained, preset_id: str
) -> None:
    slow = figures(trained, "lr-too-low")
    rows = figures(trained, preset_id)
    for fast, crawl in zip(rows, slow, strict=True):
        assert fast["train loss at 100"] <= crawl["train loss at end"] / 2, (fast, crawl)
    assert max(column(rows, "train loss at 100")) <= 0.3, rows
    assert min(column(rows, "median val_acc (100 on)")) >= 0.9, rows
    assert min(column(rows, "val_acc at end")) >= 0.85, rows


def test_adam_reaches_a_training_loss_of_about_a_tenth_in_100_epochs(trained: Trained) -> None:
    rows = figures(trained, "lr-adam")
    assert max(column(rows, "train loss at 100")) <= 0.2, rows


def test_the_schedule_settles_instead_of_bouncing(trained: Trained) -> None:
    rows = figures(trained, "lr-schedule")
    assert max(column(rows, "train loss at end")) <= 0.05, rows
    assert max(column(rows, "max train loss (last 50)")) <= 0.06, rows
    assert min(column(rows, "val_acc at end")) >= 0.9, rows


def test_the_schedule_warms_up_then_anneals(trained: Trained) -> None:
    peak = PRESETS["lr-schedule"].config.training.learning_rate
    for _, records in trained("lr-schedule"):
        lrs = [r["lr"] for r in records]
        assert lrs[0] == pytest.approx(peak / 6) and lrs[5] == pytest.approx(peak)
        assert all(b <= a for a, b in itertools.pairwise(lrs[5:]))
        assert lrs[-1] == pytest.approx(0.001, abs=1e-4)
