"""The ordered log of what a session produced; each connection reads it from its own cursor."""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from app.training.history import to_columns

Frame = dict[str, Any]
Kind = Literal["record", "histograms", "snapshot", "frame"]


@dataclass(eq=False)
class Subscriber:
    """One connection: its position in the log and frames meant for it alone (errors)."""

    cursor: int
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    outbox: deque[Frame] = field(default_factory=lambda: deque(maxlen=64))


class EventLog:
    """A bounded log of epoch records and frames; old entries fall off the front."""

    def __init__(self, capacity: int) -> None:
        self._entries: deque[tuple[Kind, Frame]] = deque(maxlen=capacity)
        self.end = 0  # entries ever appended: the cursor of a reader that is up to date

    def append(self, kind: Kind, payload: Frame) -> None:
        """Add an epoch record, a histograms frame, a snapshot or a control frame."""
        self._entries.append((kind, payload))
        self.end += 1

    def read(self, sub: Subscriber) -> list[Frame] | None:
        """Frames for `sub` since its last read, or None if entries it had not read were dropped."""
        start = self.end - len(self._entries)
        behind = sub.cursor < start
        unread = itertools.islice(self._entries, max(0, sub.cursor - start), None)
        sub.cursor = self.end
        return None if behind else coalesce(unread)


def coalesce(entries: Iterable[tuple[Kind, Frame]]) -> list[Frame]:
    """Turn log entries into frames, in order; records between two control frames become one."""
    frames: list[Frame] = []
    records: list[Frame] = []
    histograms: Frame | None = None
    snapshot: Frame | None = None

    def flush() -> None:
        # Records wait for the next control frame, so a burst of epochs travels as one metrics
        # frame; of the histograms and snapshots in between only the newest matter.
        nonlocal histograms, snapshot
        if records:
            names = [layer["name"] for layer in records[0]["layers"]]
            frames.append({"type": "metrics", **to_columns(records, names)})
            records.clear()
        frames.extend(f for f in (histograms, snapshot) if f is not None)
        histograms = snapshot = None

    for kind, payload in entries:
        if kind == "record":
            records.append(payload)
        elif kind == "histograms":
            histograms = payload
        elif kind == "snapshot":
            snapshot = payload
        else:
            flush()
            frames.append(payload)
    flush()
    return frames
