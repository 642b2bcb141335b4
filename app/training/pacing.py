"""Session pacing: slow motion (epochs per second) and "stop at epoch N", from the config."""

from __future__ import annotations

import time
from typing import Any

from app.schemas.config import TrainingConfig

SLOW_EPOCHS_PER_SECOND = 10.0  # below this rate every epoch gets its own snapshot
WAIT_SLICE = 0.02  # seconds; a paced wait looks for commands at least this often


class Pacer:
    """When the next epoch may start under a config's `epochs_per_second`."""

    def __init__(self) -> None:
        self._next_at = 0.0  # monotonic time the next epoch may start

    @staticmethod
    def rate(training: TrainingConfig) -> float | None:
        """The epochs-per-second limit, or None for full speed."""
        return training.epochs_per_second

    @staticmethod
    def slow(training: TrainingConfig) -> bool:
        """Slow enough that every epoch shows its boundary and network."""
        rate = training.epochs_per_second
        return rate is not None and rate < SLOW_EPOCHS_PER_SECOND

    def epochs_ended(self, count: int, training: TrainingConfig) -> None:
        """Note that `count` epochs just ended; the next one waits its turn."""
        rate = training.epochs_per_second
        if rate is not None and count:
            self._next_at = time.monotonic() + count / rate

    def wait_left(self, training: TrainingConfig) -> float:
        """Seconds until the next epoch may start (0 at full speed or when due)."""
        rate = training.epochs_per_second
        if rate is None:
            return 0.0
        # A faster rate set live takes effect at once rather than after the old interval.
        left = self._next_at - time.monotonic()
        return max(0.0, min(left, 1.0 / rate))


def stop_at_reason(record: dict[str, Any], training: TrainingConfig) -> str | None:
    """The pause reason when this epoch is the one the config asked to stop at, else None.

    Only the epoch itself stops the run: play afterwards continues past it."""
    limit = training.stop_at_epoch
    if limit is not None and record["epoch"] == limit:
        return f"Stopped at epoch {limit} as asked. Press play to continue past it."
    return None
