"""Detectors that read the per-layer instruments: vanishing and exploding gradients, divergence,
dead ReLU units and saturated sigmoid/tanh units."""

from __future__ import annotations

import math
from collections import deque

from app.schemas.config import SessionConfig
from app.training import diagnosis_fixes as fx
from app.training.detectors import (
    EXPLODING_GROWTH,
    EXPLODING_LOSS,
    EXPLODING_LOSS_GROWTH,
    EXPLODING_MIN_NORM,
    EXPLODING_WINDOW,
    UNIT_EPOCHS,
    UNIT_FRACTION,
    VANISHING_RATIO,
    Detector,
    Finding,
    FixBuilder,
    Latch,
    Record,
    RunBaseline,
    _hidden,
    num,
)


class Vanishing(Detector):
    """The first layer's gradient is orders of magnitude smaller than the last layer's."""

    kind = "vanishing_gradients"
    title = "Vanishing gradients"

    def __init__(self) -> None:
        self.latch = Latch(raise_after=3, clear_after=5)

    def observe(self, record: Record, base: RunBaseline, config: SessionConfig) -> Finding | None:
        layers = record["layers"]
        first, last = num(layers[0]["grad_norm"]), num(layers[-1]["grad_norm"])
        ratio = first / last if last > 0 and math.isfinite(first) else math.nan
        starving = len(layers) >= 3 and ratio < VANISHING_RATIO
        if not self.latch.update(record["epoch"], starving) or not 0 <= ratio < math.inf:
            return None
        # A ratio of exactly 0 is common: a layer whose units all died passes back nothing.
        gap = (
            f"The first layer gets no gradient at all, while the last layer's norm is {last:.2g}"
            if ratio == 0
            else f"The first layer's gradient norm ({first:.2g}) is {1 / ratio:.2g} times "
            f"smaller than the last layer's ({last:.2g})"
        )
        return self.found(
            self.latch.start,
            f"{gap}: the early layers barely learn, so the network cannot get past what the "
            "last layer alone can do.",
            (fx.relu_he, fx.batch_norm),
            first_grad_norm=first,
            last_grad_norm=last,
            ratio=ratio,
        )


class Exploding(Detector):
    """The global gradient norm multiplies within a few epochs."""

    kind = "exploding_gradients"
    title = "Exploding gradients"

    def __init__(self) -> None:
        self.norms: deque[tuple[int, float, float]] = deque(maxlen=EXPLODING_WINDOW)
        self.latch = Latch(raise_after=1, clear_after=EXPLODING_WINDOW)
        self.evidence: tuple[int, float, float] | None = None

    def observe(self, record: Record, base: RunBaseline, config: SessionConfig) -> Finding | None:
        norm, loss = num(record["grad_norm_global"]), num(record["train_loss"])
        growing = False
        if math.isfinite(norm) and math.isfinite(loss):
            if self.norms:
                low_epoch, low, loss_then = min(self.norms, key=lambda item: item[1])
                growing = (
                    norm >= EXPLODING_MIN_NORM
                    and low > 0
                    and norm / low >= EXPLODING_GROWTH
                    and norm > self.norms[-1][1]
                    and loss >= EXPLODING_LOSS * base.reference
                    and loss >= EXPLODING_LOSS_GROWTH * loss_then
                )
                if growing and not self.latch.on:
                    self.evidence = (low_epoch, low, norm)
            self.norms.append((record["epoch"], norm, loss))
        else:
            growing = self.latch.on  # the overflow itself keeps it shown
        if not self.latch.update(record["epoch"], growing) or self.evidence is None:
            return None
        low_epoch, low, high = self.evidence
        span = self.latch.start - low_epoch
        return self.found(
            self.latch.start,
            f"The global gradient norm grew {high / low:.0f}× in {span} epoch"
            f"{'s' if span != 1 else ''}, from {low:.3g} at epoch {low_epoch} to {high:.3g}: "
            "each layer amplifies the gradient, and the steps grow with it.",
            (fx.clip, fx.lower_lr),
            growth=high / low,
            from_norm=low,
            to_norm=high,
        )


class Divergence(Detector):
    """The training loss became infinite or NaN; names the first layer that went non-finite."""

    kind = "divergence"
    title = "Diverged"

    def __init__(self) -> None:
        self.first_bad: tuple[int, str] | None = None
        self.finding: Finding | None = None

    def observe(self, record: Record, base: RunBaseline, config: SessionConfig) -> Finding | None:
        epoch = record["epoch"]
        if self.first_bad is None:
            for layer in record["layers"]:
                if layer["grad_norm"] is None and layer["weight_norm"] is None:
                    continue  # instruments off: not measured, not non-finite
                values = (num(layer["grad_norm"]), num(layer["weight_norm"]))
                if not all(math.isfinite(v) for v in values):
                    self.first_bad = (epoch, layer["name"])
                    break
        loss = num(record["train_loss"])
        if self.finding is None and not math.isfinite(loss):
            where = (
                f"{self.first_bad[1]} was the first layer to go non-finite, at epoch "
                f"{self.first_bad[0]}"
                if self.first_bad
                else "every layer's statistics were still finite, the loss overflowed first"
            )
            self.finding = self.found(
                epoch,
                f"The training loss became {'NaN' if math.isnan(loss) else 'infinite'} at epoch "
                f"{epoch}; {where}. Apply a fix, then press play: the run restarts with fresh "
                "weights.",
                (fx.clip, fx.lower_lr),
                epoch=float(epoch),
            )
        return self.finding


class _UnitFraction(Detector):
    """A share of some hidden layer's units stuck (dead or saturated) for several epochs."""

    key: str
    what: str

    def __init__(self) -> None:
        self.latch = Latch(raise_after=UNIT_EPOCHS, clear_after=UNIT_EPOCHS)
        self.worst: tuple[str, float] = ("", 0.0)

    def observe(self, record: Record, base: RunBaseline, config: SessionConfig) -> Finding | None:
        fracs = [(layer["name"], num(layer[self.key])) for layer in _hidden(record)]
        fracs = [(name, f) for name, f in fracs if math.isfinite(f)]
        worst = max(fracs, key=lambda item: item[1], default=("", 0.0))
        stuck = worst[1] >= UNIT_FRACTION
        if stuck and not self.latch.on:
            self.worst = worst
        if not self.latch.update(record["epoch"], stuck):
            return None
        count = sum(f >= UNIT_FRACTION for _, f in fracs)
        name, share = self.worst
        return self.found(
            self.latch.start,
            f"{share:.0%} of {name}'s units {self.what} ({count} layer"
            f"{'s' if count != 1 else ''} with half or more): they pass back no gradient.",
            self.fixes(),
            fraction=share,
            layers=float(count),
        )

    def fixes(self) -> tuple[FixBuilder, ...]:
        raise NotImplementedError


class DeadRelu(_UnitFraction):
    """ReLU units that output zero for every training input."""

    kind = "dead_relu"
    title = "Dead ReLU units"
    key = "dead_frac"
    what = "output zero for every training input"

    def fixes(self) -> tuple[FixBuilder, ...]:
        return (fx.leaky_relu, fx.lower_lr)


class Saturated(_UnitFraction):
    """Sigmoid or tanh units pinned at their flat ends."""

    kind = "saturated_units"
    title = "Saturated units"
    key = "saturated_frac"
    what = "sit on the flat ends of their sigmoid/tanh, where the slope is near zero,"

    def fixes(self) -> tuple[FixBuilder, ...]:
        return (fx.batch_norm, fx.relu_he)
