"""The class wall: one bounded summary of every attendee's run (and of a reveal's branches),
rebuilt at most every WALL_INTERVAL seconds in a worker thread and sent as the same bytes to
every wall viewer; the reveal's branches alone, as the same bytes to every attendee; and a
read-only socket onto one of those runs (any, for the instructor; a branch, for attendees)."""

from __future__ import annotations

import asyncio
import json
import math
import time
from typing import Any

from fastapi import APIRouter, Request, Response, WebSocket

from app.schemas.messages import encode_frame, error_frame
from app.training.manager import SessionManager
from app.training.room_votes import Classroom
from app.training.room_wall import Glimpse, Thumbnails, glimpse, loss_columns, summary
from app.web.origin import origin_allowed
from app.web.room import Room
from app.web.room_gate import member_of
from app.web.room_routes import require_instructor, require_member
from app.web.room_watch import CLOSE_NOT_LIVE, stream_read_only
from app.web.ws import CLOSE_POLICY

router = APIRouter()

WALL_INTERVAL = 0.6  # seconds: the wall's refresh rate is at most 1/WALL_INTERVAL
WALL_WATCH_PATH = "/ws/room/wall/{session_id}"
GONE_CHECK_SECONDS = 1.0
WATCH_ONLY = "this run is shown read-only: stop watching to use your own"


class WallFeed:
    """The wall's payload, shared: whoever asks first after WALL_INTERVAL rebuilds it."""

    def __init__(self, interval: float = WALL_INTERVAL) -> None:
        self.interval = interval
        self.builds = 0
        self._payload = b""
        self._branches = b""  # the branches part alone, for attendees
        self._built_at = -math.inf
        self._lock = asyncio.Lock()
        self._thumbs = Thumbnails()

    async def payload(self, room: Room, classroom: Classroom, manager: SessionManager) -> bytes:
        """The current encoded payload (rebuilt off the event loop when stale)."""
        await self._refresh(room, classroom, manager)
        return self._payload

    async def branches(self, room: Room, classroom: Classroom, manager: SessionManager) -> bytes:
        """The reveal's branches alone: {branch_epoch, branches: [...]} (rebuilt with the wall)."""
        await self._refresh(room, classroom, manager)
        return self._branches

    async def _refresh(self, room: Room, classroom: Classroom, manager: SessionManager) -> None:
        async with self._lock:
            now = time.monotonic()
            if now - self._built_at >= self.interval:
                runs, branches, poll = self._glimpses(room, classroom, manager)
                built = await asyncio.to_thread(self._build, runs, branches, poll)
                self._payload, self._branches = built
                self._built_at = time.monotonic()
                self.builds += 1

    def _glimpses(
        self, room: Room, classroom: Classroom, manager: SessionManager
    ) -> tuple[list[Glimpse], list[Glimpse], dict[str, Any] | None]:
        """On the loop: each attendee's newest open session, and the reveal's branches."""
        runs = []
        for member in room.members("attendee"):
            session = next(
                (manager.sessions[s] for s in reversed(member.sessions) if s in manager.sessions),
                None,
            )
            if session is not None:
                runs.append(glimpse(session, member.id, member.name))
        branches = []
        poll = classroom.poll
        if poll is not None:
            for index, session_id in enumerate(poll.branches):
                session = manager.sessions.get(session_id)
                if session is not None:
                    session.last_active = time.monotonic()  # watched on the wall: keep it going
                    label = poll.choices[index].label
                    branches.append(glimpse(session, str(index), label, poll.branch_epoch))
        return runs, branches, poll.describe(None, counts=True) if poll else None

    def _build(
        self, runs: list[Glimpse], branches: list[Glimpse], poll: dict[str, Any] | None
    ) -> tuple[bytes, bytes]:
        """Worker thread: thumbnails (cached per snapshot); the wall's and the branches' JSON."""
        self._thumbs.keep_only({g.session for g in runs})
        body = {
            "runs": [summary(g, self._thumbs) for g in runs],
            "poll": poll,
            "branches": [
                {
                    "choice": int(g.key),
                    "label": g.name,
                    "session": g.session,
                    "epoch": g.epoch,
                    "state": g.state,
                    "settings": g.settings,
                    "loss": loss_columns(g.rows),
                }
                for g in branches
            ],
        }
        alone = {"branch_epoch": poll.get("branch_epoch") if poll else None}
        alone["branches"] = body["branches"]

        def text(value: Any) -> bytes:
            return json.dumps(value, separators=(",", ":"), allow_nan=False).encode()

        return text(body), text(alone)


def wall_feed(request: Request) -> WallFeed:
    """The app's wall feed."""
    return request.app.state.wall_feed


@router.get("/api/room/wall")
async def wall(request: Request) -> Response:
    """The wall's payload: {runs: [...], poll, branches: [...]} (instructor only)."""
    require_instructor(request)
    state = request.app.state
    body = await wall_feed(request).payload(state.room, state.classroom, state.manager)
    return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})


@router.get("/api/room/branches")
async def branches(request: Request) -> Response:
    """The reveal's branches for any member: {branch_epoch, branches: [...]} (empty: none)."""
    require_member(request)
    state = request.app.state
    body = await wall_feed(request).branches(state.room, state.classroom, state.manager)
    return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})


@router.websocket(WALL_WATCH_PATH)
async def wall_watch(websocket: WebSocket, session_id: str, encoding: str = "json") -> None:
    """The instructor watches one run from the wall, large and read-only; an attendee, one
    branch of the reveal."""
    if not origin_allowed(websocket.headers.get("origin"), websocket.headers.get("host")):
        await websocket.close(code=CLOSE_POLICY, reason="cross-origin websocket refused")
        return
    member = member_of(websocket.scope)
    poll = websocket.app.state.classroom.poll
    branch = poll is not None and session_id in poll.branches
    if member is None or (member.role != "instructor" and not branch):
        reason = "only the instructor watches attendees' runs; attendees, a reveal's branches"
        await websocket.close(code=CLOSE_POLICY, reason=reason)
        return
    session = websocket.app.state.manager.sessions.get(session_id)
    await websocket.accept()
    if session is None:
        frame = error_frame("not_live", "that run has ended")
        await websocket.send_text(encode_frame(frame))
        await websocket.close(code=CLOSE_NOT_LIVE, reason="no such run")
        return
    gone = asyncio.Event()
    watcher = asyncio.create_task(_until_closed(websocket.app.state.manager, session_id, gone))
    try:
        await stream_read_only(websocket, session, gone, WATCH_ONLY, encoding)
    finally:
        watcher.cancel()


async def _until_closed(manager: SessionManager, session_id: str, gone: asyncio.Event) -> None:
    """Set `gone` once the session has closed (its owner left, or it expired)."""
    while session_id in manager.sessions:
        await asyncio.sleep(GONE_CHECK_SECONDS)
    gone.set()
