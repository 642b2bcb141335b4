"""One detector per kind of trouble: each watches epoch records and says when its evidence holds.

A detector keeps O(1) state (a latch, fixed windows, running minima) and returns a `Finding`
while its condition is met, `None` otherwise. Thresholds sit between what the failure presets
show and what their fixes and the default spiral show, on five seeds and three BLAS kernels
(tests/training/test_diagnoses.py); the margins are printed by `python -m bench.diagnosis_margins`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from app.schemas.config import SessionConfig
from app.training import diagnosis_fixes as fx

Record = dict[str, Any]
FixBuilder = Callable[[SessionConfig], fx.Fix]

VANISHING_RATIO = 1e-4  # first layer's gradient norm / last layer's, below which it starves
EXPLODING_GROWTH = 10.0  # global gradient norm over its minimum of the last few epochs
EXPLODING_MIN_NORM = 1.0
EXPLODING_WINDOW = 5
EXPLODING_LOSS = 10.0  # ... while the training loss is this many times the guessing loss
EXPLODING_LOSS_GROWTH = 2.0  # ... and has at least doubled since that minimum
UNIT_FRACTION = 0.9  # share of a layer's units dead or saturated
UNIT_EPOCHS = 10
OVERFIT_RISE = 1.3  # smoothed validation loss over its best
OVERFIT_MIN_RISE = 0.05  # ... and at least this much above it, in loss units
OVERFIT_GAP = 0.3  # smoothed validation minus training loss
OVERFIT_TRAIN_SHARE = 0.1  # smoothed training loss at most this share of the validation loss
OVERFIT_TRAIN_DROP = 0.8  # smoothed training loss now under this share of its value at the best
OVERFIT_SMOOTHING = 0.05  # EMA weight of a new epoch (a time constant of 20 epochs)
OVERFIT_PATIENCE = 20  # epochs since the best before a rise counts
HIGH_WINDOW = 20
HIGH_RISE_SHARE = 0.3
HIGH_SPREAD = 2.0  # max / min training loss within the window
HIGH_LEVEL = 1.0  # the window's lowest loss over the guessing loss: never better than a guess
LOW_WINDOW = 30
LOW_SPREAD = 0.03  # (max - min) / mean of the training loss over the window
LOW_UPDATE_RATIO = 1e-4  # median over layers of |ΔW| / |W| per step
PLATEAU_WINDOW = 100
PLATEAU_SPREAD = 0.02
STUCK_LEVEL = 0.5  # only a loss still at least this share of the guessing loss is "stuck"


def chance_loss(task: str, y: Any) -> float:
    """The loss of always predicting the training targets' prior (mean for regression)."""
    values = np.asarray(y, dtype=np.float64).ravel()
    if task == "regression":
        return float(np.var(values))
    _, counts = np.unique(values, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def num(value: Any) -> float:
    """A record value as a float; None (a non-finite value sent as null) becomes NaN."""
    return math.nan if value is None else float(value)


@dataclass
class RunBaseline:
    """The loss of a guess (the targets' prior), else the first finite training loss."""

    reference: float = math.nan

    def observe(self, record: Record) -> None:
        """Take the first finite training loss when no guessing loss was given."""
        loss = num(record["train_loss"])
        if math.isnan(self.reference) and math.isfinite(loss):
            self.reference = loss


@dataclass(frozen=True)
class Finding:
    """A detector's verdict while its condition holds."""

    kind: str
    title: str
    since: int
    message: str
    fixes: tuple[FixBuilder, ...]
    evidence: dict[str, float] = field(default_factory=dict)


@dataclass
class Latch:
    """On after `raise_after` epochs in a row of evidence, off after `clear_after` without."""

    raise_after: int
    clear_after: int
    on: bool = False
    streak: int = 0
    start: int = 0

    def update(self, epoch: int, evidence: bool) -> bool:
        """Feed one epoch; returns whether the latch is on."""
        if evidence != self.on:
            if self.streak == 0 and evidence:
                self.start = epoch
            self.streak += 1
            if self.streak >= (self.raise_after if evidence else self.clear_after):
                self.on, self.streak = evidence, 0
        else:
            self.streak = 0
        return self.on


def _mean(values: Any) -> float:
    items = list(values)
    return sum(items) / len(items)


def _hidden(record: Record) -> list[Record]:
    return list(record["layers"][:-1])


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


class Detector:
    """Base: a kind, a title, and `observe` (one record -> Finding while the condition holds)."""

    kind: ClassVar[str]
    title: ClassVar[str]

    def observe(self, record: Record, base: RunBaseline, config: SessionConfig) -> Finding | None:
        raise NotImplementedError

    def found(
        self, since: int, message: str, fixes: tuple[FixBuilder, ...], **evidence: float
    ) -> Finding:
        return Finding(self.kind, self.title, since, message, fixes, evidence)
