"""The store's one writer: a thread that drains a queue of operations in batched transactions.

Callers never wait for the disk: they append an operation and return. The thread commits a batch
at least every `flush_seconds` (so a crash loses at most that much), or at once when an operation
carries a Future someone waits for (rename, delete, flush).
"""

from __future__ import annotations

import json
import logging
import math
import queue
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.store.codec import Encoder, pack_rows
from app.store.retention import Retention, prune_range

log = logging.getLogger(__name__)

MAX_BATCH = 20_000
Apply = Callable[[sqlite3.Connection], Any]


@dataclass
class Op:
    """One queued write: an epoch record, a histograms frame, or a function run in the batch."""

    run_id: str
    record: dict[str, Any] | None = None
    rows: tuple[str, np.ndarray] | None = None  # (layout, values): records of one layout
    histograms: tuple[int, list[Any]] | str | None = None  # (epoch, layers), or a frame's text
    segment: int = 0
    apply: Apply | None = None
    done: Future[Any] | None = field(default=None)


class Writer:
    """Owns the write connection; `submit` is safe from any thread and never blocks on disk."""

    def __init__(
        self,
        db: sqlite3.Connection,
        retention: Retention,
        flush_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.retention = retention
        self.flush_seconds = flush_seconds
        self.clock = clock
        self._queue: queue.SimpleQueue[Op | None] = queue.SimpleQueue()
        self._urgent = threading.Event()
        self._layouts: dict[str, int] = {}
        self._columns: dict[str, dict[str, int]] = {}  # layout -> scalar key -> column
        self._encoder = Encoder()
        self._last: dict[tuple[str, str, int], int] = {}  # (table, run, segment) -> last epoch
        self.deleted: set[str] = set()
        self.cpu_seconds = 0.0  # CPU time this thread spent committing batches (for benchmarks)
        self._thread = threading.Thread(target=self._loop, name="run-store-writer", daemon=True)
        self._thread.start()

    def submit(self, op: Op) -> None:
        """Queue an operation for the next batch (committed at once if someone waits for it)."""
        self._queue.put(op)
        if op.done is not None:
            self._urgent.set()

    def close(self) -> None:
        """Write what is queued, then stop the thread."""
        self._queue.put(None)
        self._urgent.set()
        self._thread.join()

    def _loop(self) -> None:
        # The thread wakes a few times a second, not per record: each wake-up would contend
        # for the GIL with the training thread.
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                break
            if first.done is None:
                self._urgent.wait(self.flush_seconds)
            self._urgent.clear()
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    op = self._queue.get_nowait()
                except queue.Empty:
                    break
                if op is None:
                    stopping = True
                    break
                batch.append(op)
            started = time.thread_time()
            self._commit(batch)
            self.cpu_seconds += time.thread_time() - started

    def _commit(self, batch: list[Op]) -> None:
        results: list[tuple[Future[Any], Any]] = []
        try:
            self.db.execute("BEGIN IMMEDIATE")
            records: list[Op] = []
            histograms: list[Op] = []
            for op in batch:
                if op.run_id in self.deleted and op.done is None:
                    continue  # a session still recording into a deleted run
                if op.record is not None or op.rows is not None:
                    records.append(op)
                    continue
                if op.histograms is not None:
                    histograms.append(op)
                    continue
                self._write_records(records)
                self._write_histograms(histograms)
                records, histograms = [], []
                result = self._apply(op)
                if op.done is not None:
                    results.append((op.done, result))
            self._write_records(records)
            self._write_histograms(histograms)
            self.db.execute("COMMIT")
        except Exception as exc:
            log.exception("run store: a batch of %d writes failed and was dropped", len(batch))
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            self._last.clear()
            for op in batch:
                if op.done is not None and not op.done.done():
                    op.done.set_exception(exc)
            return
        for future, result in results:
            future.set_result(result)

    def _apply(self, op: Op) -> Any:
        assert op.apply is not None
        try:
            return op.apply(self.db)
        except sqlite3.IntegrityError as exc:  # e.g. an event for a run deleted meanwhile
            log.warning("run store: write for run %s refused: %s", op.run_id, exc)
            return None

    def _layout_id(self, layout: str) -> int:
        found = self._layouts.get(layout)
        if found is None:
            self.db.execute("INSERT OR IGNORE INTO layouts (spec) VALUES (?)", (layout,))
            row = self.db.execute("SELECT id FROM layouts WHERE spec = ?", (layout,)).fetchone()
            found = int(row[0])
            self._layouts[layout] = found
        return found

    def _write_records(self, ops: list[Op]) -> None:
        if not ops:
            return
        encode, layout_id = self._encoder.encode, self._layout_id
        rows: list[tuple[Any, ...]] = []
        last: dict[tuple[str, int], int] = {}
        runs: dict[str, RunTally] = {}
        for op in ops:
            tally = runs.setdefault(op.run_id, RunTally())
            if op.rows is not None:
                layout, values = op.rows
                epochs = self._rows(op, layout, values, rows, tally)
            else:
                record = op.record
                assert record is not None
                layout, data, extra = encode(record)
                epochs = [record["epoch"]]
                rows.append((op.run_id, op.segment, epochs[0], layout_id(layout), data, extra))
                tally.add(epochs[0], [record.get("val_loss")], [record.get("val_acc")])
            key = (op.run_id, op.segment)
            if epochs and max(epochs) > last.get(key, 0):
                last[key] = max(epochs)
        self.db.executemany("INSERT OR REPLACE INTO epochs VALUES (?, ?, ?, ?, ?, ?)", rows)
        now = self.clock()
        for run_id, tally in runs.items():
            if tally.epoch is None:
                continue
            self.db.execute(
                "UPDATE runs SET epochs = :epoch, updated = :now,"
                " best_val_loss = CASE WHEN :loss IS NULL THEN best_val_loss"
                "   WHEN best_val_loss IS NULL OR :loss < best_val_loss THEN :loss"
                "   ELSE best_val_loss END,"
                " best_val_acc = CASE WHEN :acc IS NULL THEN best_val_acc"
                "   WHEN best_val_acc IS NULL OR :acc > best_val_acc THEN :acc"
                "   ELSE best_val_acc END"
                " WHERE id = :id",
                {
                    "epoch": tally.epoch,
                    "now": now,
                    "loss": tally.loss,
                    "acc": tally.acc,
                    "id": run_id,
                },
            )
        for (run_id, segment), epoch in last.items():
            self._prune("epochs", run_id, segment, epoch)

    def _rows(
        self,
        op: Op,
        layout: str,
        values: np.ndarray,
        out: list[tuple[Any, ...]],
        tally: RunTally,
    ) -> list[int]:
        """Queue the epochs of a records matrix (one layout) for insertion; their epochs."""
        if not len(values):
            return []
        found = self._columns.get(layout)
        if found is None:
            names = [key for key, _ in json.loads(layout)["s"]]
            found = self._columns[layout] = {key: j for j, key in enumerate(names)}
        epochs = values[:, found["epoch"]].astype(np.int64).tolist()
        lid = self._layout_id(layout)
        out.extend(
            (op.run_id, op.segment, epoch, lid, data, None)
            for epoch, data in zip(epochs, pack_rows(values), strict=True)
        )
        tally.add(
            epochs[-1],
            values[:, found["val_loss"]].tolist() if "val_loss" in found else [],
            values[:, found["val_acc"]].tolist() if "val_acc" in found else [],
        )
        return epochs

    def _write_histograms(self, ops: list[Op]) -> None:
        if not ops:
            return
        rows = []
        last: dict[tuple[str, int], int] = {}
        for op in ops:
            assert op.histograms is not None
            if isinstance(op.histograms, str):  # the frame as the session sent it: parsed here
                frame = json.loads(op.histograms)
                epoch, layers = int(frame["epoch"]), frame["layers"]
            else:
                epoch, layers = op.histograms
            data = zlib.compress(json.dumps(layers, separators=(",", ":")).encode())
            rows.append((op.run_id, op.segment, epoch, data))
            last[(op.run_id, op.segment)] = max(epoch, last.get((op.run_id, op.segment), 0))
        self.db.executemany("INSERT OR REPLACE INTO histograms VALUES (?, ?, ?, ?)", rows)
        for (run_id, segment), epoch in last.items():
            self._prune("histograms", run_id, segment, epoch)

    def _prune(self, table: str, run_id: str, segment: int, last: int) -> None:
        # Unknown segment (new, or first seen since the server started): check all of it once.
        key = (table, run_id, segment)
        before = self._last.get(key, 0)
        self._last[key] = max(before, last)
        span = prune_range(self.retention, before, self._last[key])
        if span is not None:
            low, high, stride = span
            self.db.execute(
                f"DELETE FROM {table} WHERE run_id = ? AND segment = ? AND epoch > ?"
                " AND epoch <= ? AND epoch % ? != 0",
                (run_id, segment, low, high, stride),
            )


class RunTally:
    """What a batch changes in a run's summary: its last epoch, best validation figures."""

    def __init__(self) -> None:
        self.epoch: int | None = None
        self.loss: float | None = None
        self.acc: float | None = None

    def add(self, epoch: int, losses: list[Any], accuracies: list[Any]) -> None:
        """Records up to `epoch` with these validation losses and accuracies (None, NaN: none)."""
        self.epoch = epoch
        self.loss = _best([self.loss, *losses], min)
        self.acc = _best([self.acc, *accuracies], max)


def _best(values: list[Any], better: Callable[[list[float]], float]) -> float | None:
    """The best finite number among `values` (None when there is none)."""
    finite = [v for v in values if isinstance(v, float | int) and math.isfinite(v)]
    return float(better(finite)) if finite else None
