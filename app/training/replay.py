"""Replay a stored run: its boundary and weights as they were at a checkpoint.

The segment's newest checkpoint at or before the asked epoch is restored into a Run built from
that checkpoint's config, and the Run makes the same snapshot a live session sends. Runs are
kept in a small cache by (run, segment, config), so scrubbing restores weights into a built Run
instead of preparing the data again. Call it from a worker thread: it does NumPy work.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

from app.engine.checkpoint import from_bytes, restore
from app.schemas.config import SessionConfig
from app.store import RunStore
from app.training.run import Run, TableLookup

CACHED_RUNS = 4  # built Runs kept for scrubbing (a few runs open in replay at once)


class ReplayError(Exception):
    """The asked epoch cannot be shown; `status` is the HTTP status to answer."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class _Slot:
    """A built Run and the lock that keeps two requests from restoring into it at once."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.lock = threading.Lock()


class Replayer:
    """Snapshots of stored runs at their checkpoints, with a few built Runs cached."""

    def __init__(
        self, store: RunStore, tables: TableLookup | None, size: int = CACHED_RUNS
    ) -> None:
        self.store = store
        self.tables = tables
        self.size = size
        self._slots: OrderedDict[tuple[str, int, str], _Slot] = OrderedDict()
        self._lock = threading.Lock()

    def _slot(self, key: tuple[str, int, str], config: SessionConfig) -> _Slot:
        with self._lock:
            slot = self._slots.get(key)
            if slot is not None:
                self._slots.move_to_end(key)
                return slot
        slot = _Slot(Run(config, self.tables))  # built outside the lock: it prepares the data
        with self._lock:
            self._slots[key] = slot
            while len(self._slots) > self.size:
                self._slots.popitem(last=False)
        return slot

    def frame(self, run_id: str, segment: int, epoch: int) -> dict[str, Any]:
        """{run, segment, epoch (asked), checkpoint (shown), config, dataset, snapshot}."""
        found = self.store.checkpoint_at(run_id, segment, epoch)
        if found is None:
            stored = [e for s, e in self.store.checkpoints(run_id) if s == segment]
            if not stored:
                raise ReplayError(f"run {run_id!r} has no checkpoint in segment {segment}", 404)
            raise ReplayError(
                f"no checkpoint at or before epoch {epoch} of segment {segment}: "
                f"the earliest kept is at epoch {min(stored)}",
                404,
            )
        at, config_dump, data = found
        config = SessionConfig.model_validate(config_dump)
        key = (run_id, segment, json.dumps(config_dump, sort_keys=True))
        slot = self._slot(key, config)
        with slot.lock:
            restore(slot.run.trainer, from_bytes(data))
            snapshot = slot.run.snapshot()
            dataset = slot.run.dataset_frame()
        return {
            "run": run_id,
            "segment": segment,
            "epoch": epoch,
            "checkpoint": at,
            "config": config_dump,
            "dataset": dataset,
            "snapshot": snapshot,
        }
