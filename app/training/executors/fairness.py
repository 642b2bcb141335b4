"""Fair shares of the workers' time: where a session goes, and whose turn it is (pure policy).

Placement counts *running* sessions (those that asked for training lately), not hosted ones: a
worker hosting ten paused sessions is as free as an empty one. Within a worker, turns go to the
running session that has used the least CPU time, and a session behind the others gets a longer
turn, so a light session whose turns end early, or a heavy one whose boundary picture takes a long
turn, still gets an equal share; a session that
starts (or comes back from a pause) begins level with the least-served one, never with credit
for the time it spent paused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

ACTIVE_SECONDS = 1.0  # a session that asked for training this recently counts as running
CROWDED_BY = 2  # a session moves at play when, with it, its worker would run this many more


@dataclass(frozen=True)
class Load:
    """What placement knows of one worker."""

    running: int  # sessions that asked for training within ACTIVE_SECONDS
    hosted: int  # sessions whose Runs it holds, paused or not


def place(loads: list[Load]) -> int:
    """The index of the worker a new (or moving) session should go to: fewest running, then
    fewest hosted (less memory), then the first."""
    if not loads:
        raise ValueError("no worker to place a session on")
    return min(range(len(loads)), key=lambda i: (loads[i].running, loads[i].hosted, i))


def crowded(own: Load, others: Iterable[Load]) -> bool:
    """True when a session about to play on a worker with load `own` (itself not counted as
    running) would make it run CROWDED_BY more sessions than another worker: moving there then
    evens the split (3 and 1 become 2 and 2; 2 and 1 stay as they are)."""
    fewest = min((load.running for load in others), default=own.running + 1)
    return own.running + 1 - fewest >= CROWDED_BY


def sharing(running: int, cores: int) -> float:
    """The share of one core each running session gets when `running` share `cores` (≤ 1)."""
    if running <= 0 or cores <= 0:
        return 1.0
    return min(1.0, cores / running)


class Turns:
    """Whose training slice runs next in one worker: the least CPU time used so far."""

    def __init__(self) -> None:
        self.used: dict[str, float] = {}  # CPU seconds of the sessions that are taking turns

    def pick(self, queued: Iterable[str]) -> str:
        """Of the sessions with a slice queued, the one that has used the least."""
        ids = list(queued)
        if not ids:
            raise ValueError("no slice is queued")
        for session in ids:
            self._join(session)
        return min(ids, key=lambda s: self.used[s])

    def seconds(self, session: str, base: float) -> float:
        """How long `session`'s slice may run: `base`, plus up to `base` more to make up for
        what it is behind the most-served session (a session has one slice queued at a time, so
        it catches up with longer turns rather than with more of them)."""
        self._join(session)
        behind = max(self.used.values()) - self.used[session]
        return base + min(base, behind)

    def charge(self, session: str, seconds: float) -> None:
        """A slice of `session` used `seconds` of CPU time."""
        self._join(session)
        self.used[session] += max(0.0, seconds)

    def leave(self, session: str) -> None:
        """The session paused, closed or left: it takes no turns and keeps no credit."""
        self.used.pop(session, None)
        if self.used:  # keep the numbers small; only differences matter
            floor = min(self.used.values())
            for key in self.used:
                self.used[key] -= floor

    def _join(self, session: str) -> None:
        if session not in self.used:
            self.used[session] = min(self.used.values(), default=0.0)
