"""Failed token checks per client address: a leaky bucket, bounded in memory."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable


class FailureLimiter:
    """Allow `burst` failures per address, draining at `per_second`; then refuse until drained."""

    def __init__(
        self,
        burst: int,
        per_second: float,
        max_clients: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if burst < 1 or per_second <= 0 or max_clients < 1:
            raise ValueError(
                "expected burst >= 1, per_second > 0 and max_clients >= 1, "
                f"got {burst}, {per_second}, {max_clients}"
            )
        self.burst = burst
        self.per_second = per_second
        self.max_clients = max_clients
        self._clock = clock
        self._levels: OrderedDict[str, tuple[float, float]] = OrderedDict()  # level, when

    def retry_after(self, address: str) -> float:
        """Seconds until `address` may try again; 0 when it may try now."""
        # Over budget while more than burst - 1 failures are undrained: the next would exceed it.
        return max(0.0, self._level(address) - (self.burst - 1)) / self.per_second

    def fail(self, address: str) -> None:
        """Count one failed check from `address`."""
        level = self._level(address) + 1
        self._levels[address] = (level, self._clock())
        self._levels.move_to_end(address)
        if len(self._levels) > self.max_clients:
            self._forget_drained()
            while len(self._levels) > self.max_clients:
                self._levels.popitem(last=False)  # the address that failed longest ago

    def __len__(self) -> int:
        """Addresses currently remembered."""
        return len(self._levels)

    def _level(self, address: str) -> float:
        entry = self._levels.get(address)
        if entry is None:
            return 0.0
        level, when = entry
        return max(0.0, level - (self._clock() - when) * self.per_second)

    def _forget_drained(self) -> None:
        for address in [a for a in self._levels if self._level(a) == 0.0]:
            del self._levels[address]
