"""ASGI middleware for room mode: nothing but the join page without a room pass.

Every page, REST route, websocket and static file needs a valid room cookie, except the few
paths the join page itself needs. The gate also notes which sessions each member creates (so
removing a member closes them) and can cut a removed member's open websockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict
from http.cookies import SimpleCookie

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.web.limits import send_json_error
from app.web.room import Member, Room

COOKIE = "backprop_room"
JOIN_PATH = "/join"
INSTRUCTOR_PATH = "/room/instructor"
# What a visitor without a pass may load: the join page, its style sheet and icon.
OPEN_PATHS = frozenset({JOIN_PATH, INSTRUCTOR_PATH, "/static/css/join.css", "/static/favicon.svg"})
RUNS = "/api/runs"  # stored runs: attendees may read one by id, not list, change or resume them
CLOSE_REMOVED = 4403
NOT_IN_ROOM = "join the room first: open /join and enter the code the instructor shows"


def room_cookie(scope: Scope) -> str | None:
    """The room cookie's value in a request, if any."""
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            with contextlib.suppress(Exception):  # a malformed Cookie header is no pass
                jar.load(value.decode("latin-1"))
            if COOKIE in jar:
                return jar[COOKIE].value
    return None


def member_of(scope: Scope) -> Member | None:
    """The member the gate found for this request (None outside room mode or on open paths)."""
    return scope.get("state", {}).get("room_member")


def _instructors_runs(scope: Scope, member: Member) -> bool:
    """Stored-run routes the instructor's alone: the list and every change, except that an
    attendee may resume a run of their own (a reload after their session expired) and attach a
    second tab to a live session of their own (app/web/run_attach.py checks the ownership)."""
    path: str = scope["path"]
    if path != RUNS and not path.startswith(RUNS + "/"):
        return False
    if path == RUNS:
        return True
    if _resumed_run(scope["method"], path) in member.sessions:
        return False
    if scope["method"] == "POST" and path.endswith("/attach"):
        return False  # the route gives a session's token to the member who owns it, no one else
    return scope["method"] not in ("GET", "HEAD")


def _resumed_run(method: str, path: str) -> str | None:
    """The run id of a POST /api/runs/{id}/resume."""
    parts = path.split("/")
    if method == "POST" and len(parts) == 5 and parts[4] == "resume":
        return parts[3]
    return None


def _owned_session_path(method: str, path: str) -> bool:
    """Routes whose 201 reply creates a session the caller owns."""
    if method != "POST":
        return False
    return path in ("/api/sessions", "/api/room/fork") or _resumed_run(method, path) is not None


class MemberSockets:
    """Each member's open websockets, so that removing a member can cut them."""

    def __init__(self) -> None:
        self._open: dict[str, set[asyncio.Event]] = defaultdict(set)

    def opened(self, member: Member) -> asyncio.Event:
        """Register a socket; returns the event that revoking its member sets."""
        revoked = asyncio.Event()
        self._open[member.id].add(revoked)
        return revoked

    def closed(self, member: Member, revoked: asyncio.Event) -> None:
        """Forget a socket that has ended."""
        sockets = self._open.get(member.id)
        if sockets is not None:
            sockets.discard(revoked)
            if not sockets:
                del self._open[member.id]

    def revoke(self, member: Member) -> None:
        """Close the removed member's websockets (their cookie is already gone)."""
        for revoked in self._open.pop(member.id, set()):
            revoked.set()


class RoomGate:
    """Refuse everyone without a room pass; remember members' sessions; cut removed sockets."""

    def __init__(self, app: ASGIApp, room: Room, sockets: MemberSockets) -> None:
        self.app = app
        self.room = room
        self.sockets = sockets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Let members through (noting who they are in scope['state']), refuse the others."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        member = self.room.member(room_cookie(scope))
        scope.setdefault("state", {})["room_member"] = member
        path = scope["path"]
        if path in OPEN_PATHS:
            await self.app(scope, receive, send)
        elif member is None:
            await self._refuse(scope, send)
        elif member.role != "instructor" and _instructors_runs(scope, member):
            await send_json_error(send, 403, "only the instructor lists and manages stored runs")
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send, member)
        elif _owned_session_path(scope["method"], path):
            await self.app(scope, receive, self._note_session(send, member))
        else:
            await self.app(scope, receive, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": "not in the room"})
            return
        path: str = scope["path"]
        page = scope["method"] in ("GET", "HEAD") and not path.startswith(("/api/", "/static/"))
        if not page:
            await send_json_error(send, 401, NOT_IN_ROOM)
            return
        headers = [(b"location", JOIN_PATH.encode()), (b"content-length", b"0")]
        await send({"type": "http.response.start", "status": 303, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    def _note_session(self, send: Send, member: Member) -> Send:
        """Read the created session's id from the reply (a small JSON body) as it goes out."""
        status = 0
        body = bytearray()

        async def noting_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and status == 201:
                body.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    with contextlib.suppress(ValueError, AttributeError, TypeError):
                        member.owns(str(json.loads(body)["id"]))
            await send(message)

        return noting_send

    async def _websocket(self, scope: Scope, receive: Receive, send: Send, member: Member) -> None:
        revoked = self.sockets.opened(member)
        state = {"accepted": False, "closed": False}

        async def tracking_send(message: Message) -> None:
            if message["type"] == "websocket.accept":
                state["accepted"] = True
            elif message["type"] == "websocket.close":
                state["closed"] = True
            await send(message)

        async def guarded_receive() -> Message:
            if not revoked.is_set():
                incoming = asyncio.ensure_future(receive())
                cut = asyncio.ensure_future(revoked.wait())
                done, _ = await asyncio.wait({incoming, cut}, return_when=asyncio.FIRST_COMPLETED)
                if incoming in done:
                    cut.cancel()
                    return incoming.result()
                incoming.cancel()
            if state["accepted"] and not state["closed"]:
                with contextlib.suppress(Exception):  # the client may be gone already
                    await tracking_send(
                        {"type": "websocket.close", "code": CLOSE_REMOVED, "reason": "removed"}
                    )
            return {"type": "websocket.disconnect", "code": CLOSE_REMOVED}

        try:
            await self.app(scope, guarded_receive, tracking_send)
        finally:
            self.sockets.closed(member, revoked)
