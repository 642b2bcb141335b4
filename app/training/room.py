"""Room mode's session chores: close a removed attendee's sessions, fork the live one."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from app.schemas.config import SessionConfig
from app.training.executors.messages import Checkpoint
from app.training.manager import SessionManager
from app.training.markers import Markers
from app.training.recorder import Recorder
from app.training.session import TrainingSession

log = logging.getLogger(__name__)


async def close_sessions(manager: SessionManager, session_ids: Iterable[str]) -> int:
    """Close the named sessions that are still open; returns how many were."""
    closed = 0
    for session_id in list(session_ids):
        session = manager.sessions.pop(session_id, None)
        if session is None:
            continue
        await session.close()
        closed += 1
        log.info("closed session %s of a member removed from the room", session_id)
    return closed


async def fork_session(manager: SessionManager, source: TrainingSession) -> TrainingSession:
    """A new session that continues `source` from now (see fork_sessions)."""
    return (await fork_sessions(manager, source, 1))[0]


async def fork_sessions(
    manager: SessionManager, source: TrainingSession, count: int, branches: bool = False
) -> list[TrainingSession]:
    """`count` new sessions that continue `source` from the same moment: its config, weights,
    optimiser state, schedule, random streams, history and markers, at the epoch it has reached.

    The state is captured once by the host of the source's Run (a request down its runtime, like
    any command, between two of its training slices), so the source never stops; each fork opens
    from those bytes as a resumed run does. A copy taken inside an epoch keeps that epoch's steps
    already taken; the fork's next epoch is then a fresh one (so it is a branch, not a
    bit-identical continuation). If not all fit, the ones started are closed again and
    TooManySessions propagates. A reveal's `branches` have their own bound (the manager's).
    """
    state: Checkpoint = await source.runtime.call("capture")
    config = SessionConfig.model_validate(state.config)
    rows = source.history.rows()
    layer_names = source.history.layer_names
    histograms = [(e, text) for e, text in source.histograms.items if e <= state.epoch]
    markers = [m for m in source.markers.items if m["epoch"] <= state.epoch]

    async def build(session_id: str, token: str) -> TrainingSession:
        recorder = (
            None
            if manager.store is None
            else await asyncio.to_thread(Recorder, manager.store, session_id, config.model_dump())
        )
        session = await manager.open_session(session_id, token, config, recorder, state.data)
        if len(rows):
            session.history.add(rows[rows[:, 0] <= state.epoch], layer_names)
        for epoch, text in histograms:
            session.histograms.add(epoch, text)
        session.markers = Markers(config.model_dump(), markers)
        return session

    forks: list[TrainingSession] = []
    try:
        for _ in range(count):
            forks.append(await manager.start_session(build, branch=branches))
    except Exception:
        await close_sessions(manager, [f.id for f in forks])
        raise
    for session in forks:
        if session.recorder is not None:
            session.recorder.event(
                session.epoch, "fork", {"from_session": source.id, "epoch": state.epoch}
            )
    return forks
