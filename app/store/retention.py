"""How long runs stay small: every epoch at first, then decimated, always a full recent window.

Epochs 1..full_prefix are all kept. Beyond it, an epoch older than the last `recent_window`
epochs is kept only when it is a multiple of the decimation stride, a power of two chosen so that
the decimated stretch holds at most `decimated_budget` epochs; the stride doubles as a run grows
and the rows off the new stride are deleted. A segment thus never holds more than
full_prefix + decimated_budget + recent_window rows (+ one write batch), however long it runs.

Checkpoints have their own rule, `CheckpointRetention`: bounded in count and bytes per run,
spread evenly over it, the first and the newest few always kept.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Retention:
    """The decimation policy's three numbers (defaults: 10 000 + 8 000 + 2 000 rows at most)."""

    full_prefix: int = 10_000
    recent_window: int = 2_000
    decimated_budget: int = 8_000

    def stride(self, last_epoch: int) -> int:
        """Decimation stride of the stretch between the full prefix and the recent window."""
        span = last_epoch - self.recent_window - self.full_prefix
        stride = 1
        while span > stride * self.decimated_budget:
            stride *= 2
        return stride

    def keeps(self, epoch: int, last_epoch: int) -> bool:
        """Whether `epoch` stays stored once the segment has reached `last_epoch`."""
        if epoch <= self.full_prefix or epoch > last_epoch - self.recent_window:
            return True
        return epoch % self.stride(last_epoch) == 0

    def max_rows(self) -> int:
        """The most rows a segment keeps (between write batches)."""
        return self.full_prefix + self.decimated_budget + self.recent_window


def prune_range(policy: Retention, before: int, after: int) -> tuple[int, int, int] | None:
    """Rows to delete when a segment's last epoch goes from `before` to `after`.

    Returns (low, high, stride): delete epochs in (low, high] that are not multiples of stride;
    None when nothing can have left the policy.
    """
    high = after - policy.recent_window
    if high <= policy.full_prefix:
        return None
    stride = policy.stride(after)
    if stride != policy.stride(before):
        low = policy.full_prefix  # the stride grew: thin the whole decimated stretch
    else:
        low = max(policy.full_prefix, before - policy.recent_window)
    return (low, high, stride) if high > low else None


@dataclass(frozen=True)
class CheckpointRetention:
    """Which checkpoints a run keeps: the newest few, the first, and an evenly thinned set of the
    rest, at most `max_count` in all and `max_bytes` beside the newest (always kept)."""

    max_count: int = 32
    max_bytes: int = 32 * 1024 * 1024
    keep_newest: int = 4

    def doomed(self, points: list[tuple[int, int]]) -> list[int]:
        """Indices to delete from `points`, (position on the run's axis, bytes) in run order.

        While over a bound, the checkpoint dropped is the one whose neighbours lie closest
        together: the gaps it leaves are the smallest, so what stays is spread over the run.
        """
        if len(points) <= 1:
            return []
        newest_from = max(1, len(points) - self.keep_newest)  # the first and newest are kept
        alive = list(range(len(points)))
        size = sum(nbytes for _, nbytes in points[:-1])  # the newest is outside the budget
        doomed: list[int] = []
        while len(alive) > self.max_count or size > self.max_bytes:
            removable = [k for k in range(1, len(alive) - 1) if alive[k] < newest_from]
            # Only the first and the newest few left (a large network): the oldest goes.
            pick = min(removable, key=lambda k: (_gap(points, alive, k), k), default=0)
            size -= points[alive[pick]][1]
            doomed.append(alive.pop(pick))
        return sorted(doomed)

    def describe(self) -> str:
        """The rule in words, for the page and the docs."""
        return (
            f"the first, the newest {self.keep_newest} and an even spread over the run are kept, "
            f"{self.max_count} at most ({self.max_bytes // 2**20} MiB beside the newest)"
        )


def _gap(points: list[tuple[int, int]], alive: list[int], k: int) -> int:
    """The gap left on the run's axis when alive[k] (an interior one) goes."""
    return points[alive[k + 1]][0] - points[alive[k - 1]][0]
