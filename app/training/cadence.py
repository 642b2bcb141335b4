"""When a running segment takes its periodic checkpoints (the host of a Run applies it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cadence:
    """When a running segment takes its next periodic checkpoint: every `min_every` epochs at
    first, then every `1/spread` of the epochs so far, but at least every `max_every` epochs."""

    min_every: int = 10
    spread: int = 10
    max_every: int = 500

    def interval(self, last: int) -> int:
        """Epochs from a checkpoint at epoch `last` to the next one."""
        return min(self.max_every, max(self.min_every, last // self.spread))

    def describe(self) -> str:
        """The rule in words, for the page and the docs."""
        return (
            f"when training starts, every {self.min_every} epochs at first (the gap growing to "
            f"{100 // self.spread} % of the run so far, at most {self.max_every:,}) and at each "
            "pause and stop"
        )


CADENCE = Cadence()
