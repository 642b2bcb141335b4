"""Detectors that read the loss curves: overfitting, a learning rate too high or too low, and a
plateau."""

from __future__ import annotations

import itertools
import math
from collections import deque

from app.schemas.config import SessionConfig
from app.training import diagnosis_fixes as fx
from app.training.detectors import (
    HIGH_LEVEL,
    HIGH_RISE_SHARE,
    HIGH_SPREAD,
    HIGH_WINDOW,
    LOW_SPREAD,
    LOW_UPDATE_RATIO,
    LOW_WINDOW,
    OVERFIT_GAP,
    OVERFIT_MIN_RISE,
    OVERFIT_PATIENCE,
    OVERFIT_RISE,
    OVERFIT_SMOOTHING,
    OVERFIT_TRAIN_DROP,
    OVERFIT_TRAIN_SHARE,
    PLATEAU_SPREAD,
    PLATEAU_WINDOW,
    STUCK_LEVEL,
    Detector,
    Finding,
    Latch,
    Record,
    RunBaseline,
    _mean,
    _median,
    num,
)


class Overfitting(Detector):
    """Smoothed validation loss climbing from its best while the training loss keeps falling."""

    kind = "overfitting"
    title = "Overfitting"

    def __init__(self) -> None:
        self.val = self.train = math.nan
        self.best = (math.inf, 0, math.nan)  # (smoothed val, epoch, smoothed train then)
        self.latch = Latch(raise_after=5, clear_after=20)

    def observe(self, record: Record, base: RunBaseline, config: SessionConfig) -> Finding | None:
        val, train, epoch = num(record["val_loss"]), num(record["train_loss"]), record["epoch"]
        if not (math.isfinite(val) and math.isfinite(train)):
            return None
        a = OVERFIT_SMOOTHING
        self.val = val if math.isnan(self.val) else self.val + a * (val - self.val)
        self.train = train if math.isnan(self.train) else self.train + a * (train - self.train)
        best, best_epoch, train_then = self.best
        if self.val < best:
            self.best = (self.val, epoch, self.train)
        rising = (
            epoch - best_epoch >= OVERFIT_PATIENCE
            and self.val >= best * OVERFIT_RISE
            and self.val - best >= OVERFIT_MIN_RISE
            and self.train <= train_then * OVERFIT_TRAIN_DROP
            and self.val - self.train >= OVERFIT_GAP
            and self.train <= OVERFIT_TRAIN_SHARE * self.val
        )
        if not self.latch.update(epoch, rising):
            return None
        return self.found(
            self.latch.start,
            f"Validation loss has risen from its best, {best:.3g} at epoch {best_epoch}, to "
            f"{self.val:.3g} ({self.val / best:.1f}×) while training loss fell from "
            f"{train_then:.3g} to {self.train:.3g} (both smoothed): the network is memorising "
            "the training points.",
            (fx.dropout, fx.l2, fx.early_stopping),
            best_val=best,
            best_epoch=float(best_epoch),
            val=self.val,
            train=self.train,
        )


class LossWindow(Detector):
    """Base for detectors over the last few training losses."""

    window: int

    def __init__(self) -> None:
        self.losses: deque[float] = deque(maxlen=self.window)
        self.latch = Latch(raise_after=1, clear_after=10)

    def push(self, record: Record) -> bool:
        """Add the record's loss; True when the window is full of finite values."""
        loss = num(record["train_loss"])
        if not math.isfinite(loss):
            self.losses.clear()
            return False
        self.losses.append(loss)
        return len(self.losses) == self.window

    def spread(self) -> tuple[float, float, float]:
        """(lowest, highest, (highest - lowest) / mean) of the window's losses."""
        low, high, mean = min(self.losses), max(self.losses), _mean(self.losses)
        return low, high, (high - low) / mean if mean > 0 else math.inf


class LrTooHigh(LossWindow):
    """The training loss jumps up and down and is never better than a guess."""

    kind = "lr_too_high"
    title = "Learning rate too high"
    window = HIGH_WINDOW

    def observe(self, record: Record, base: RunBaseline, config: SessionConfig) -> Finding | None:
        evidence = False
        if self.push(record):
            rises = sum(b > a for a, b in itertools.pairwise(self.losses))
            low, high, _ = self.spread()
            evidence = (
                rises >= HIGH_RISE_SHARE * (self.window - 1)
                and high >= HIGH_SPREAD * low
                and low >= HIGH_LEVEL * base.reference
            )
        if not self.latch.update(record["epoch"], evidence) or not self.losses:
            return None
        rises = sum(b > a for a, b in itertools.pairwise(self.losses))
        low, high, _ = self.spread()
        return self.found(
            self.latch.start - self.window + 1,  # the window the evidence spans
            f"Over the last {len(self.losses)} epochs the training loss rose in {rises} of them "
            f"and jumped between {low:.3g} and {high:.3g}, never below a blind guess's "
            f"{base.reference:.3g}: each step overshoots the minimum.",
            (fx.lower_lr, fx.adam) if config.training.optimizer != "adam" else (fx.lower_lr,),
            rises=float(rises),
            low=low,
            high=high,
        )


def _update_ratio(record: Record) -> float:
    ratios = [num(layer["update_ratio"]) for layer in record["layers"]]
    return _median([r for r in ratios if math.isfinite(r)] or [math.nan])


class LrTooLow(LossWindow):
    """The loss barely moves and each step changes the weights by a tiny fraction."""

    kind = "lr_too_low"
    title = "Learning rate too low"
    window = LOW_WINDOW

    def observe(self, record: Record, base: RunBaseline, config: SessionConfig) -> Finding | None:
        ratio = _update_ratio(record)
        evidence = False
        if self.push(record):
            low, _, spread = self.spread()
            evidence = (
                spread < LOW_SPREAD
                and ratio < LOW_UPDATE_RATIO
                and low >= STUCK_LEVEL * base.reference
            )
        if not self.latch.update(record["epoch"], evidence) or not self.losses:
            return None
        start, end = self.losses[0], self.losses[-1]
        return self.found(
            self.latch.start - self.window + 1,  # the window the evidence spans
            f"The training loss moved {abs(end - start) / start:.1%} in {len(self.losses)} "
            f"epochs ({start:.3g} → {end:.3g}) and each step changes the weights by about "
            f"{ratio:.1g} of their size: the steps are too small to get anywhere soon.",
            (fx.raise_lr, fx.adam) if config.training.optimizer != "adam" else (fx.raise_lr,),
            change=abs(end - start) / start,
            update_ratio=ratio,
        )


class Plateau(LossWindow):
    """The loss has stopped moving while still far from trained, though the steps are normal."""

    kind = "plateau"
    title = "Plateau"
    window = PLATEAU_WINDOW

    def observe(self, record: Record, base: RunBaseline, config: SessionConfig) -> Finding | None:
        evidence = False
        if self.push(record):
            low, _, spread = self.spread()
            evidence = spread < PLATEAU_SPREAD and low >= STUCK_LEVEL * base.reference
        if not self.latch.update(record["epoch"], evidence) or not self.losses:
            return None
        low, high, spread = self.spread()
        return self.found(
            self.latch.start - self.window + 1,  # the window the evidence spans
            f"The training loss has stayed between {low:.3g} and {high:.3g} for "
            f"{len(self.losses)} epochs, {low / base.reference:.0%} of a blind guess's loss: "
            "training is stuck on a flat stretch.",
            (fx.adam, fx.raise_lr) if config.training.optimizer != "adam" else (fx.raise_lr,),
            spread=spread,
            loss=low,
        )
