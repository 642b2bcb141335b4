"""What the trainer takes between epochs (TrainSettings) and what a step hook sees (StepInfo)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from app.engine.early_stopping import EarlyStoppingSpec
from app.engine.numerics import Array
from app.engine.optimizers import OptimizerSpec
from app.engine.schedules import ScheduleSpec


@dataclass(frozen=True)
class StepInfo:
    """What a step hook sees after one optimiser step (the model's grads are still that step's)."""

    epoch: int  # the epoch this step belongs to, counted from 1 like the records
    batch: int  # index of the mini-batch within the epoch, from 0
    rows: Array  # indices into the training set of the batch's rows (read-only)
    loss: float  # mean data loss of the batch before the step (no L1/L2 penalty)
    lr: float  # learning rate the step used


StepHook = Callable[[StepInfo], None]


@dataclass
class TrainSettings:
    """Everything that can change between epochs without rebuilding the model."""

    learning_rate: float = 0.03
    batch_size: int = 10
    optimizer: OptimizerSpec = field(default_factory=OptimizerSpec)
    l1: float = 0.0
    l2: float = 0.0
    clip_norm: float | None = None
    clip_value: float | None = None
    schedule: ScheduleSpec = field(default_factory=ScheduleSpec)
    early_stopping: EarlyStoppingSpec | None = None
    histogram_every: int = 0  # 0 = never
    eval_every: int = 1  # validation (and evaluation-pass) figures every this many epochs
    instruments: bool = True  # per-layer statistics in every record

    def __post_init__(self) -> None:
        if not (math.isfinite(self.learning_rate) and self.learning_rate >= 0):
            raise ValueError(
                f"learning_rate must be a finite number >= 0, got {self.learning_rate}"
            )
        if (
            isinstance(self.batch_size, bool)
            or int(self.batch_size) != self.batch_size
            or self.batch_size < 1
        ):
            raise ValueError(f"batch_size must be an integer >= 1, got {self.batch_size!r}")
        for name in ("l1", "l2"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {v}")
        for name in ("clip_norm", "clip_value"):
            v = getattr(self, name)
            if v is not None and not (math.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be None or a finite number > 0, got {v}")
        if int(self.histogram_every) != self.histogram_every or self.histogram_every < 0:
            raise ValueError(
                f"histogram_every must be an integer >= 0, got {self.histogram_every!r}"
            )
        if (
            isinstance(self.eval_every, bool)
            or int(self.eval_every) != self.eval_every
            or self.eval_every < 1
        ):
            raise ValueError(f"eval_every must be an integer >= 1, got {self.eval_every!r}")
        if not isinstance(self.instruments, bool):
            raise ValueError(f"instruments must be True or False, got {self.instruments!r}")
