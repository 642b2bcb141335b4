"""The `sharing` frame: how many sessions run on how many cores, on JSON and compact sockets."""

from __future__ import annotations

import contextlib
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import strict_json
from tests.web.test_compact_ws import compact_client
from tests.web.test_ws import open_session, read_until

SLOW = {"training": {"epochs_per_second": 5}}  # running, but few frames to read


def is_sharing(running: int) -> Any:
    return lambda f: f["type"] == "sharing" and f["running"] == running


def test_running_sessions_beyond_the_cores_hear_their_share(client: TestClient) -> None:
    cores = client.app.state.manager.sharing_frame()["cores"]  # type: ignore[attr-defined]
    running = cores + 1
    with contextlib.ExitStack() as stack:
        sockets = []
        for _ in range(running):
            sid, token = open_session(client, SLOW)
            ws = stack.enter_context(client.websocket_connect(f"/ws/sessions/{sid}?token={token}"))
            assert strict_json(ws.receive_text())["type"] == "hello"
            ws.send_json({"type": "play"})
            sockets.append((ws, sid, token))
        ws, sid, token = sockets[0]
        frame = read_until(ws, is_sharing(running))[-1]
        assert frame == {
            "type": "sharing",
            "running": running,
            "cores": cores,
            "share": round(cores / running, 3),
        }
        # A compact socket gets it as a control frame too, right after its hello.
        with compact_client(client, sid, token) as reader:
            reader.read_until(is_sharing(running))
            assert "sharing" in reader.text_types
        # One pauses: every core has a session of its own again.
        last, *_ = sockets[-1]
        last.send_json({"type": "pause"})
        frame = read_until(ws, is_sharing(cores))[-1]
        assert frame["share"] == 1.0
        for other, *_ in sockets:
            other.send_json({"type": "pause"})


def test_the_cap_says_how_many_sessions_are_open_and_what_to_do(client: TestClient) -> None:
    client.app.state.manager.max_sessions = 1  # type: ignore[attr-defined]
    assert client.post("/api/sessions", json={}).status_code == 201
    reply = client.post("/api/sessions", json={})
    assert reply.status_code == 503
    detail = reply.json()["detail"]
    assert detail.startswith("1 session is open on this server (the most it runs at once)")
    assert "close a tab" in detail and "instructor" in detail


def test_a_paused_session_s_new_socket_hears_the_share_at_once(client: TestClient) -> None:
    # The share was counted before this socket came; nothing else happens on a paused session,
    # so only the sender's wake-up on subscribe brings the frame (it used to wait for the next
    # log entry: a fresh page's note stayed empty until play).
    manager = client.app.state.manager  # type: ignore[attr-defined]
    sid, token = open_session(client)
    manager.sessions[sid].share(manager.sharing_frame())
    with client.websocket_connect(f"/ws/sessions/{sid}?token={token}") as ws:
        assert strict_json(ws.receive_text())["type"] == "hello"
        assert read_until(ws, is_sharing(0))[-1]["cores"] >= 1
    with compact_client(client, sid, token) as reader:
        reader.read_until(is_sharing(0))
