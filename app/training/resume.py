"""Reopen a stored run: a new session continues it from its newest checkpoint, epoch count kept.

The session is built from the checkpoint's config with the engine state restored, so training
carries on exactly where the checkpoint left it (same numbers as if it had never stopped). It
records into the same run and segment; epochs stored after the checkpoint (lost by a crash, or
trained after the last save) are written again as they are retrained. Its history starts with the
stored records (and histograms and markers) up to the checkpoint, so a page that attaches sees
the whole story, network edits included (records of other layers are re-keyed as they were live).
"""

from __future__ import annotations

import asyncio

from app.schemas.config import SessionConfig
from app.schemas.messages import encode_frame
from app.training.executors.messages import Checkpoint
from app.training.history import rekeyed_rows
from app.training.manager import SessionManager
from app.training.markers import Markers, stored_markers
from app.training.recorder import Recorder
from app.training.session import TrainingSession


class ResumeError(Exception):
    """The run cannot be reopened; `status` is the HTTP status to answer."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def live_session(manager: SessionManager, run_id: str) -> TrainingSession | None:
    """The session recording into `run_id` now, if any."""
    for session in manager.sessions.values():
        if session.recorder is not None and session.recorder.run_id == run_id:
            return session
    return None


async def resume(manager: SessionManager, run_id: str) -> TrainingSession:
    """Start a session that continues `run_id` from its newest checkpoint."""
    store = manager.store
    if store is None:
        raise ResumeError("this server does not store runs: start it with a data directory", 503)
    summary = store.get_run(run_id)
    if summary is None:
        raise ResumeError(f"no run {run_id!r}", 404)
    if live_session(manager, run_id) is not None:
        raise ResumeError(f"run {run_id!r} is open in a live session; attach to that one", 409)
    latest = store.latest_checkpoint(run_id)
    if latest is None:
        raise ResumeError(f"run {run_id!r} has no checkpoint to continue from", 409)
    segment, epoch, config_dump, data = latest
    config = SessionConfig.model_validate(config_dump)
    history = [r for s, r in store.records(run_id) if s == segment and r["epoch"] <= epoch]
    frames = [
        (e, {"type": "histograms", "epoch": e, "layers": layers})
        for s, e, layers in store.histograms(run_id)
        if s == segment and e <= epoch
    ]
    markers = stored_markers(store.events(run_id), segment, epoch)

    async def build(session_id: str, token: str) -> TrainingSession:
        last = Checkpoint(epoch, config_dump, data)
        recorder = Recorder(store, run_id, config_dump, segment=segment, create=False, last=last)
        session = await manager.open_session(session_id, token, config, recorder, data, epoch)
        if history:
            session.history.add(*(await asyncio.to_thread(rekeyed_rows, history)))
        session.markers = Markers(config_dump, markers)
        for frame_epoch, frame in frames:
            session.histograms.add(frame_epoch, encode_frame(frame))
        return session

    session = await manager.start_session(build)
    assert session.recorder is not None
    session.recorder.event(
        session.epoch, "resume", {"from_epoch": epoch, "state": summary["state"]}
    )
    store.update_run(run_id, state="idle", config=config_dump)
    return session
