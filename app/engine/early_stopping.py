"""Early stopping on the validation loss, keeping a copy of the best parameters."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.floating]


@dataclass(frozen=True)
class EarlyStoppingSpec:
    """Stop after ``patience`` epochs without a val-loss improvement larger than ``min_delta``."""

    patience: int = 20
    min_delta: float = 0.0
    restore_best: bool = True

    def __post_init__(self) -> None:
        """Validate the knobs; errors name what was expected and what was received."""
        p = self.patience
        if isinstance(p, bool) or not isinstance(p, int) or p < 0:
            raise ValueError(f"expected patience to be an integer >= 0, received {p!r}")
        d = self.min_delta
        if isinstance(d, bool) or not isinstance(d, int | float) or not 0 <= d < math.inf:
            raise ValueError(f"expected min_delta >= 0 and finite, received {d!r}")
        if not isinstance(self.restore_best, bool):
            raise ValueError(f"expected restore_best to be a bool, received {self.restore_best!r}")


class EarlyStopping:
    """Tracks the best validation loss; ``update`` says when to stop.

    An epoch improves when val_loss < best_loss - min_delta (the first finite loss always does);
    NaN/inf never improve. ``update`` returns True once ``patience`` consecutive epochs have not
    improved (patience 0: at the first epoch that does not improve).
    """

    def __init__(self, spec: EarlyStoppingSpec) -> None:
        """Start with no best epoch."""
        self.spec = spec
        self.best_epoch = -1
        self.best_loss = math.inf
        self.best_theta: Array | None = None
        self.wait = 0  # epochs since the last improvement
        self.stopped_epoch: int | None = None

    def update_spec(self, spec: EarlyStoppingSpec) -> None:
        """Change patience/min_delta/restore_best live, keeping the best so far."""
        self.spec = spec

    def reset(self) -> None:
        """Forget the best epoch and the stored parameters."""
        self.best_epoch = -1
        self.best_loss = math.inf
        self.best_theta = None
        self.wait = 0
        self.stopped_epoch = None

    def update(self, epoch: int, val_loss: float, theta: Array) -> bool:
        """Record epoch ``epoch``'s val_loss; on improvement copy ``theta``; True = stop now."""
        if math.isfinite(val_loss) and (
            self.best_epoch < 0 or val_loss < self.best_loss - self.spec.min_delta
        ):
            self.best_epoch = epoch
            self.best_loss = float(val_loss)
            self.wait = 0
            best = self.best_theta
            if best is None or best.shape != theta.shape or best.dtype != theta.dtype:
                self.best_theta = theta.copy()
            else:
                np.copyto(best, theta)
            return False
        self.wait += 1
        if self.wait >= self.spec.patience:
            self.stopped_epoch = epoch
            return True
        return False

    def restore(self, theta: Array) -> bool:
        """Copy the best parameters into ``theta`` if restore_best is set and a best exists."""
        if not self.spec.restore_best or self.best_theta is None:
            return False
        if self.best_theta.shape != theta.shape:
            raise ValueError(
                f"expected theta of shape {self.best_theta.shape} to restore into, "
                f"received {theta.shape}"
            )
        np.copyto(theta, self.best_theta)
        return True
