"""Learning-rate schedules: the rate for each epoch from the live base rate.

Every kind first applies a linear warmup: for epoch e < W (W = warmup_epochs) the rate is
base·(e+1)/(W+1), so it climbs in equal steps and reaches base at epoch W. After the warmup the
schedule runs on the shifted index k = e - W:

- constant:    base
- step:        max(base·gamma^(k // step_size), floor)
- exponential: max(base·gamma^k, floor)
- cosine:      floor + (base - floor)·(1 + cos(π·min(k, period)/period))/2; stays at floor after
               ``period`` epochs (no restarts)
- plateau:     max(base·scale, floor); ``observe`` multiplies scale by ``factor`` once ``patience``
               consecutive epochs have not improved the best validation loss by more than
               ``threshold`` (relative), then starts counting again. NaN never improves.

floor = min(min_lr, base): min_lr bounds the decaying kinds from below, never above the base.
``base_lr`` is passed on every call so a live change of the learning rate takes effect at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SCHEDULES: tuple[str, ...] = ("constant", "step", "exponential", "cosine", "plateau")


def _check_int(name: str, value: object, lo: int) -> None:
    """Raise ValueError unless ``value`` is an int >= lo."""
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise ValueError(f"expected {name} to be an integer >= {lo}, received {value!r}")


def _check_float(
    name: str, value: object, lo: float, hi: float, *, lo_open: bool, hi_open: bool = False
) -> None:
    """Raise ValueError unless ``value`` is a finite number in the interval lo..hi."""
    expected = f"{name} in {'(' if lo_open else '['}{lo}, {hi}{')' if hi_open else ']'}"
    ok = (
        not isinstance(value, bool)
        and isinstance(value, int | float)
        and math.isfinite(value)
        and (value > lo if lo_open else value >= lo)
        and (value < hi if hi_open else value <= hi)
    )
    if not ok:
        raise ValueError(f"expected {expected}, received {value!r}")


@dataclass(frozen=True)
class ScheduleSpec:
    """Schedule kind and knobs (see the module docstring for the formulas)."""

    kind: str = "constant"  # constant|step|exponential|cosine|plateau
    step_size: int = 50  # step
    gamma: float = 0.5  # step, exponential
    warmup_epochs: int = 0  # all kinds
    period: int = 500  # cosine
    min_lr: float = 0.0  # step, exponential, cosine, plateau
    patience: int = 10  # plateau
    factor: float = 0.5  # plateau
    threshold: float = 1e-4  # plateau: relative improvement that counts

    def __post_init__(self) -> None:
        """Validate every knob; errors name the expected range and the received value."""
        if self.kind not in SCHEDULES:
            raise ValueError(f"expected schedule kind in {list(SCHEDULES)}, received {self.kind!r}")
        _check_int("step_size", self.step_size, 1)
        _check_int("warmup_epochs", self.warmup_epochs, 0)
        _check_int("period", self.period, 1)
        _check_int("patience", self.patience, 0)
        _check_float("gamma", self.gamma, 0.0, 1.0, lo_open=True)
        _check_float("factor", self.factor, 0.0, 1.0, lo_open=True, hi_open=True)
        _check_float("min_lr", self.min_lr, 0.0, math.inf, lo_open=False)
        _check_float("threshold", self.threshold, 0.0, 1.0, lo_open=False, hi_open=True)


class Schedule:
    """Learning rate per epoch; ``observe`` feeds the validation loss after each epoch."""

    def __init__(self, spec: ScheduleSpec) -> None:
        """Build from ``spec`` with a fresh plateau state."""
        self.spec = spec
        self.scale = 1.0  # plateau multiplier
        self.best_loss = math.inf
        self.bad_epochs = 0

    def update_spec(self, spec: ScheduleSpec) -> None:
        """Change the knobs live; plateau state is kept unless the kind changes."""
        if spec.kind != self.spec.kind:
            self.reset()
        self.spec = spec

    def reset(self) -> None:
        """Forget the plateau state (scale back to 1)."""
        self.scale = 1.0
        self.best_loss = math.inf
        self.bad_epochs = 0

    def lr(self, epoch: int, base_lr: float) -> float:
        """Learning rate for 0-based ``epoch`` (the epoch about to run) given the base rate."""
        if epoch < 0:
            raise ValueError(f"expected epoch >= 0, received {epoch!r}")
        if not (base_lr >= 0.0 and math.isfinite(base_lr)):
            raise ValueError(f"expected a finite base_lr >= 0, received {base_lr!r}")
        spec = self.spec
        warm = spec.warmup_epochs
        if epoch < warm:
            return base_lr * (epoch + 1) / (warm + 1)
        k = epoch - warm
        kind = spec.kind
        if kind == "constant":
            return float(base_lr)
        floor = min(spec.min_lr, base_lr)
        if kind == "step":
            rate = base_lr * spec.gamma ** (k // spec.step_size)
        elif kind == "exponential":
            rate = base_lr * spec.gamma**k
        elif kind == "cosine":
            frac = min(k, spec.period) / spec.period
            return floor + (base_lr - floor) * 0.5 * (1.0 + math.cos(math.pi * frac))
        else:  # plateau
            rate = base_lr * self.scale
        return max(rate, floor)

    def observe(self, val_loss: float) -> None:
        """Record the validation loss of the epoch that just ran (only plateau uses it)."""
        if self.spec.kind != "plateau":
            return
        if val_loss < self.best_loss * (1.0 - self.spec.threshold):
            self.best_loss = float(val_loss)
            self.bad_epochs = 0
            return
        self.bad_epochs += 1  # includes NaN: comparisons with NaN are False
        if self.bad_epochs >= self.spec.patience:
            self.scale *= self.spec.factor
            self.bad_epochs = 0


def make_schedule(spec: ScheduleSpec) -> Schedule:
    """Return a fresh schedule for ``spec``."""
    if spec.kind not in SCHEDULES:
        raise ValueError(f"expected schedule kind in {list(SCHEDULES)}, received {spec.kind!r}")
    return Schedule(spec)
