"""RunStore: runs, epoch records, events, checkpoints and uploads in one SQLite file (WAL).

Writes go through the one Writer thread (queued, batched, never waiting on the disk); reads use
their own connection, which WAL lets run beside the writer. Times are Unix seconds.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np

from app.store.codec import decode, scalar_matrix
from app.store.retention import CheckpointRetention, Retention
from app.store.schema import VERSION, migrate
from app.store.writer import Op, Writer

DB_NAME = "runs.sqlite3"
FLUSH_SECONDS = 0.25  # the most a crash can lose, plus what is still queued
PAGE_ROWS = 1000  # rows per read of the iter_* readers
LIVE_STATES = ("running",)  # a run in one of these when the server died was interrupted
RUN_COLUMNS = "id, name, config, created, updated, state, epochs, best_val_loss, best_val_acc"


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit) with WAL and foreign keys."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: a killed process loses nothing
    db.execute("PRAGMA foreign_keys = ON")
    return db


class RunStore:
    """The persistence of runs; `open(data_dir)` creates the directory and the database."""

    def __init__(
        self,
        path: Path,
        retention: Retention | None = None,
        checkpoint_retention: CheckpointRetention | None = None,
        flush_seconds: float = FLUSH_SECONDS,
        clock: Callable[[], float] = time.time,
        read_only: bool = False,
    ) -> None:
        self.path = path
        self.clock = clock
        self._closed = False
        self._read_lock = threading.Lock()
        self._layouts: dict[int, dict[str, Any]] = {}
        self._writer: Writer | None = None
        self.interrupted: list[str] = []
        self.checkpoint_retention = checkpoint_retention or CheckpointRetention()
        if read_only:  # e.g. `backprop-lab export` beside a running server: change nothing
            if not path.is_file():
                raise FileNotFoundError(f"no run store at {path}: is --data-dir right?")
            self._reader = connect(path)
            self._reader.execute("PRAGMA query_only = ON")
            found = self._read("SELECT version FROM schema_version")
            if not found or found[0][0] != VERSION:
                raise RuntimeError(
                    f"{path} has schema version {found[0][0] if found else 0}, expected "
                    f"{VERSION}: open it once with `backprop-lab serve` to migrate it"
                )
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        db = connect(path)
        migrate(db)
        self.interrupted = self._mark_interrupted(db)
        self._reader = connect(path)
        self._reader.execute("PRAGMA query_only = ON")
        self._writer = Writer(db, retention or Retention(), flush_seconds, clock)

    @classmethod
    def open(cls, data_dir: Path, **kwargs: Any) -> RunStore:
        """The store in `data_dir` (created if missing)."""
        return cls(Path(data_dir) / DB_NAME, **kwargs)

    def _mark_interrupted(self, db: sqlite3.Connection) -> list[str]:
        """Runs left running by a server that died: they become 'interrupted'."""
        marks = ", ".join("?" * len(LIVE_STATES))
        rows = db.execute(f"SELECT id FROM runs WHERE state IN ({marks})", LIVE_STATES).fetchall()
        db.execute(f"UPDATE runs SET state = 'interrupted' WHERE state IN ({marks})", LIVE_STATES)
        return [row[0] for row in rows]

    # ---- writes (queued) -------------------------------------------------------------------

    @property
    def writer(self) -> Writer:
        """The writer thread; a read-only store has none."""
        if self._writer is None:
            why = "is closed" if self._closed else "was opened read-only"
            raise RuntimeError(f"the run store at {self.path} {why}")
        return self._writer

    def _do(self, run_id: str, apply: Callable[[sqlite3.Connection], Any]) -> None:
        self.writer.submit(Op(run_id, apply=apply))

    def _wait(self, run_id: str, apply: Callable[[sqlite3.Connection], Any]) -> Future[Any]:
        done: Future[Any] = Future()
        self.writer.submit(Op(run_id, apply=apply, done=done))
        return done

    def create_run(self, run_id: str, name: str, config: dict[str, Any], state: str) -> None:
        """A new run."""
        now = self.clock()
        self._do(run_id, lambda db: db.execute(
            "INSERT INTO runs (id, name, config, created, updated, state) VALUES (?,?,?,?,?,?)",
            (run_id, name, json.dumps(config), now, now, state)))  # fmt: skip

    def add_record(self, run_id: str, segment: int, record: dict[str, Any]) -> None:
        """One epoch's record (the writer encodes it; the dict must not change afterwards)."""
        self.writer.submit(Op(run_id, record=record, segment=segment))

    def add_rows(self, run_id: str, segment: int, layout: str, values: np.ndarray) -> None:
        """Epoch records of one `layout` as a float64 matrix, a row per epoch in the layout's
        order (scalars, then each layer's keys); a non-finite value is stored as None. The
        writer thread encodes them, so the caller never builds a dict per epoch."""
        self.writer.submit(Op(run_id, rows=(layout, values), segment=segment))

    def add_histograms(self, run_id: str, segment: int, epoch: int, layers: list[Any]) -> None:
        """One histograms frame's layers (weights, grads, acts per layer)."""
        self.writer.submit(Op(run_id, histograms=(epoch, layers), segment=segment))

    def add_histograms_text(self, run_id: str, segment: int, frame: str) -> None:
        """A `histograms` frame as JSON text: the writer thread parses it."""
        self.writer.submit(Op(run_id, histograms=frame, segment=segment))

    def add_event(
        self, run_id: str, segment: int, epoch: int, kind: str, payload: dict[str, Any]
    ) -> None:
        """Something that happened to the run (play, pause, configure, reset, ...)."""
        now, text = self.clock(), json.dumps(payload)
        self._do(run_id, lambda db: db.execute(
            "INSERT INTO events (run_id, segment, epoch, at, kind, payload) VALUES (?,?,?,?,?,?)",
            (run_id, segment, epoch, now, kind, text)))  # fmt: skip

    def update_run(
        self, run_id: str, *, state: str | None = None, config: dict[str, Any] | None = None
    ) -> None:
        """Change a run's state and/or config."""
        now = self.clock()
        text = None if config is None else json.dumps(config)
        self._do(run_id, lambda db: db.execute(
            "UPDATE runs SET state = coalesce(?, state), config = coalesce(?, config),"
            " updated = ? WHERE id = ?", (state, text, now, run_id)))  # fmt: skip

    def save_checkpoint(
        self,
        run_id: str,
        segment: int,
        epoch: int,
        config: dict[str, Any],
        serialise: Callable[[], bytes],
    ) -> None:
        """A checkpoint; `serialise` runs on the writer thread, off the training path."""
        now, text = self.clock(), json.dumps(config)

        def apply(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT OR REPLACE INTO checkpoints VALUES (?,?,?,?,?,?)",
                (run_id, segment, epoch, now, text, serialise()),
            )
            self._thin_checkpoints(db, run_id)

        self._do(run_id, apply)

    def _thin_checkpoints(self, db: sqlite3.Connection, run_id: str) -> None:
        """Apply the checkpoint retention to a run (writer thread)."""
        rows = db.execute(
            "SELECT rowid, segment, epoch, length(data) FROM checkpoints WHERE run_id = ?"
            " ORDER BY segment, epoch",
            (run_id,),
        ).fetchall()
        points, offset, segment, last = [], 0, None, 0
        for _, seg, epoch, nbytes in rows:  # segments end to end, as the runs panel draws them
            if seg != segment:
                offset, segment = offset + last, seg
            points.append((offset + epoch, nbytes))
            last = epoch
        doomed = [(rows[i][0],) for i in self.checkpoint_retention.doomed(points)]
        db.executemany("DELETE FROM checkpoints WHERE rowid = ?", doomed)

    def save_upload(self, upload_id: str, filename: str, target: str | None, task: str,
                    data: bytes) -> None:  # fmt: skip
        """An uploaded CSV's bytes and how it was parsed."""
        now = self.clock()
        self._do("", lambda db: db.execute(
            "INSERT OR REPLACE INTO uploads VALUES (?,?,?,?,?,?)",
            (upload_id, filename, target, task, now, data)))  # fmt: skip

    def rename(self, run_id: str, name: str) -> Future[bool]:
        """Rename a run; the future says whether it existed."""
        return self._wait(run_id, lambda db: db.execute(
            "UPDATE runs SET name = ?, updated = ? WHERE id = ?",
            (name, self.clock(), run_id)).rowcount > 0)  # fmt: skip

    def delete(self, run_id: str) -> Future[bool]:
        """Delete a run with everything it recorded; later writes for it are dropped."""

        def apply(db: sqlite3.Connection) -> bool:
            self.writer.deleted.add(run_id)
            return db.execute("DELETE FROM runs WHERE id = ?", (run_id,)).rowcount > 0

        return self._wait(run_id, apply)

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until everything queued so far is committed."""
        self._wait("", lambda db: None).result(timeout)

    def close(self) -> None:
        """Commit what is queued and close the database."""
        if self._closed:
            return
        self._closed = True
        if self._writer is not None:
            self._writer.close()
            self._writer.db.close()
            self._writer = None
        self._reader.close()

    # ---- reads -----------------------------------------------------------------------------

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        with self._read_lock:
            return self._reader.execute(sql, args).fetchall()

    def list_runs(self) -> list[dict[str, Any]]:
        """Every run, newest first, without its history."""
        rows = self._read(f"SELECT {RUN_COLUMNS} FROM runs ORDER BY created DESC, id")
        return [_run(row) for row in rows]

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        """One run's summary, or None."""
        rows = self._read(f"SELECT {RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,))
        return _run(rows[0]) if rows else None

    def records(self, run_id: str) -> list[tuple[int, dict[str, Any]]]:
        """(segment, record) for every stored epoch, in order."""
        rows = self._read(
            "SELECT segment, layout, data, extra FROM epochs WHERE run_id = ?"
            " ORDER BY segment, epoch",
            (run_id,),
        )
        return [(seg, decode(data, self._layout(lay), extra)) for seg, lay, data, extra in rows]

    def scalar_rows(self, run_id: str, keys: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(segment per stored epoch, float64 matrix of the scalar `keys`), in order: records'
        numbers without building a dict per epoch (None reads as NaN)."""
        rows = self._read(
            "SELECT segment, layout, data FROM epochs WHERE run_id = ? ORDER BY segment, epoch",
            (run_id,),
        )
        out = np.full((len(rows), len(keys)), np.nan)
        by_layout: dict[int, list[int]] = {}
        for i, row in enumerate(rows):
            by_layout.setdefault(row[1], []).append(i)
        for layout_id, index in by_layout.items():
            blobs = [rows[i][2] for i in index]
            out[index] = scalar_matrix(blobs, self._layout(layout_id), keys)
        return np.array([row[0] for row in rows], dtype=np.int64), out

    def iter_records(
        self, run_id: str, page: int = PAGE_ROWS
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        """`records`, read `page` rows at a time: memory stays bounded for long runs."""
        after = (-1, -1)
        while rows := self._read(
            "SELECT segment, epoch, layout, data, extra FROM epochs WHERE run_id = ?"
            " AND (segment, epoch) > (?, ?) ORDER BY segment, epoch LIMIT ?",
            (run_id, *after, page),
        ):
            for seg, _, lay, data, extra in rows:
                yield seg, decode(data, self._layout(lay), extra)
            after = rows[-1][:2]

    def iter_histograms(
        self, run_id: str, page: int = PAGE_ROWS
    ) -> Iterator[tuple[int, int, list[Any]]]:
        """`histograms`, read `page` frames at a time."""
        after = (-1, -1)
        while rows := self._read(
            "SELECT segment, epoch, data FROM histograms WHERE run_id = ?"
            " AND (segment, epoch) > (?, ?) ORDER BY segment, epoch LIMIT ?",
            (run_id, *after, page),
        ):
            for s, e, data in rows:
                yield s, e, json.loads(zlib.decompress(data))
            after = rows[-1][:2]

    def histograms(self, run_id: str) -> list[tuple[int, int, list[Any]]]:
        """(segment, epoch, layers) of every stored histograms frame, in order."""
        rows = self._read(
            "SELECT segment, epoch, data FROM histograms WHERE run_id = ? ORDER BY segment, epoch",
            (run_id,),
        )
        return [(s, e, json.loads(zlib.decompress(data))) for s, e, data in rows]

    def _layout(self, layout_id: int) -> dict[str, Any]:
        found = self._layouts.get(layout_id)
        if found is None:
            (spec,) = self._read("SELECT spec FROM layouts WHERE id = ?", (layout_id,))[0]
            found = self._layouts[layout_id] = json.loads(spec)
        return found

    def events(self, run_id: str) -> list[dict[str, Any]]:
        """The run's events in order."""
        rows = self._read(
            "SELECT segment, epoch, at, kind, payload FROM events WHERE run_id = ? ORDER BY id",
            (run_id,),
        )
        return [
            {"segment": s, "epoch": e, "at": at, "kind": k, "payload": json.loads(p)}
            for s, e, at, k, p in rows
        ]

    def checkpoints(self, run_id: str) -> list[tuple[int, int]]:
        """(segment, epoch) of the run's checkpoints, oldest first."""
        rows = self._read(
            "SELECT segment, epoch FROM checkpoints WHERE run_id = ? ORDER BY rowid",
            (run_id,),
        )
        return [(s, e) for s, e in rows]

    def latest_checkpoint(self, run_id: str) -> tuple[int, int, dict[str, Any], bytes] | None:
        """(segment, epoch, config, npz bytes) of the newest checkpoint, or None."""
        rows = self._read(
            "SELECT segment, epoch, config, data FROM checkpoints WHERE run_id = ?"
            " ORDER BY rowid DESC LIMIT 1",
            (run_id,),
        )
        if not rows:
            return None
        segment, epoch, config, data = rows[0]
        return segment, epoch, json.loads(config), bytes(data)

    def checkpoint_at(
        self, run_id: str, segment: int, epoch: int
    ) -> tuple[int, dict[str, Any], bytes] | None:
        """(epoch, config, npz bytes) of the segment's newest checkpoint at or before `epoch`."""
        rows = self._read(
            "SELECT epoch, config, data FROM checkpoints WHERE run_id = ? AND segment = ?"
            " AND epoch <= ? ORDER BY epoch DESC LIMIT 1",
            (run_id, segment, epoch),
        )
        if not rows:
            return None
        found, config, data = rows[0]
        return found, json.loads(config), bytes(data)

    def upload_ids(self, limit: int) -> list[str]:
        """Ids of the newest `limit` stored uploads, newest first."""
        rows = self._read("SELECT id FROM uploads ORDER BY created DESC, id LIMIT ?", (limit,))
        return [row[0] for row in rows]

    def upload(self, upload_id: str) -> dict[str, Any] | None:
        """A stored upload: filename, target, task and the CSV bytes; None when unknown."""
        rows = self._read(
            "SELECT filename, target, task, data FROM uploads WHERE id = ?", (upload_id,)
        )
        if not rows:
            return None
        filename, target, task, data = rows[0]
        return {"filename": filename, "target": target, "task": task, "data": bytes(data)}


def _run(row: Any) -> dict[str, Any]:
    keys = [k.strip() for k in RUN_COLUMNS.split(",")]
    run = dict(zip(keys, row, strict=True))
    run["config"] = json.loads(run["config"])
    return run
