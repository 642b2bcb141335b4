"""Room-mode test helpers: an app behind a room under TestClient, joining, cookies."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.settings import LOOPBACK_HOSTS, Settings
from app.web.room import Room
from app.web.room_gate import COOKIE


def make_room_app(**overrides: Any) -> FastAPI:
    """The app in room mode, bound to loopback; TestClient's Host `testserver` is allowed."""
    from app.main import create_app

    settings = Settings(room=True, data_dir=None, allowed_hosts=(*LOOPBACK_HOSTS, "testserver"))
    return create_app(dataclasses.replace(settings, **overrides))


def room_of(client: TestClient) -> Room:
    """The room behind a client's app."""
    app: Any = client.app
    return app.state.room


def as_member(cookie: str) -> dict[str, str]:
    """Headers that present a room pass."""
    return {"cookie": f"{COOKIE}={cookie}"}


def join(client: TestClient, code: str | None = None, name: str = "") -> str:
    """Join with `code` (the room's own by default); returns the cookie, leaving the jar empty."""
    code = room_of(client).code if code is None else code
    reply = client.post("/join", data={"code": code, "name": name}, follow_redirects=False)
    assert reply.status_code == 303, reply.text
    cookie = reply.cookies[COOKIE]
    client.cookies.clear()
    return cookie


def instructor(client: TestClient) -> str:
    """Follow the instructor's link; returns the instructor's cookie."""
    token = room_of(client).token
    reply = client.get(f"/room/instructor?token={token}", follow_redirects=False)
    assert reply.status_code == 303, reply.text
    cookie = reply.cookies[COOKIE]
    client.cookies.clear()
    return cookie
