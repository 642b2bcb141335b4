"""A training session: a state machine whose asyncio task runs the engine in a worker thread."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

import numpy as np
from pydantic import ValidationError

from app.schemas.config import merge_config
from app.schemas.messages import (
    AddPoint,
    ApplySample,
    Command,
    Configure,
    Inspect,
    Pause,
    Play,
    RemovePoint,
    Reset,
    Step,
    describe_validation_error,
    encode_frame,
    error_frame,
)
from app.training.detectors import chance_loss
from app.training.diagnoses import Diagnoser
from app.training.event_log import EventLog, Kind, RecordRows, Subscriber
from app.training.history import DecimatedList, RecordHistory, record_rows
from app.training.inspection import InspectError, apply_sample, inspection_frame
from app.training.markers import Markers, edit_frame_fields
from app.training.pacing import WAIT_SLICE, Pacer, stop_at_reason
from app.training.recorder import Recorder
from app.training.run import ConfigError, Run
from app.training.wire import Hello, HistoryText, Outgoing, encode_parts

log = logging.getLogger(__name__)

CHUNK_SECONDS = 0.03  # a chunk ends between two batches once this has passed
SNAPSHOT_SECONDS = 0.25  # at most this often ...
SNAPSHOT_SHARE = 0.2  # ... and at most this share of a session's time (a 3x256 boundary is slow)
LOG_CAPACITY = 20_000  # entries
LOG_BYTES = 4 * 1024 * 1024  # what a session's log may hold; a reader further behind resyncs
FRAME_BYTES = 2048  # estimated size of a control frame dict in the log
COMMAND_QUEUE_SIZE = 256
FINISH_EPOCH_SECONDS = 0.05  # a pause first finishes the epoch if it is this close to its end
T = TypeVar("T")


class SessionState(StrEnum):
    """Where a session is in its life."""

    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    DIVERGED = "diverged"
    STOPPED = "stopped"


@dataclass
class ChunkResult:
    """What one worker-thread chunk produced."""

    rows: RecordRows | None
    snapshot: str | None  # encoded in the worker thread
    stop: tuple[SessionState, str | None] | None
    histograms: list[tuple[int, str]] = field(default_factory=list)  # (epoch, encoded frame)
    # The same epochs as plain dicts, for the diagnoses and the recorder (dropped after use).
    records: list[dict[str, Any]] = field(default_factory=list)
    histogram_frames: list[dict[str, Any]] = field(default_factory=list)


class TrainingSession:
    """One browser session's training: commands in, an ordered log of events out."""

    def __init__(
        self, session_id: str, token: str, run: Run, recorder: Recorder | None = None
    ) -> None:
        self.id = session_id
        self.token = token
        self.run = run
        self.state = SessionState.IDLE
        self.reason: str | None = None
        self.history = RecordHistory()
        self.histograms: DecimatedList[str] = DecimatedList()  # spread over the whole run
        self._history_text = HistoryText()
        self.subscribers: set[Subscriber] = set()
        self.last_active = time.monotonic()
        self._log = EventLog(LOG_CAPACITY, LOG_BYTES)
        # One thread per session runs its engine work: commands never queue behind other sessions.
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"session-{session_id}")
        self._commands: asyncio.Queue[tuple[Command, Subscriber | None]] = asyncio.Queue(
            COMMAND_QUEUE_SIZE
        )
        self._steps_left = 0
        self._pacer = Pacer()
        self._last_snapshot_at = 0.0
        self._snapshot_cost = 0.0  # seconds the last snapshot took
        self._snapshot = encode_parts(run.snapshot())
        self._dataset = encode_parts(run.dataset_frame())
        self._task: asyncio.Task[None] | None = None
        self.recorder = recorder  # store seam: sees every entry, between chunks (engine idle)
        self.diagnoser = Diagnoser(run.config, chance_loss(run.data.task, run.data.y_train))
        self.markers = Markers(run.config.model_dump())  # where something changed (issue 9)

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start the driver task (call from the event loop)."""
        self._task = asyncio.create_task(self._drive(), name=f"session-{self.id}")

    async def close(self) -> None:
        """Stop the driver; the worker finishes its chunk and is discarded."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._executor.shutdown(wait=False)
        if self.recorder is not None:  # a running chunk's thread may still use the engine
            idle = self.state is not SessionState.RUNNING
            self.recorder.close(self.run, self.state.value, idle=idle)

    async def in_engine_thread(self, work: Callable[[], T]) -> T:
        """Run `work` in this session's engine thread, between two chunks (a fork's copy)."""
        return await self._in_thread(work)

    def _in_thread(self, work: Callable[[], T]) -> asyncio.Future[T]:
        """Run engine work in this session's thread."""
        return asyncio.get_running_loop().run_in_executor(self._executor, work)

    # ---- connections -----------------------------------------------------------------------

    def subscribe(self) -> tuple[Subscriber, Hello]:
        """Register a connection; returns it with the `hello` frame that brings it up to date."""
        sub = Subscriber(cursor=self._log.end)
        self.subscribers.add(sub)
        self.last_active = time.monotonic()
        return sub, self.hello()

    def unsubscribe(self, sub: Subscriber) -> None:
        """Forget a connection."""
        self.subscribers.discard(sub)
        self.last_active = time.monotonic()

    def submit(self, command: Command, origin: Subscriber | None = None) -> None:
        """Queue a command; it is applied between chunks, in order."""
        self.last_active = time.monotonic()
        try:
            self._commands.put_nowait((command, origin))
        except asyncio.QueueFull:
            self._reply(
                origin, error_frame("busy", "too many commands queued; wait for the server")
            )

    def submit_pause(self) -> None:
        """Pause on behalf of the server (nobody is watching)."""
        self.submit(Pause(type="pause"))

    def hello(self) -> Hello:
        """Everything a new connection needs: config, state, history, data, last snapshot.

        Captured now (copies, immutable texts); `Hello.encode` builds the text off the loop.
        """
        history, version = self.history, self.history.version
        cached = self._history_text.get(version) is not None
        return Hello(
            head={
                "type": "hello",
                "session": self.id,
                "config": self.run.config.model_dump(),
                "state": self.state.value,
                "reason": self.reason,
                "decimation": self.history.stride,
                "diagnoses": self.diagnoser.frame()["diagnoses"],
                "markers": list(self.markers.items),
            },
            rows=np.zeros((0, 0)) if cached else history.rows(),
            layer_names=history.layer_names if len(history) else self._layer_names(),
            dataset=self._dataset,
            snapshot=self._snapshot,
            histograms=[text for _, text in self.histograms.items],
            cache=self._history_text,
            version=version,
        )

    @property
    def snapshot_text(self) -> str:
        """The last snapshot frame, encoded (immutable: the room's wall reads it off the loop)."""
        return self._snapshot

    def drain(self, sub: Subscriber) -> list[Outgoing]:
        """Frames for `sub` since its last drain, in order; records between controls coalesce."""
        frames: list[Outgoing] = list(sub.outbox)
        sub.outbox.clear()
        unread = self._log.read(sub)
        # A connection too far behind gets a fresh hello rather than a silent gap.
        frames.extend(unread if unread is not None else [self.hello()])
        return frames

    # ---- the driver ------------------------------------------------------------------------

    async def _drive(self) -> None:
        while True:
            if self.state is SessionState.RUNNING:
                while not self._commands.empty():
                    await self._handle(*self._commands.get_nowait())
                if self.state is SessionState.RUNNING and await self._paced_wait():
                    await self._run_chunk()
            else:
                await self._handle(*(await self._commands.get()))

    async def _run_chunk(self) -> None:
        try:
            result = await self._in_thread(self._chunk)
            self._publish(result)  # inside: a failure here would end the driver, stuck "running"
        except Exception:
            log.exception("training chunk failed in session %s", self.id)
            self._set_state(
                SessionState.PAUSED, "Internal error while training; see the server log."
            )
            self._notify()

    def _publish(self, result: ChunkResult) -> None:
        """Put what a chunk produced into the history, the log, the diagnoses and the store."""
        if result.rows is not None:
            self.history.add(result.rows.rows, result.rows.layer_names)
            self._emit("records", result.rows, result.rows.rows.nbytes)
        for epoch, text in result.histograms:
            self.histograms.add(epoch, text)
            self._emit("histograms", text, len(text))
        for record in result.records:
            self._record("record", record)
        for frame in result.histogram_frames:
            self._record("histograms", frame)
        if self.diagnoser.update(result.records):  # diagnoses: after the records they cite
            self._emit("frame", self.diagnoser.frame())
        if result.snapshot is not None:
            self._snapshot = result.snapshot
            self._emit("snapshot", result.snapshot, len(result.snapshot))
        if result.stop is not None:
            self._set_state(*result.stop)
        self._notify()

    def _chunk(self) -> ChunkResult:
        """Worker thread: train for about CHUNK_SECONDS (ending between two batches, even within
        an epoch), stopping early on divergence or a stop; or, when one is due, only take a
        snapshot, so that a command never waits for training and a snapshot both."""
        training = self.run.config.training
        if Pacer.rate(training) is not None:
            return self._paced_chunk()
        if not self._snapshot_due():
            return self._train_chunk()
        return ChunkResult(None, self._take_snapshot(), None)

    def _train_chunk(self, seconds: float = CHUNK_SECONDS, max_epochs: int = 0) -> ChunkResult:
        """Train until `seconds` pass (between two batches) or `max_epochs` end (0: no limit)."""
        deadline = time.perf_counter() + seconds
        records: list[dict[str, Any]] = []
        histograms: list[tuple[int, str]] = []
        histogram_frames: list[dict[str, Any]] = []
        stop: tuple[SessionState, str | None] | None = None
        while stop is None:
            record = self.run.train(deadline)
            if record is None:  # the deadline passed within an epoch; it resumes next chunk
                break
            hist = record.pop("histograms", None)
            if hist:
                frame = {"type": "histograms", "epoch": record["epoch"], "layers": hist}
                histograms.append((record["epoch"], encode_frame(frame)))
                histogram_frames.append(frame)
            records.append(record)
            if self.recorder is not None:  # between epochs: where a checkpoint resumes exactly
                self.recorder.at_epoch_end(self.run)
            stop = self._stop_reason(record)
            if stop is None and (asked := stop_at_reason(record, self.run.config.training)):
                stop = (SessionState.PAUSED, asked)
            if stop is None and self._steps_left:
                self._steps_left -= 1
                if not self._steps_left:
                    stop = (SessionState.PAUSED, None)
            if time.perf_counter() >= deadline or len(records) == max_epochs:
                break
        snapshot = self._take_snapshot() if stop is not None else None  # the final picture
        rows = RecordRows(record_rows(records), self._layer_names()) if records else None
        return ChunkResult(rows, snapshot, stop, histograms, records, histogram_frames)

    # ---- slow motion (issue 9 §3; the stop-at-epoch check is in _train_chunk) ----------------

    async def _paced_wait(self) -> bool:
        """Wait for the next epoch's turn in short slices; False when a command arrives first."""
        while (left := self._pacer.wait_left(self.run.config.training)) > 0:
            if not self._commands.empty():
                return False
            await asyncio.sleep(min(left, WAIT_SLICE))
        return True

    def _paced_chunk(self) -> ChunkResult:
        """Worker thread, slow motion: at most one epoch, with its own snapshot while slow."""
        training = self.run.config.training
        result = self._train_chunk(max_epochs=1)
        due = Pacer.slow(training) or self._snapshot_due()
        if result.records and result.snapshot is None and due:
            result.snapshot = self._take_snapshot()
        self._pacer.epochs_ended(len(result.records), training)
        return result

    async def _finish_short_epoch(self) -> None:
        """Before a pause, finish a half-done epoch if that takes at most FINISH_EPOCH_SECONDS:
        a pause between epochs is one a checkpoint can resume exactly."""
        if FINISH_EPOCH_SECONDS <= 0 or not self.run.trainer.in_epoch:
            return
        try:
            result = await self._in_thread(
                lambda: self._train_chunk(FINISH_EPOCH_SECONDS, max_epochs=1)
            )
            self._publish(result)
        except Exception:
            log.exception("finishing an epoch failed in session %s", self.id)

    def _snapshot_due(self) -> bool:
        wait = max(SNAPSHOT_SECONDS, self._snapshot_cost / SNAPSHOT_SHARE)
        return time.monotonic() - self._last_snapshot_at >= wait

    def _take_snapshot(self) -> str:
        started = time.monotonic()
        text = encode_parts(self.run.snapshot())
        self._last_snapshot_at = now = time.monotonic()
        self._snapshot_cost = now - started
        return text

    @staticmethod
    def _stop_reason(record: dict[str, Any]) -> tuple[SessionState, str | None] | None:
        loss = record["train_loss"]
        if loss is None or not math.isfinite(loss):
            return (
                SessionState.DIVERGED,
                f"Diverged at epoch {record['epoch']}: the training loss became {loss}. "
                "Lower the learning rate, clip gradients, then press play to restart.",
            )
        if record.get("stopped"):
            return (
                SessionState.STOPPED,
                f"Early stopping at epoch {record['epoch']}: validation loss stopped improving. "
                "Press play to start a new run.",
            )
        return None

    # ---- commands --------------------------------------------------------------------------

    async def _handle(self, command: Command, origin: Subscriber | None) -> None:
        try:
            await self._dispatch(command, origin)
        except ConfigError as exc:
            self._reply(origin, error_frame(exc.code, exc.message))
        except ValueError as exc:  # the data or engine layer rejected a setting
            self._reply(origin, error_frame("bad_config", str(exc)))
        except Exception:
            log.exception("command %s failed in session %s", command.type, self.id)
            self._reply(
                origin, error_frame("internal", f"'{command.type}' failed; see the server log")
            )
        self._notify()

    async def _dispatch(self, command: Command, origin: Subscriber | None) -> None:
        if isinstance(command, Play):
            if self.state in (SessionState.DIVERGED, SessionState.STOPPED):
                await self._in_thread(self.run.reset)
                await self._after_rebuild()
            self._steps_left = 0
            self._set_state(SessionState.RUNNING)
        elif isinstance(command, Pause):
            self._steps_left = 0
            if self.state is SessionState.RUNNING:
                await self._finish_short_epoch()
                if self.state is SessionState.RUNNING:  # the epoch's end may have stopped it
                    self._set_state(SessionState.PAUSED)
        elif isinstance(command, Step):
            if self.state in (SessionState.DIVERGED, SessionState.STOPPED):
                await self._in_thread(self.run.reset)
                await self._after_rebuild()
            self._steps_left = command.epochs
            self._set_state(SessionState.RUNNING)
        elif isinstance(command, Reset):
            await self._in_thread(self.run.reset)
            await self._after_rebuild()
            if self.state is not SessionState.RUNNING:
                self._set_state(SessionState.IDLE)
        elif isinstance(command, Configure):
            await self._configure(command.config, origin, command.fix)
        elif isinstance(command, Inspect | ApplySample):
            await self._inspect(command, origin)
        elif isinstance(command, AddPoint | RemovePoint):
            if not self.run.data.is_planar:
                self._reply(
                    origin, error_frame("not_planar", "points can be edited on 2-D data only")
                )
                return
            if isinstance(command, AddPoint):
                await self._in_thread(
                    lambda: self.run.add_point(command.x, command.y, command.label)
                )
            else:
                await self._in_thread(lambda: self.run.remove_point(command.x, command.y))
            await self._after_data_change()
        else:  # Regenerate
            await self._in_thread(self.run.regenerate)
            self._emit(
                "frame",
                {"type": "config", "config": self.run.config.model_dump(), "rebuilt": False},
            )
            await self._after_data_change()

    async def _configure(
        self, patch: dict[str, Any], origin: Subscriber | None, fix: str | None = None
    ) -> None:
        try:
            new = merge_config(self.run.config, patch)
        except ValidationError as exc:
            message = f"invalid config: {describe_validation_error(exc)}"
            self._reply(origin, error_frame("bad_config", message))
            return
        rebuilt, edit = await self._in_thread(lambda: (self.run.apply(new), self.run.last_edit))
        extra = {"fix": fix} if fix else {}
        if rebuilt:  # which also leaves a diverged or stopped state
            await self._after_rebuild(extra | edit_frame_fields(edit, self._layer_names()))
        else:
            config = new.model_dump()
            self._emit("frame", {"type": "config", "config": config, "rebuilt": False, **extra})
            self._restart_diagnoses(None)  # same data: same guessing loss

    async def _after_rebuild(self, extra: dict[str, Any] | None = None) -> None:
        """New weights (and maybe new data): clear history, tell clients, show the fresh network.

        A network edit that kept the history (`extra` has `kept_history`) keeps it and its
        markers; `extra` goes into the config frame."""
        extra = extra or {}
        if not extra.get("kept_history"):
            self.history.clear()
            self.histograms.clear()
            self.markers.clear()
        if self.state in (SessionState.DIVERGED, SessionState.STOPPED):
            # Leave the old run's end with its history, before the awaits below let a client in.
            self._set_state(SessionState.IDLE)
        config = self.run.config.model_dump()
        self._emit("frame", {"type": "config", "config": config, "rebuilt": True, **extra})
        await self._after_data_change()

    async def _after_data_change(self) -> None:
        def frames() -> tuple[dict[str, Any], str, str, float]:
            data, dataset = self.run.data, self.run.dataset_frame()
            guessing = chance_loss(data.task, data.y_train)
            return dataset, encode_parts(dataset), encode_parts(self.run.snapshot()), guessing

        dataset, self._dataset, self._snapshot, guessing = await self._in_thread(frames)
        self._emit("frame", self._dataset, len(self._dataset))
        self._record("frame", dataset)
        self._emit("snapshot", self._snapshot, len(self._snapshot))
        self._restart_diagnoses(guessing)

    def _restart_diagnoses(self, guessing_loss: float | None) -> None:
        """A change makes the old evidence moot: clear the diagnoses (the page hides them)."""
        if self.diagnoser.restart(self.run.config, guessing_loss):
            self._emit("frame", self.diagnoser.frame())

    # ---- backprop inspector (issue 10) -----------------------------------------------------

    async def _inspect(self, command: Inspect | ApplySample, origin: Subscriber | None) -> None:
        """Trace one training point, or apply its single step, while the session is not training."""
        if self.state is SessionState.RUNNING:
            message = f"pause training first: '{command.type}' reads a paused network's weights"
            self._reply(origin, error_frame("not_paused", message))
            return
        try:
            if isinstance(command, Inspect):
                index = command.index
                frame = await self._in_thread(lambda: inspection_frame(self.run, index))
            else:
                index = command.index
                frame = await self._in_thread(lambda: apply_sample(self.run, index))
                self._snapshot = await self._in_thread(lambda: encode_parts(self.run.snapshot()))
                self._emit("snapshot", self._snapshot, len(self._snapshot))
        except InspectError as exc:
            self._reply(origin, error_frame(exc.code, exc.message))
            return
        self._reply(origin, frame)

    # ---- helpers ---------------------------------------------------------------------------

    def _set_state(self, state: SessionState, reason: str | None = None) -> None:
        if state is self.state and reason == self.reason:
            return
        self.state, self.reason = state, reason
        frame: dict[str, Any] = {"type": "state", "state": state.value}
        if reason:
            frame["reason"] = reason
        self._emit("frame", frame)

    def _emit(self, kind: Kind, payload: Any, nbytes: int = FRAME_BYTES) -> None:
        self._log.append(kind, payload, nbytes)
        if kind == "frame" and isinstance(payload, dict):
            self._record(kind, payload)

    def _record(self, kind: str, payload: dict[str, Any]) -> None:
        """Tell the markers and the store's recorder (if any) what happened, as plain dicts."""
        if kind == "frame" and (marker := self.markers.observe(payload, self.run.epoch)):
            self._log.append("frame", {"type": "marker", "marker": marker}, FRAME_BYTES)
        if self.recorder is not None:
            self.recorder.observe(kind, payload, self.run)

    def _reply(self, origin: Subscriber | None, frame: dict[str, Any]) -> None:
        if origin is not None:
            origin.outbox.append(frame)
            origin.wake.set()

    def _notify(self) -> None:
        for sub in self.subscribers:
            sub.wake.set()

    def _layer_names(self) -> tuple[str, ...]:
        return tuple(self.run.model.dense_names)
