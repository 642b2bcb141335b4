"""Watch mode: a read-only websocket onto the session the instructor shows live.

It streams exactly what the instructor's own page receives (hello, metrics, snapshots,
histograms, diagnoses, …) through the same rate-limited sender, and answers every command with
an `error` frame `read_only`. When the instructor stops showing that session (or shows another)
the socket closes with code 4410, which the page takes as "look at the room again".
"""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from app.schemas.messages import encode_frame, error_frame
from app.training.event_log import Subscriber
from app.training.session import TrainingSession
from app.web.compact_send import COMPACT
from app.web.origin import origin_allowed
from app.web.room import Room
from app.web.ws import CLOSE_POLICY, send_hello, send_loop

router = APIRouter()

WATCH_PATH = "/ws/room/watch"
CLOSE_NOT_LIVE = 4410
READ_ONLY = (
    "you are watching the instructor's run: it is read-only here; stop watching (or fork it) "
    "to train yourself"
)


@router.websocket(WATCH_PATH)
async def watch_socket(websocket: WebSocket, encoding: str = "json") -> None:
    """Stream the live session to an attendee; refuse its commands."""
    if not origin_allowed(websocket.headers.get("origin"), websocket.headers.get("host")):
        await websocket.close(code=CLOSE_POLICY, reason="cross-origin websocket refused")
        return
    room: Room = websocket.app.state.room
    session = live_session(room, websocket.app.state.manager.sessions)
    await websocket.accept()
    if session is None:
        frame = error_frame("not_live", "the instructor is not showing a run right now")
        await websocket.send_text(encode_frame(frame))
        await websocket.close(code=CLOSE_NOT_LIVE, reason="nothing live")
        return
    await stream_read_only(websocket, session, room.live_changed(), encoding=encoding)


async def stream_read_only(
    websocket: WebSocket,
    session: TrainingSession,
    ended: asyncio.Event,
    refusal: str = READ_ONLY,
    encoding: str = "json",
) -> None:
    """Send `session`'s frames to an accepted socket, refusing commands, until `ended` is set
    (then close with CLOSE_NOT_LIVE) or the client leaves."""
    sub, hello = session.subscribe(encoding == COMPACT)
    try:
        await send_hello(websocket, hello, encoding)
        tasks = [
            asyncio.create_task(send_loop(websocket, session, sub, encoding)),
            asyncio.create_task(_refuse_commands(websocket, sub, refusal)),
            asyncio.create_task(ended.wait()),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):  # a client gone
                    await task
        if ended.is_set():
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await websocket.close(code=CLOSE_NOT_LIVE, reason="the live run changed")
    except WebSocketDisconnect:
        pass
    finally:
        session.unsubscribe(sub)


async def _refuse_commands(websocket: WebSocket, sub: Subscriber, refusal: str) -> None:
    """Answer every message with one `read_only` error (one pending at a time: no flood)."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        if not any(f.get("code") == "read_only" for f in sub.outbox if isinstance(f, dict)):
            sub.outbox.append(error_frame("read_only", refusal))
            sub.wake.set()


def live_session(room: Room, sessions: dict[str, TrainingSession]) -> TrainingSession | None:
    """The session shown live, if it still exists."""
    return sessions.get(room.live) if room.live else None
