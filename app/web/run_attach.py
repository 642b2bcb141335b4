"""POST /api/runs/{id}/attach: a second tab joins the live session that records a run.

It answers the session's id and token, so it is a POST (the same-origin check refuses it from
other sites), and in room mode only the member who owns that session gets them.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, HTTPException, Request

from app.training.session import TrainingSession
from app.web.room_gate import member_of

router = APIRouter(prefix="/api/runs")


def live_session(request: Request, run_id: str) -> TrainingSession | None:
    """The live session recording `run_id` (a session without a store records its own id)."""
    for session in request.app.state.manager.sessions.values():
        recorded = session.recorder.run_id if session.recorder is not None else session.id
        if recorded == run_id:
            found: TrainingSession = session
            return found
    return None


@router.post("/{run_id}/attach")
async def attach(run_id: str, request: Request) -> dict[str, Any]:
    """The live session of a run: {id, token, config, run, epoch}; 409 when the run is
    stored but not live (continue it with POST /api/runs/{id}/resume), 404 when unknown."""
    session = live_session(request, run_id)
    member = member_of(request.scope)
    if session is not None and member is not None and session.id not in member.sessions:
        raise HTTPException(403, "this run is someone else's: open your own runs only")
    if session is None:
        store = request.app.state.manager.store
        stored = store is not None and await asyncio.to_thread(store.get_run, run_id) is not None
        if stored:
            raise HTTPException(
                409, f"run {run_id!r} is not live: continue it with POST /api/runs/{run_id}/resume"
            )
        raise HTTPException(404, f"no live run {run_id!r}")
    return {**session.opened(), "run": run_id}
