"""How long runs stay small: every epoch at first, then decimated, always a full recent window.

Epochs 1..full_prefix are all kept. Beyond it, an epoch older than the last `recent_window`
epochs is kept only when it is a multiple of the decimation stride, a power of two chosen so that
the decimated stretch holds at most `decimated_budget` epochs; the stride doubles as a run grows
and the rows off the new stride are deleted. A segment thus never holds more than
full_prefix + decimated_budget + recent_window rows (+ one write batch), however long it runs.
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
