"""A session's commands and what follows them: the half of TrainingSession that changes its Run.

Every change goes to the host of the session's Run through its runtime (the single writer of
the engine); what comes back (a View: encoded frames and a few facts) updates what the session
shows. A lost worker is recovered here too: the session reopens on another worker from its last
checkpoint and says so.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from app.schemas.config import SessionConfig, merge_config
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
    error_frame,
)
from app.training.diagnoses import Diagnoser
from app.training.event_log import EventLog, Kind, Subscriber
from app.training.executors import Movable, Runtime
from app.training.executors.messages import Checkpoint, OpenSpec, View, WorkerLost
from app.training.history import DecimatedList, RecordHistory
from app.training.inspection import InspectError
from app.training.markers import Markers
from app.training.recorder import Recorder
from app.training.run import ConfigError, TableLookup

log = logging.getLogger(__name__)

FRAME_BYTES = 2048  # estimated size of a control frame dict in the log
REOPEN_ATTEMPTS = 3  # workers tried after one is lost


class SessionState(StrEnum):
    """Where a session is in its life."""

    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    DIVERGED = "diverged"
    STOPPED = "stopped"


class SessionCommands:
    """Command handling, shown state and recovery; TrainingSession adds the driver and clients."""

    id: str
    runtime: Runtime
    config: SessionConfig
    state: SessionState
    reason: str | None
    epoch: int
    in_epoch: bool
    is_planar: bool
    layer_names: tuple[str, ...]
    history: RecordHistory
    histograms: DecimatedList[str]
    subscribers: set[Subscriber]
    recorder: Recorder | None
    diagnoser: Diagnoser
    markers: Markers
    tables: TableLookup | None
    _log: EventLog
    _steps_left: int
    _dataset: str
    _snapshot: str
    _points_edited: bool  # hand-placed points: a Run rebuilt from its config would lack them

    async def _pause_now(self) -> None:
        raise NotImplementedError

    # ---- commands --------------------------------------------------------------------------

    async def _handle(self, command: Command, origin: Subscriber | None) -> None:
        try:
            await self._dispatch(command, origin)
            await self._checkpoint_if_wanted()
        except ConfigError as exc:
            self._reply(origin, error_frame(exc.code, exc.message))
        except InspectError as exc:
            self._reply(origin, error_frame(exc.code, exc.message))
        except ValueError as exc:  # the data or engine layer rejected a setting
            self._reply(origin, error_frame("bad_config", str(exc)))
        except WorkerLost as lost:
            self._reply(origin, error_frame("worker_lost", f"'{command.type}' was lost; retry"))
            await self._recover(lost)
        except Exception:
            log.exception("command %s failed in session %s", command.type, self.id)
            self._reply(
                origin, error_frame("internal", f"'{command.type}' failed; see the server log")
            )
        self._notify()

    async def _dispatch(self, command: Command, origin: Subscriber | None) -> None:
        if isinstance(command, Play | Step):
            if self.state in (SessionState.DIVERGED, SessionState.STOPPED):
                self._after_rebuild(await self.runtime.call("reset"))
            self._steps_left = command.epochs if isinstance(command, Step) else 0
            if self.state is not SessionState.RUNNING:
                await self._move_if_crowded()
            self._set_state(SessionState.RUNNING)
        elif isinstance(command, Pause):
            self._steps_left = 0
            if self.state is SessionState.RUNNING:
                await self._pause_now()
        elif isinstance(command, Reset):
            self._after_rebuild(await self.runtime.call("reset"))
            if self.state is not SessionState.RUNNING:
                self._set_state(SessionState.IDLE)
        elif isinstance(command, Configure):
            await self._configure(command.config, origin, command.fix)
        elif isinstance(command, Inspect | ApplySample):
            await self._inspect(command, origin)
        elif isinstance(command, AddPoint | RemovePoint):
            if not self.is_planar:
                self._reply(
                    origin, error_frame("not_planar", "points can be edited on 2-D data only")
                )
                return
            self._points_edited = True
            if isinstance(command, AddPoint):
                view = await self.runtime.call("add_point", command.x, command.y, command.label)
            else:
                view = await self.runtime.call("remove_point", command.x, command.y)
            self._show(view)
        else:  # Regenerate
            view = await self.runtime.call("regenerate")
            self.config = SessionConfig.model_validate(view.config)
            self._emit("frame", {"type": "config", "config": view.config, "rebuilt": False})
            self._show(view)

    async def _configure(
        self, patch: dict[str, Any], origin: Subscriber | None, fix: str | None = None
    ) -> None:
        try:
            new = merge_config(self.config, patch)
        except ValidationError as exc:
            message = f"invalid config: {describe_validation_error(exc)}"
            self._reply(origin, error_frame("bad_config", message))
            return
        view = await self.runtime.call("apply", new.model_dump(), self._tables_for(new))
        self.config = new
        extra = {"fix": fix} if fix else {}
        if view is not None:  # which also leaves a diverged or stopped state
            self._after_rebuild(view, extra | view.edit)
        else:
            config = new.model_dump()
            self._emit("frame", {"type": "config", "config": config, "rebuilt": False, **extra})
            self._restart_diagnoses(None)  # same data: same guessing loss

    def _after_rebuild(self, view: View, extra: dict[str, Any] | None = None) -> None:
        """New weights (and maybe new data): clear history, tell clients, show the fresh network.

        A network edit that kept the history (`extra` has `kept_history`) keeps it and its
        markers (the history re-keys its rows to the new layers); `extra` goes into the config
        frame."""
        extra = extra or {}
        if not extra.get("kept_history"):
            self.history.clear()
            self.histograms.clear()
            self.markers.clear()
        if self.state in (SessionState.DIVERGED, SessionState.STOPPED):
            self._set_state(SessionState.IDLE)  # leave the old run's end with its history
        self.config = SessionConfig.model_validate(view.config)
        self.epoch, self.in_epoch = view.epoch, False
        self._emit("frame", {"type": "config", "config": view.config, "rebuilt": True, **extra})
        self._show(view)

    def _show(self, view: View) -> None:
        """Show a (re)built or edited Run: its points, its network, fresh diagnoses."""
        self.epoch, self.is_planar, self.layer_names = view.epoch, view.is_planar, view.layer_names
        self._dataset, self._snapshot = view.dataset_text, view.snapshot_text
        self._emit("frame", self._dataset, len(self._dataset))
        self._record("dataset", {"train": view.sizes[0], "val": view.sizes[1]})
        self._emit("snapshot", self._snapshot, len(self._snapshot))
        self._restart_diagnoses(view.guessing_loss)

    def _restart_diagnoses(self, guessing_loss: float | None) -> None:
        """A change makes the old evidence moot: clear the diagnoses (the page hides them)."""
        if self.diagnoser.restart(self.config, guessing_loss):
            self._emit("frame", self.diagnoser.frame())

    async def _inspect(self, command: Inspect | ApplySample, origin: Subscriber | None) -> None:
        """Trace one training point, or apply its single step, while the session is not training."""
        if self.state is SessionState.RUNNING:
            message = f"pause training first: '{command.type}' reads a paused network's weights"
            self._reply(origin, error_frame("not_paused", message))
            return
        if isinstance(command, Inspect):
            frame = await self.runtime.call("inspect", command.index)
        else:
            frame, self._snapshot = await self.runtime.call("apply_sample", command.index)
            self._emit("snapshot", self._snapshot, len(self._snapshot))
        self._reply(origin, frame)

    # ---- checkpoints and lost workers ------------------------------------------------------

    async def _checkpoint_if_wanted(self) -> None:
        """The recorder asked for a checkpoint (a pause or a stop): have the host capture one."""
        if self.recorder is not None and self.recorder.wants_checkpoint:
            self.recorder.wants_checkpoint = False
            checkpoint = await self.runtime.call("checkpoint")
            if checkpoint is not None:
                self.recorder.saved(checkpoint)

    async def _move_if_crowded(self) -> None:
        """About to play on a worker that runs two more sessions than another: move the Run
        there first (only between epochs, where a capture continues exactly, and only when the
        config rebuilds its data: hand-placed points would be lost)."""
        runtime = self.runtime
        if self.in_epoch or self._points_edited or not isinstance(runtime, Movable):
            return
        if not runtime.crowded():
            return
        capture: Checkpoint = await runtime.call("capture")
        last = None if self.recorder is None else self.recorder.last
        spec = self.open_spec(capture, -1 if last is None else last.epoch)
        await runtime.move(spec)  # a lost worker: the command's handler recovers
        log.info("session %s moved to a less crowded worker at epoch %d", self.id, capture.epoch)

    def open_spec(
        self, checkpoint: Checkpoint | None = None, last_checkpoint: int | None = None
    ) -> OpenSpec:
        """What a host needs to build this session's Run (from `checkpoint` if given)."""
        config = (
            self.config if checkpoint is None else SessionConfig.model_validate(checkpoint.config)
        )
        return OpenSpec(
            config=config.model_dump(),
            tables=self._tables_for(config),
            checkpoint=None if checkpoint is None else checkpoint.data,
            cadence=None if self.recorder is None else self.recorder.cadence,
            last_checkpoint=(
                last_checkpoint
                if last_checkpoint is not None
                else -1
                if checkpoint is None
                else checkpoint.epoch
            ),
        )

    async def _recover(self, lost: WorkerLost) -> None:
        """The worker hosting this Run stopped: reopen it elsewhere, from the last checkpoint."""
        checkpoint = None if self.recorder is None else self.recorder.last
        failed, view = "no worker could take it", None
        for _ in range(REOPEN_ATTEMPTS):
            try:
                view = await self.runtime.open(self.open_spec(checkpoint))
                break
            except WorkerLost:
                continue
            except Exception:  # it cannot be rebuilt (an upload gone?): the driver must go on
                log.exception("reopening session %s after a lost worker failed", self.id)
                failed = "it could not be rebuilt; see the server log"
                break
        if view is None:
            self._steps_left = 0
            self._set_state(SessionState.STOPPED, self._lost_text(lost, failed))
            self._notify()
            return
        self._steps_left = 0
        self._log.resync()  # every client starts over from a hello that shows the restored run
        if checkpoint is not None:
            self.history.truncate(checkpoint.epoch)
            self.histograms.truncate(checkpoint.epoch)
            self.markers.truncate(checkpoint.epoch)
            self.config = SessionConfig.model_validate(view.config)
            self.epoch, self.in_epoch = view.epoch, False
            self._emit("frame", {"type": "config", "config": view.config, "rebuilt": False})
            self._show(view)
            done = f"it continues from its checkpoint at epoch {checkpoint.epoch}"
        else:
            self._after_rebuild(view)
            why = (
                "no data directory keeps checkpoints"
                if self.recorder is None
                else "no checkpoint since its last rebuild"
            )
            done = f"it starts again from epoch 0 ({why})"
        self._set_state(SessionState.PAUSED, self._lost_text(lost, done + "; press play"))
        self._notify()

    @staticmethod
    def _lost_text(lost: WorkerLost, outcome: str) -> str:
        return f"The worker process training this session stopped ({lost.reason}): {outcome}."

    def _tables_for(self, config: SessionConfig) -> dict[str, Any]:
        """The uploaded table `config` trains on, to travel with it to the host."""
        upload_id = config.dataset.upload_id
        if config.dataset.name != "csv" or not upload_id or self.tables is None:
            return {}
        table = self.tables(upload_id)
        return {} if table is None else {upload_id: table}

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
        if kind == "frame":
            for sub in self.subscribers:
                sub.urgent.set()
            if isinstance(payload, dict):
                self._record(kind, payload)

    def _record(self, kind: str, payload: dict[str, Any]) -> None:
        """Tell the markers and the store's recorder (if any) what happened, as plain dicts."""
        frame = {"type": "dataset", **payload} if kind == "dataset" else payload
        if kind in ("frame", "dataset") and (marker := self.markers.observe(frame, self.epoch)):
            self._log.append("frame", {"type": "marker", "marker": marker}, FRAME_BYTES)
        if self.recorder is not None:
            self.recorder.observe(kind, payload, self.epoch)

    def _reply(self, origin: Subscriber | None, frame: dict[str, Any]) -> None:
        if origin is not None:
            origin.outbox.append(frame)
            origin.urgent.set()
            origin.wake.set()

    def _notify(self) -> None:
        for sub in self.subscribers:
            sub.wake.set()
