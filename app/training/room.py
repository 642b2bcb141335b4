"""Room mode's session chores: close a removed attendee's sessions."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from app.training.manager import SessionManager

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
