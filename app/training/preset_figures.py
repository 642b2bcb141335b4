"""The figures behind each preset's note, measured from epoch records (pure functions).

The preset tests assert these with margins over several seeds and BLAS kernels, and
`python -m bench.preset_margins` prints them, so a note on the page and its evidence share one
definition. Gradient norms are the per-layer norms of the gradient the optimiser received (mean over
the epoch's steps); "gap" is val_loss − train_loss; epochs count from 1.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from app.schemas.config import SessionConfig, merge_config
from app.training.presets import PRESETS

Record = dict[str, Any]
Figures = dict[str, float]

OVERFIT_EPOCHS = 2000  # "the end" of the overfitting family: a few seconds live


@dataclass(frozen=True)
class Claim:
    """A preset, how long to train it, and the figures its note speaks about."""

    preset_id: str
    epochs: int
    figures: Callable[[Sequence[Record]], Figures]


def seeded_config(preset_id: str, index: int) -> SessionConfig:
    """The preset with its data and weight seeds moved on by `index` (0 is the preset itself)."""
    config = PRESETS[preset_id].config
    return merge_config(
        config,
        {
            "dataset": {"seed": config.dataset.seed + index},
            "training": {"seed": config.training.seed + index},
        },
    )


def first_epoch(records: Sequence[Record], condition: Callable[[Record], bool]) -> float:
    """The first epoch meeting `condition`, or infinity when none does."""
    return next((float(r["epoch"]) for r in records if condition(r)), math.inf)


def gap(record: Record) -> float:
    return float(record["val_loss"] - record["train_loss"])


def mean_gap(records: Sequence[Record]) -> float:
    """The gap averaged over all epochs: how far apart the two loss curves are drawn."""
    return sum(gap(r) for r in records) / len(records)


def _grad_ratio(record: Record) -> float:
    """Last layer's gradient norm over the first layer's."""
    first, last = record["layers"][0]["grad_norm"], record["layers"][-1]["grad_norm"]
    return float(last / first) if first > 0 else math.inf


def _balance(record: Record) -> float:
    """How far apart the first and last layers' gradient norms are (≥ 1; 1 is equal)."""
    ratio = _grad_ratio(record)
    return max(ratio, 1 / ratio) if ratio > 0 else math.inf


def _losses(records: Sequence[Record], key: str) -> list[float]:
    return [float(r[key]) for r in records]


def vanishing(records: Sequence[Record]) -> Figures:
    early = records[:20]
    return {
        "min last/first grad ratio (1-20)": min(_grad_ratio(r) for r in early),
        "max |val_acc - 0.5| (1-100)": max(abs(r["val_acc"] - 0.5) for r in records),
        "val_acc at end": float(records[-1]["val_acc"]),
    }


def balanced_fix(records: Sequence[Record]) -> Figures:
    return {
        "max grad imbalance (1-20)": max(_balance(r) for r in records[:20]),
        "epoch val_acc >= 0.9": first_epoch(records, lambda r: r["val_acc"] >= 0.9),
        "val_acc at end": float(records[-1]["val_acc"]),
        "min val_acc (last 20)": min(float(r["val_acc"]) for r in records[-20:]),
    }


def exploding(records: Sequence[Record]) -> Figures:
    norms = [float(r["grad_norm_global"]) for r in records if math.isfinite(r["train_loss"])]
    diverged = not math.isfinite(records[-1]["train_loss"])
    return {
        "diverged at epoch": float(records[-1]["epoch"]) if diverged else math.inf,
        "first grad norm": norms[0] if norms else math.nan,
        "growth of grad norm (x)": max(norms) / norms[0] if norms else math.nan,
        "finite epochs before": float(len(norms)),
    }


def clipped(records: Sequence[Record]) -> Figures:
    return {
        "first raw grad norm": float(records[0]["grad_norm_global"]),
        "max applied grad norm": max(float(r["grad_norm_clipped"]) for r in records),
        "epoch val_acc >= 0.9": first_epoch(records, lambda r: r["val_acc"] >= 0.9),
        "val_acc at end": float(records[-1]["val_acc"]),
        "finite epochs": float(sum(math.isfinite(r["train_loss"]) for r in records)),
    }


def overfitting(records: Sequence[Record]) -> Figures:
    val = _losses(records, "val_loss")
    train = _losses(records, "train_loss")
    best = min(range(len(val)), key=val.__getitem__)
    windows = _windows(best, len(records), 5)
    val_means = [sum(val[i] for i in w) / len(w) for w in windows]
    train_means = [sum(train[i] for i in w) / len(w) for w in windows]
    return {
        "best val epoch": float(best + 1),
        "final / best val loss": val[-1] / val[best],
        "final train loss": train[-1],
        "final gap": gap(records[-1]),
        "val windows rising (of 4)": float(sum(b > a for a, b in itertools.pairwise(val_means))),
        "train windows falling (of 4)": float(
            sum(b < a for a, b in itertools.pairwise(train_means))
        ),
        "epoch gap > 0.2": first_epoch(records, lambda r: r["epoch"] > 50 and gap(r) > 0.2),
        "mean gap": mean_gap(records),
    }


def regularised(records: Sequence[Record]) -> Figures:
    return {
        "final gap": gap(records[-1]),
        "final val loss": float(records[-1]["val_loss"]),
        "max gap after 50": max(gap(r) for r in records[50:]),
        "max |gap| after 100": max(abs(gap(r)) for r in records[100:]),
        "mean gap": mean_gap(records),
        "final / best val loss": float(records[-1]["val_loss"]) / min(_losses(records, "val_loss")),
    }


def early_stopping(records: Sequence[Record]) -> Figures:
    val = _losses(records, "val_loss")
    stopped = bool(records[-1]["stopped"])
    return {
        "stopped at epoch": float(records[-1]["epoch"]) if stopped else math.inf,
        "best val epoch": float(min(range(len(val)), key=val.__getitem__) + 1),
        "gap when stopped": gap(records[-1]),
    }


def lr_too_low(records: Sequence[Record]) -> Figures:
    train = _losses(records, "train_loss")
    return {
        "train loss epoch 1": train[0],
        "relative change 1-100": abs(train[-1] - train[0]) / train[0],
        "val_acc change 1-100": abs(records[-1]["val_acc"] - records[0]["val_acc"]),
        "train loss at end": train[-1],
    }


def lr_too_high(records: Sequence[Record]) -> Figures:
    train = _losses(records, "train_loss")
    finite = [v for v in train if math.isfinite(v)]
    return {
        "finite epochs": float(len(finite)),
        "share of epochs the loss rose": sum(b > a for a, b in itertools.pairwise(train))
        / (len(train) - 1),
        "min train loss": min(finite),
        "max / min train loss": max(finite) / min(finite),
    }


def converges(records: Sequence[Record]) -> Figures:
    train = _losses(records, "train_loss")
    return {
        "train loss at 100": train[99],
        "train loss at end": train[-1],
        "max train loss (last 50)": max(train[-50:]),
        "val_acc at end": float(records[-1]["val_acc"]),
        "val_acc at 100": float(records[99]["val_acc"]),
        "median val_acc (100 on)": float(statistics.median(r["val_acc"] for r in records[99:])),
    }


def _windows(start: int, stop: int, count: int) -> list[range]:
    edges = [start + (stop - start) * k // count for k in range(count + 1)]
    return [range(a, b) for a, b in itertools.pairwise(edges) if b > a]


CLAIMS: tuple[Claim, ...] = (
    Claim("vanishing-gradients", 100, vanishing),
    Claim("vanishing-gradients-relu", 100, balanced_fix),
    Claim("vanishing-gradients-batchnorm", 100, balanced_fix),
    Claim("exploding-gradients", 100, exploding),
    Claim("exploding-gradients-clipped", 100, clipped),
    Claim("overfitting", OVERFIT_EPOCHS, overfitting),
    Claim("overfitting-dropout", OVERFIT_EPOCHS, regularised),
    Claim("overfitting-l2", OVERFIT_EPOCHS, regularised),
    Claim("overfitting-early-stopping", OVERFIT_EPOCHS, early_stopping),
    Claim("lr-too-low", 100, lr_too_low),
    Claim("lr-too-high", 100, lr_too_high),
    Claim("lr-adam", 300, converges),
    Claim("lr-schedule", 300, converges),
)
