"""Room mode's wiring: the room, its gate, its routes, and the greeting `serve --room` prints."""

from __future__ import annotations

import io

import segno
from fastapi import FastAPI

from app.lan import base_url, public_address
from app.settings import Settings
from app.training.room_votes import Classroom
from app.web import room_poll, room_routes, room_wall, room_watch
from app.web.room import Room, show_code
from app.web.room_gate import INSTRUCTOR_PATH, JOIN_PATH, MemberSockets, RoomGate
from app.web.throttle import FailureLimiter


def install_room(app: FastAPI, settings: Settings) -> Room:
    """Put `app` behind a room: call between the inner middlewares and the Origin/Host checks."""
    room = Room()
    app.state.room = room
    app.state.room_base_url = None  # set once the server listens (the port may be chosen then)
    app.state.join_limiter = FailureLimiter(
        settings.room_join_burst, settings.room_join_per_second, settings.token_failure_clients
    )
    app.include_router(room_routes.router)
    app.include_router(room_watch.router)
    app.include_router(room_poll.router)
    app.include_router(room_wall.router)
    app.state.classroom = Classroom()
    app.state.wall_feed = room_wall.WallFeed()
    app.state.room_sockets = sockets = MemberSockets()
    app.add_middleware(RoomGate, room=room, sockets=sockets)
    return room


def instructor_url(app: FastAPI, host: str, port: int) -> str:
    """The instructor's secret link."""
    base = base_url(public_address(host), port)
    return f"{base}{INSTRUCTOR_PATH}?token={app.state.room.token}"


def greeting(app: FastAPI, host: str, port: int) -> str:
    """What `serve --room` prints once it listens: both links, the code, a QR code to scan."""
    room: Room = app.state.room
    base = base_url(public_address(host), port)
    app.state.room_base_url = base
    join = f"{base}{JOIN_PATH}"
    qr = io.StringIO()
    segno.make(f"{join}?code={room.code}", error="m").terminal(out=qr, compact=True, border=2)
    return (
        f"\nWorkshop room is open.\n"
        f"  Instructor (keep this link to yourself): {instructor_url(app, host, port)}\n"
        f"  Attendees: open {join} and enter the code  {show_code(room.code)}\n"
        f"  or scan:\n{qr.getvalue()}"
    )
