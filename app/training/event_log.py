"""The ordered log of what a session produced; each connection reads it from its own cursor.

The log is bounded in entries and in bytes: old entries fall off the front, and a reader that
had not read them gets a fresh `hello` instead. Between two control frames a reader only ever
needs the newest snapshot and the newest histograms, so appending one drops the previous one of
its kind when no control frame lies between them.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from app.training.wire import Metrics, Outgoing

Frame = dict[str, Any]
Kind = Literal["records", "histograms", "snapshot", "frame"]
Entry = tuple[Kind, Any, int]  # kind, payload, bytes it holds
SUPERSEDED: Entry = ("frame", None, 0)  # a dropped snapshot or histograms entry
OUTBOX_SIZE = 64  # frames for one connection alone (errors); older ones are dropped


@dataclass(frozen=True)
class RecordRows:
    """Epoch records of one chunk, as rows of one run's layers."""

    rows: np.ndarray
    layer_names: tuple[str, ...]


@dataclass(eq=False)
class Subscriber:
    """One connection: its position in the log and frames meant for it alone (errors)."""

    cursor: int
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    # A control frame (a command's answer) waits: it need not wait out the frame interval.
    urgent: asyncio.Event = field(default_factory=asyncio.Event)
    outbox: deque[Frame] = field(default_factory=lambda: deque(maxlen=OUTBOX_SIZE))
    compact: bool = False  # it reads the compact encoding (its hellos are encoded that way)


class EventLog:
    """A log of record rows, pre-encoded frames and control frames, bounded in entries and bytes."""

    def __init__(self, capacity: int, max_bytes: int) -> None:
        self.capacity = capacity
        self.max_bytes = max_bytes
        self._entries: deque[Entry] = deque()
        self.bytes = 0
        self.end = 0  # entries ever appended: the cursor of a reader that is up to date
        self._last: dict[Kind, int] = {}  # position of the newest snapshot / histograms entry
        self._last_control = -1

    def append(self, kind: Kind, payload: Any, nbytes: int) -> None:
        """Add record rows, a histograms or snapshot text, or a control frame (dict or text)."""
        start = self.end - len(self._entries)
        if kind in ("snapshot", "histograms"):
            last = self._last.get(kind, -1)
            if last > self._last_control and last >= start:
                self.bytes -= self._entries[last - start][2]
                self._entries[last - start] = SUPERSEDED
            self._last[kind] = self.end
        elif kind == "frame":
            self._last_control = self.end
        self._entries.append((kind, payload, nbytes))
        self.bytes += nbytes
        self.end += 1
        while len(self._entries) > 1 and (
            len(self._entries) > self.capacity or self.bytes > self.max_bytes
        ):
            self.bytes -= self._entries.popleft()[2]

    def resync(self) -> None:
        """Drop every entry: each reader gets a fresh `hello` at its next read."""
        self._entries.clear()
        self.bytes = 0
        self.end += 1  # past every reader's cursor, so each one counts as behind
        self._last.clear()
        self._last_control = -1

    def read(self, sub: Subscriber) -> list[Outgoing] | None:
        """Frames for `sub` since its last read, or None if entries it had not read were dropped."""
        start = self.end - len(self._entries)
        behind = sub.cursor < start
        skip = max(0, sub.cursor - start)
        unread = itertools.islice(self._entries, skip, None)
        sub.cursor = self.end
        return None if behind else coalesce(unread)


def coalesce(entries: Iterable[Entry]) -> list[Outgoing]:
    """Turn log entries into frames, in order; records between two control frames become one."""
    frames: list[Outgoing] = []
    chunks: list[RecordRows] = []
    histograms: str | None = None
    snapshot: str | None = None

    def flush() -> None:
        # Records wait for the next control frame, so a burst of epochs travels as one metrics
        # frame; of the histograms and snapshots in between only the newest matter.
        nonlocal histograms, snapshot
        if chunks:
            rows = np.concatenate([c.rows for c in chunks])
            frames.append(Metrics(rows, chunks[0].layer_names, tuple(c.rows for c in chunks)))
            chunks.clear()
        frames.extend(f for f in (histograms, snapshot) if f is not None)
        histograms = snapshot = None

    for kind, payload, _ in entries:
        if payload is None:
            continue
        if kind == "records":
            chunks.append(payload)
        elif kind == "histograms":
            histograms = payload
        elif kind == "snapshot":
            snapshot = payload
        else:
            flush()
            frames.append(payload)
    flush()
    return frames
