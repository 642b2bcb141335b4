"""The session websocket: Origin check, token check, then a receiver and a rate-limited sender."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from app.schemas.messages import ProtocolError, encode_frame, error_frame, parse_command
from app.training.event_log import Subscriber
from app.training.session import TrainingSession
from app.training.wire import Hello, encode_all
from app.web.compact_send import COMPACT, ENCODINGS, send_compact, send_compact_hello
from app.web.credentials import TooManyFailures, check_session
from app.web.origin import origin_allowed
from app.web.tabs import joined, left

log = logging.getLogger(__name__)
router = APIRouter()

CLOSE_POLICY = 1008
CLOSE_NO_SESSION = 4404
CLOSE_TOO_MANY_FAILURES = 4429


@router.websocket("/ws/sessions/{session_id}")
async def session_socket(
    websocket: WebSocket, session_id: str, token: str = "", encoding: str = "json"
) -> None:
    """Stream a session to one browser tab and take its commands."""
    if not origin_allowed(websocket.headers.get("origin"), websocket.headers.get("host")):
        await websocket.close(code=CLOSE_POLICY, reason="cross-origin websocket refused")
        return
    try:
        session = check_session(websocket, session_id, token)
    except TooManyFailures as exc:
        await websocket.accept()
        await websocket.send_text(encode_frame(error_frame("rate_limited", str(exc))))
        await websocket.close(code=CLOSE_TOO_MANY_FAILURES, reason="too many failed token checks")
        return
    await websocket.accept()
    if session is None:
        await websocket.send_text(
            encode_frame(
                error_frame("no_session", "unknown session or wrong token; create a new session")
            )
        )
        await websocket.close(code=CLOSE_NO_SESSION, reason="unknown session")
        return
    sub, hello = session.subscribe(encoding == COMPACT)
    settings = websocket.app.state.settings
    try:
        await send_hello(websocket, hello, encoding)
        joined(session, sub)
        sender = asyncio.create_task(send_loop(websocket, session, sub, encoding))
        try:
            await _receive_loop(websocket, session, sub, settings.ws_max_message_bytes)
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await sender
    except WebSocketDisconnect:
        pass
    finally:
        session.unsubscribe(sub)
        left(session, sub)


async def _receive_loop(
    websocket: WebSocket, session: TrainingSession, sub: Subscriber, max_bytes: int
) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text is None:
            _tell(sub, "bad_message", "expected a JSON text message, got binary data")
            continue
        if len(text) > max_bytes:
            _tell(sub, "too_large", f"message of {len(text):,} characters; at most {max_bytes:,}")
            continue
        try:
            session.submit(parse_command(text), sub)
        except ProtocolError as exc:
            _tell(sub, exc.code, exc.message)
        except Exception:  # a message must never kill the connection
            log.exception("could not handle a websocket message of %d characters", len(text))
            _tell(sub, "internal", "the server could not handle this message; see its log")


async def _send_loop(
    websocket: WebSocket, session: TrainingSession, sub: Subscriber, interval: float
) -> None:
    loop = asyncio.get_running_loop()
    while True:
        await sub.wake.wait()
        sub.wake.clear()
        sub.urgent.clear()  # before the drain: what it does not carry ends the next wait
        started = loop.time()
        for text in await encode_all(session.drain(sub)):
            await websocket.send_text(text)
        # Frames coalesce while we wait: at most one burst per interval, however fast training
        # runs; a control frame (a command's answer, a state change) ends the wait at once.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.0, interval - (loop.time() - started))):
                await sub.urgent.wait()


async def send_hello(websocket: WebSocket, hello: Hello, encoding: str) -> None:
    """A connection's first frame, encoded off the event loop: binary for a compact client."""
    if encoding == COMPACT:
        await send_compact_hello(websocket, hello)
    else:
        await websocket.send_text((await encode_all([hello]))[0])


def send_loop(
    websocket: WebSocket, session: TrainingSession, sub: Subscriber, encoding: str
) -> Coroutine[Any, Any, None]:
    """The sender for the encoding the client asked for (`?encoding=compact`), else JSON."""
    settings = websocket.app.state.settings
    if encoding == COMPACT:
        rate = settings.compact_bytes_per_second
        return send_compact(websocket, session, sub, settings.frame_interval, rate)
    if encoding != "json":
        expected = " or ".join(ENCODINGS)
        _tell(sub, "bad_encoding", f"unknown encoding {encoding[:40]!r}: expected {expected}")
    return _send_loop(websocket, session, sub, settings.frame_interval)


def _tell(sub: Subscriber, code: str, message: str) -> None:
    sub.outbox.append(error_frame(code, message))
    sub.urgent.set()
    sub.wake.set()
