"""A training session: a state machine whose asyncio task drives its Run through a runtime.

The Run lives with its host (a thread here or a worker process, see executors/); the session
keeps what clients see: the state, the history, the event log, the diagnoses, the recorder.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import numpy as np

from app.schemas.config import SessionConfig
from app.schemas.messages import Command, Pause, error_frame
from app.training.diagnoses import Diagnoser
from app.training.event_log import EventLog, Subscriber
from app.training.executors import Runtime
from app.training.executors.host import CHUNK_SECONDS
from app.training.executors.messages import ChunkResult, View, WorkerLost
from app.training.executors.thread import ThreadRuntime
from app.training.history import DecimatedList, RecordHistory, record_dicts
from app.training.markers import Markers
from app.training.pacing import WAIT_SLICE, Pacer
from app.training.recorder import Recorder
from app.training.run import Run, TableLookup
from app.training.session_commands import FRAME_BYTES, SessionCommands, SessionState
from app.training.wire import Hello, HistoryText, Outgoing

log = logging.getLogger(__name__)

LOG_CAPACITY = 20_000  # entries
LOG_BYTES = 4 * 1024 * 1024  # what a session's log may hold; a reader further behind resyncs
COMMAND_QUEUE_SIZE = 256
FINISH_EPOCH_SECONDS = 0.02  # a pause first finishes the epoch if it should end this soon
CLOSE_SECONDS = 5.0  # a closing session waits this long for its last checkpoint

__all__ = ["CHUNK_SECONDS", "SessionState", "TrainingSession"]


class TrainingSession(SessionCommands):
    """One browser session's training: commands in, an ordered log of events out."""

    def __init__(
        self,
        session_id: str,
        token: str,
        runtime: Runtime,
        view: View,
        recorder: Recorder | None = None,
        tables: TableLookup | None = None,
    ) -> None:
        self.id = session_id
        self.token = token
        self.runtime = runtime
        self.tables = tables  # uploads, sent to the host with the config that trains on one
        self.config = SessionConfig.model_validate(view.config)
        self.epoch, self.in_epoch = view.epoch, False
        self.is_planar, self.layer_names = view.is_planar, view.layer_names
        self.state = SessionState.IDLE
        self.reason: str | None = None
        self.history = RecordHistory()
        self.histograms: DecimatedList[str] = DecimatedList()  # spread over the whole run
        self._history_text = HistoryText()
        self.subscribers: set[Subscriber] = set()
        self.last_active = time.monotonic()
        self._log = EventLog(LOG_CAPACITY, LOG_BYTES)
        self._commands: asyncio.Queue[tuple[Command, Subscriber | None]] = asyncio.Queue(
            COMMAND_QUEUE_SIZE
        )
        self._steps_left = 0
        self._pacer = Pacer()
        self._snapshot = view.snapshot_text
        self._dataset = view.dataset_text
        self._task: asyncio.Task[None] | None = None
        self._ahead: asyncio.Future[ChunkResult] | None = None  # the next slice, asked early
        self._points_edited = False
        self.recorder = recorder  # store seam: sees every entry, between chunks
        self.diagnoser = Diagnoser(self.config, view.guessing_loss)
        self.markers = Markers(self.config.model_dump())  # where something changed (issue 9)
        self.sharing: dict[str, Any] | None = None  # the server's last `sharing` frame

    @classmethod
    def local(
        cls, session_id: str, token: str, run: Run, recorder: Recorder | None = None
    ) -> TrainingSession:
        """A session whose Run, built here, trains in a thread of this process (tests, tools)."""
        cadence = None if recorder is None else recorder.cadence
        runtime = ThreadRuntime.of_run(session_id, run, cadence)
        return cls(session_id, token, runtime, runtime.view_now(), recorder)

    @property
    def local_run(self) -> Run:
        """The Run itself, when it lives in this process (tests only: the session never uses it)."""
        run = self.runtime.local_run
        if run is None:
            raise AttributeError("this session's Run lives in a worker process")
        return run

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start the driver task (call from the event loop)."""
        self._task = asyncio.create_task(self._drive(), name=f"session-{self.id}")

    async def close(self) -> None:
        """Stop the driver; a last checkpoint if the engine is idle; forget the Run."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._drop_ahead()
        if self.recorder is not None:
            checkpoint = None
            try:
                async with asyncio.timeout(CLOSE_SECONDS):
                    await self._finish_paused_epoch()
                    # A running session's end is an interruption; diverged weights are not worth
                    # keeping.
                    if self.state not in (SessionState.RUNNING, SessionState.DIVERGED):
                        last = self.recorder.last
                        again = last is None or last.epoch != self.epoch  # a cancelled one
                        checkpoint = await self.runtime.call("checkpoint", again)
            except Exception:
                log.warning("no last checkpoint for session %s", self.id, exc_info=True)
            self.recorder.close(self.epoch, self.state.value, checkpoint)
        await self.runtime.close()

    # ---- connections -----------------------------------------------------------------------

    def subscribe(self, compact: bool = False) -> tuple[Subscriber, Hello]:
        """Register a connection; returns it with the `hello` frame that brings it up to date."""
        sub = Subscriber(cursor=self._log.end, compact=compact)
        if self.sharing is not None:  # after the hello: how busy the server is now
            sub.outbox.append(self.sharing)
            sub.wake.set()  # a paused session logs nothing that would wake the sender
        self.subscribers.add(sub)
        self.last_active = time.monotonic()
        return sub, self.hello(compact)

    def unsubscribe(self, sub: Subscriber) -> None:
        """Forget a connection."""
        self.subscribers.discard(sub)
        self.last_active = time.monotonic()

    def share(self, frame: dict[str, Any]) -> None:
        """Tell clients how the server's cores are shared, when that changed (not stored: it
        says how busy the server is, not what the run did)."""
        if frame == self.sharing:
            return
        self.sharing = frame
        self._log.append("frame", frame, FRAME_BYTES)
        self._notify()

    def submit(self, command: Command, origin: Subscriber | None = None) -> None:
        """Queue a command; it is applied between chunks, in order."""
        self.last_active = time.monotonic()
        try:
            self._commands.put_nowait((command, origin))
        except asyncio.QueueFull:
            self._reply(
                origin, error_frame("busy", "too many commands queued; wait for the server")
            )
            return
        if self.state is SessionState.RUNNING:
            self.runtime.hurry()  # a queued slice makes way, so the command lands sooner

    def submit_pause(self) -> None:
        """Pause on behalf of the server (nobody is watching)."""
        self.submit(Pause(type="pause"))

    def opened(self) -> dict[str, Any]:
        """What a client needs to take this session up: {id, token, config, epoch}."""
        return {
            "id": self.id,
            "token": self.token,
            "config": self.config.model_dump(),
            "epoch": self.epoch,
        }

    def hello(self, compact: bool = False) -> Hello:
        """Everything a new connection needs: config, state, history, data, last snapshot.

        Captured now (copies, immutable texts); it is encoded off the loop, in the encoding of
        the connection (`compact`), whose encoded history is reused while it is current.
        """
        history, version = self.history, self.history.version
        text = self._history_text
        cached = (text.get_packed(version) if compact else text.get(version)) is not None
        return Hello(
            head={
                "type": "hello",
                "session": self.id,
                "config": self.config.model_dump(),
                "state": self.state.value,
                "reason": self.reason,
                "decimation": self.history.stride,
                "diagnoses": self.diagnoser.frame()["diagnoses"],
                "markers": list(self.markers.items),
            },
            rows=np.zeros((0, 0)) if cached else history.rows(),
            layer_names=history.layer_names if len(history) else self.layer_names,
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
        frames.extend(unread if unread is not None else [self.hello(sub.compact)])
        return frames

    # ---- the driver ------------------------------------------------------------------------

    async def _drive(self) -> None:
        while True:
            if self.state is SessionState.RUNNING:
                if self._ahead is not None and not self._commands.empty():
                    await self._run_chunk()  # the slice asked ahead gave way: show it first
                while not self._commands.empty():
                    await self._handle(*self._commands.get_nowait())
                if self.state is SessionState.RUNNING and await self._paced_wait():
                    await self._run_chunk()
            else:
                await self._handle(*(await self._commands.get()))

    async def _run_chunk(self) -> None:
        try:
            ahead, self._ahead = self._ahead, None
            result: ChunkResult = await (ahead if ahead is not None else self._ask_chunk())
            if self._may_ask_ahead(result):
                # The next slice is asked for before this one is shown, so the worker trains
                # while this process handles the records (a turn is not lost to the round trip).
                self._ahead = asyncio.ensure_future(self._ask_chunk())
            self._publish(result)  # inside: a failure here would end the driver, stuck "running"
            await self._checkpoint_if_wanted()
        except WorkerLost as lost:
            self._drop_ahead()
            await self._recover(lost)
        except Exception:
            self._drop_ahead()
            log.exception("training chunk failed in session %s", self.id)
            self._set_state(
                SessionState.PAUSED, "Internal error while training; see the server log."
            )
            self._notify()

    async def _ask_chunk(self) -> ChunkResult:
        shared = len(self.subscribers) > 1  # e.g. a room's live run: its turns come often
        result: ChunkResult = await self.runtime.call(
            "chunk", self._steps_left, CHUNK_SECONDS, shared
        )
        return result

    def _may_ask_ahead(self, result: ChunkResult) -> bool:
        """Only open-ended play asks ahead: a step count, pacing, a stop, a command or a wanted
        checkpoint must see this slice's outcome first."""
        wants = self.recorder is not None and self.recorder.wants_checkpoint
        return (
            result.stop is None
            and not self._steps_left
            and Pacer.rate(self.config.training) is None
            and self._commands.empty()
            and not wants
        )

    def _drop_ahead(self) -> None:
        if self._ahead is not None:
            self._ahead.cancel()
            self._ahead = None

    async def _paced_wait(self) -> bool:
        """Wait for the next epoch's turn in short slices; False when a command arrives first."""
        while (left := self._pacer.wait_left(self.config.training)) > 0:
            if not self._commands.empty():
                return False
            await asyncio.sleep(min(left, WAIT_SLICE))
        return True

    async def _finish_paused_epoch(self) -> None:
        """A session paused mid-epoch that closes first finishes that epoch (in slices, so the
        worker's other sessions keep their turns): its checkpoint then resumes exactly."""
        while self.state is SessionState.PAUSED and self.in_epoch:
            result = await self.runtime.call("finish_epoch", CHUNK_SECONDS)
            if result is None:
                self.in_epoch = False
                return
            self._publish(result)

    async def _pause_now(self) -> None:
        """Pause: the host finishes a half-done epoch only if it should end within
        FINISH_EPOCH_SECONDS (a pause between epochs is one a checkpoint resumes exactly), else
        stops between two batches; a checkpoint it took is stored before clients see `paused`."""
        result, checkpoint = await self.runtime.call("pause", FINISH_EPOCH_SECONDS)
        if result is not None:
            self._publish(result)
        if self.state is not SessionState.RUNNING:  # the epoch's end stopped it
            return
        self._set_state(SessionState.PAUSED)
        if checkpoint is not None and self.recorder is not None:
            self.recorder.saved(checkpoint)
            self.recorder.wants_checkpoint = False

    def _publish(self, result: ChunkResult) -> None:
        """Put what a chunk produced into the history, the log, the diagnoses and the store."""
        self.epoch, self.in_epoch = result.epoch, result.in_epoch
        records = []
        if result.rows is not None:
            rows, names = result.rows.rows, result.rows.layer_names
            self.history.add(rows, names)
            self._emit("records", result.rows, rows.nbytes)
            if self._steps_left:
                self._steps_left = max(0, self._steps_left - len(rows))
            self._pacer.epochs_ended(len(rows), self.config.training)
            stopped = result.stop is not None and result.stop[0] == SessionState.STOPPED
            records = record_dicts(rows, names, stopped)  # for the diagnoses
            if self.recorder is not None:  # as one matrix: no dict per epoch in the store's queue
                self.recorder.records(rows, names, stopped)
        for epoch, text in result.histograms:
            self.histograms.add(epoch, text)
            self._emit("histograms", text, len(text))
            if self.recorder is not None:
                self.recorder.histograms(text)  # parsed by the store's writer thread
        for checkpoint in result.checkpoints:  # after the records they continue
            if self.recorder is not None:
                self.recorder.saved(checkpoint)
        if self.diagnoser.update(records):  # diagnoses: after the records they cite
            self._emit("frame", self.diagnoser.frame())
        if result.snapshot is not None:
            self._snapshot = result.snapshot
            self._emit("snapshot", result.snapshot, len(result.snapshot))
        if result.stop is not None:
            self._set_state(SessionState(result.stop[0]), result.stop[1])
        self._notify()
