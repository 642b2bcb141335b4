"""The host of one session's Run: the single writer of its engine, wherever it runs.

A session asks it for slices of training and for changes by name with plain arguments
(`HOST_METHODS`); each answer is plain data (see messages.py). It also decides, between epochs,
when a checkpoint is due, so that checkpoints are captured exactly where they can resume.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

import numpy as np

from app.data import Table
from app.engine.checkpoint import capture, from_bytes, restore, to_bytes
from app.schemas.config import SessionConfig
from app.schemas.messages import encode_frame
from app.training.cadence import Cadence
from app.training.detectors import chance_loss
from app.training.event_log import RecordRows
from app.training.executors.messages import Checkpoint, ChunkResult, OpenSpec, View
from app.training.history import record_rows
from app.training.inspection import apply_sample, inspection_frame
from app.training.markers import edit_frame_fields
from app.training.pacing import Pacer, stop_at_reason
from app.training.run import Run
from app.training.wire import encode_parts

CHUNK_SECONDS = 0.03  # a slice ends between two batches once this has passed
SNAPSHOT_SECONDS = 0.25  # at most this often ...
# ... and at most this share of the session's own training time (a 3x256 boundary is slow; a
# session sharing its core with seven others trains an eighth of the time, so it gets an eighth
# of the snapshots, rather than spending its turns drawing)
SNAPSHOT_SHARE = 0.1
HOST_METHODS = frozenset(
    {
        "view",
        "chunk",
        "finish_epoch",
        "pause",
        "reset",
        "apply",
        "regenerate",
        "add_point",
        "remove_point",
        "inspect",
        "apply_sample",
        "checkpoint",
        "capture",
    }
)


class CheckpointPolicy:
    """When to capture the engine's state: on the `cadence` (None: never, nothing records), and
    when asked (at an epoch's end if one is half done, since its permutation and half-done steps
    could not resume exactly); never of non-finite (diverged) weights."""

    def __init__(self, cadence: Cadence | None, last: int = -1) -> None:
        self.cadence = cadence
        self.last = last  # epoch of the last checkpoint in this segment
        self.pending = False

    def at_epoch_end(self, run: Run) -> Checkpoint | None:
        """Between two epochs: the due or postponed checkpoint, if any."""
        if self.cadence is None:
            return None
        last = max(self.last, 0)
        due = run.epoch - last >= self.cadence.interval(last)
        return self._take(run) if due or self.pending else None

    def now(self, run: Run, again: bool = False) -> Checkpoint | None:
        """A checkpoint now, or (mid-epoch) at the end of this epoch; None if nothing is new
        (unless `again`: the answer to an earlier request was lost)."""
        if self.cadence is None or (run.epoch == self.last and not again) or not _finite(run):
            return None
        if run.trainer.in_epoch:
            self.pending = True
            return None
        return self._take(run, again)

    def rebuilt(self) -> None:
        """New weights: a new segment starts with no checkpoint."""
        self.last, self.pending = -1, False

    def _take(self, run: Run, again: bool = False) -> Checkpoint | None:
        self.pending = False
        if (run.epoch == self.last and not again) or not _finite(run):
            return None
        self.last = run.epoch
        return Checkpoint(run.epoch, run.config.model_dump(), to_bytes(capture(run.trainer)))


class RunHost:
    """Owns one Run and answers a session's requests."""

    def __init__(
        self,
        run: Run,
        cadence: Cadence | None = None,
        last_checkpoint: int = -1,
        tables: dict[str, Table] | None = None,
    ) -> None:
        self.run = run
        self.tables = {} if tables is None else tables  # the dict `run` looks uploads up in
        self.policy = CheckpointPolicy(cadence, last_checkpoint)
        self._last_snapshot_at = 0.0
        self._snapshot_cost = 0.0  # seconds the last snapshot took
        self._trained = 0.0  # seconds spent training since the last snapshot
        self._batch_seconds: float | None = None  # recent seconds per batch (None: not known yet)

    @classmethod
    def open(cls, spec: OpenSpec) -> RunHost:
        """Build the Run a spec describes (from its checkpoint, if any)."""
        tables = dict(spec.tables)
        run = Run(SessionConfig.model_validate(spec.config), tables.get)
        if spec.checkpoint is not None:
            restore(run.trainer, from_bytes(spec.checkpoint))
        return cls(run, spec.cadence, spec.last_checkpoint, tables)

    def handle(self, method: str, args: tuple[Any, ...]) -> Any:
        """Call a request by name; only HOST_METHODS may be called."""
        if method not in HOST_METHODS:
            raise ValueError(f"unknown host request {method!r}")
        return getattr(self, method)(*args)

    # ---- what the session sees -------------------------------------------------------------

    def view(self) -> View:
        """The frames and facts of the Run as it is now."""
        run, data = self.run, self.run.data
        return View(
            config=run.config.model_dump(),
            epoch=run.epoch,
            dataset_text=encode_parts(run.dataset_frame()),
            snapshot_text=self._take_snapshot(),
            sizes=(len(data.y_train), len(data.y_val)),
            is_planar=bool(data.is_planar),
            layer_names=tuple(run.model.dense_names),
            guessing_loss=chance_loss(data.task, data.y_train),
        )

    # ---- training --------------------------------------------------------------------------

    def chunk(
        self, steps: int, seconds: float = CHUNK_SECONDS, shared: bool = False
    ) -> ChunkResult:
        """Train for about `seconds` (ending between two batches, even within an epoch), at most
        `steps` epochs (0: no limit) or one when paced; or, when one is due, only take a snapshot,
        so that a command never waits for training and a snapshot both. `shared` (several
        connections watch) only orders a worker's turns (executors/worker.py)."""
        training = self.run.config.training
        if Pacer.rate(training) is not None:
            result = self._train(seconds, 1, steps)
            due = Pacer.slow(training) or self._snapshot_due()
            if result.rows is not None and result.snapshot is None and due:
                result.snapshot = self._take_snapshot()
            return result
        if not self._snapshot_due():
            return self._train(seconds, 0, steps)
        return self._result(None, self._take_snapshot(), None)

    def finish_epoch(self, seconds: float) -> ChunkResult | None:
        """Finish a half-done epoch if that takes at most `seconds`; None if none is half done."""
        if not self.run.trainer.in_epoch:
            return None
        return self._train(seconds, 1, 0)

    def pause(self, within: float) -> tuple[ChunkResult | None, Checkpoint | None]:
        """Stop training: first finish the epoch in progress if, at its recent batch rate, it
        ends within `within` seconds; then a checkpoint. A pause mid-epoch takes no checkpoint
        now (a half-done epoch cannot resume exactly): the end of this epoch, after play, does."""
        result = None
        if self.run.trainer.in_epoch and self.epoch_seconds_left() <= within:
            result = self._train(2 * within, 1, 0)
        return result, self.policy.now(self.run)

    def epoch_seconds_left(self) -> float:
        """About how long the epoch in progress needs to end (inf while its rate is unknown)."""
        left = self.run.trainer.batches_left
        if left == 0:
            return 0.0
        return math.inf if self._batch_seconds is None else left * self._batch_seconds

    def _train_until(self, deadline: float) -> dict[str, Any] | None:
        """One `Run.train` call, timing its batches for `epoch_seconds_left`."""
        trainer = self.run.trainer
        before = trainer.batches_left if trainer.in_epoch else len(trainer.data.batches)
        started = time.thread_time()  # CPU time: a busy machine's pre-emptions do not count
        record = self.run.train(deadline)
        ran = before - trainer.batches_left if record is None else before
        if ran > 0:
            rate = (time.thread_time() - started) / ran
            last = self._batch_seconds
            # Down at once, up slowly: one slow call (a page fault, a cache miss) is not the rate.
            self._batch_seconds = rate if last is None or rate < last else 0.8 * last + 0.2 * rate
        return record

    def _train(self, seconds: float, max_epochs: int, steps: int) -> ChunkResult:
        started = time.perf_counter()
        deadline = started + seconds
        records: list[dict[str, Any]] = []
        histograms: list[tuple[int, str]] = []
        checkpoints: list[Checkpoint] = []
        stop: tuple[str, str | None] | None = None
        while stop is None:
            record = self._train_until(deadline)
            if record is None:  # the deadline passed within an epoch; it resumes next slice
                break
            hist = record.pop("histograms", None)
            if hist:
                frame = {"type": "histograms", "epoch": record["epoch"], "layers": hist}
                histograms.append((record["epoch"], encode_frame(frame)))
            records.append(record)
            if (checkpoint := self.policy.at_epoch_end(self.run)) is not None:
                checkpoints.append(checkpoint)
            stop = _stop_reason(record)
            if stop is None and (asked := stop_at_reason(record, self.run.config.training)):
                stop = ("paused", asked)
            if stop is None and steps and len(records) == steps:
                stop = ("paused", None)
            if time.perf_counter() >= deadline or len(records) == max_epochs:
                break
        if stop is not None and (checkpoint := self.policy.now(self.run)) is not None:
            # A pause or a stop: its checkpoint comes with the slice, so it is stored before any
            # client sees the new state (non-finite weights are never kept).
            checkpoints.append(checkpoint)
        self._trained += time.perf_counter() - started
        snapshot = self._take_snapshot() if stop is not None else None  # the final picture
        names = tuple(self.run.model.dense_names)
        rows = RecordRows(record_rows(records), names) if records else None
        result = self._result(rows, snapshot, stop)
        result.histograms, result.checkpoints = histograms, checkpoints
        return result

    def idle_result(self) -> ChunkResult:
        """A slice that trained nothing (it made way for a command)."""
        return self._result(None, None, None)

    def _result(
        self, rows: RecordRows | None, snapshot: str | None, stop: tuple[str, str | None] | None
    ) -> ChunkResult:
        return ChunkResult(rows, snapshot, stop, self.run.epoch, self.run.trainer.in_epoch)

    def _snapshot_due(self) -> bool:
        waited = time.monotonic() - self._last_snapshot_at >= SNAPSHOT_SECONDS
        return waited and self._trained >= self._snapshot_cost / SNAPSHOT_SHARE

    def _take_snapshot(self) -> str:
        started = time.monotonic()
        text = encode_parts(self.run.snapshot())
        self._last_snapshot_at = now = time.monotonic()
        self._snapshot_cost = now - started
        self._trained = 0.0
        return text

    # ---- changes ---------------------------------------------------------------------------

    def reset(self) -> View:
        """Fresh weights from the config's seed, same data."""
        self.run.reset()
        self.policy.rebuilt()
        return self.view()

    def apply(self, config: dict[str, Any], tables: dict[str, Any]) -> View | None:
        """Switch to a new config; the new view when the network was rebuilt, else None. A
        network edit that kept the history says what it kept in the view's `edit`."""
        self.tables.update(tables)
        if self.run.apply(SessionConfig.model_validate(config)):
            self.policy.rebuilt()
            edit = edit_frame_fields(self.run.last_edit, self.run.model.dense_names)
            return dataclasses.replace(self.view(), edit=edit)
        return None

    def regenerate(self) -> View:
        """New points from the next data seed; the weights are kept."""
        self.run.regenerate()
        return self.view()

    def add_point(self, x: float, y: float, label: float) -> View:
        """Add a hand-placed training point."""
        self.run.add_point(x, y, label)
        return self.view()

    def remove_point(self, x: float, y: float) -> View:
        """Remove the training point nearest to (x, y)."""
        self.run.remove_point(x, y)
        return self.view()

    def inspect(self, index: int | str) -> dict[str, Any]:
        """The backprop inspector's walk through one training point."""
        return inspection_frame(self.run, index)

    def apply_sample(self, index: int) -> tuple[dict[str, Any], str]:
        """Apply one sample's update; its frame and the snapshot after it."""
        frame = apply_sample(self.run, index)
        return frame, self._take_snapshot()

    def checkpoint(self, again: bool = False) -> Checkpoint | None:
        """A checkpoint now, or at the end of the epoch in progress (in a later chunk's result);
        `again` takes one even if this epoch's was taken (its answer never reached the session,
        whose request was cancelled as it closed)."""
        return self.policy.now(self.run, again)

    def capture(self) -> Checkpoint:
        """The engine's state now, even within an epoch, for a fork (room.fork_sessions) to
        continue from; the policy does not count it (it is not stored as this run's)."""
        run = self.run
        return Checkpoint(run.epoch, run.config.model_dump(), to_bytes(capture(run.trainer)))


def _finite(run: Run) -> bool:
    """Diverged weights are not worth continuing from (nor replaying)."""
    return bool(np.isfinite(run.model.theta).all())


def _stop_reason(record: dict[str, Any]) -> tuple[str, str | None] | None:
    loss = record["train_loss"]
    if loss is None or not math.isfinite(loss):
        return (
            "diverged",
            f"Diverged at epoch {record['epoch']}: the training loss became {loss}. "
            "Lower the learning rate, clip gradients, then press play to restart.",
        )
    if record.get("stopped"):
        return (
            "stopped",
            f"Early stopping at epoch {record['epoch']}: validation loss stopped improving. "
            "Press play to start a new run.",
        )
    return None
