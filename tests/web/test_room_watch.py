"""Room mode: Host names, the live session and the read-only watch socket."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app import lan
from app.settings import Settings
from app.web.redact import redact
from tests.conftest import strict_json
from tests.web.room_helpers import as_member, instructor, join, make_room_app
from tests.web.test_ws import read_until

WATCH = "/ws/room/watch"


@pytest.fixture
def room_client() -> Iterator[TestClient]:
    """A TestClient on an app in room mode."""
    with TestClient(make_room_app()) as test_client:
        yield test_client


def test_host_names_follow_the_bound_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lan, "lan_addresses", lambda: ["192.168.7.20"])
    monkeypatch.setattr(lan.socket, "gethostname", lambda: "lab-laptop")
    everywhere = Settings(room=True, host="0.0.0.0").trusted_hosts()
    assert "192.168.7.20" in everywhere and "127.0.0.1" in everywhere
    assert "lab-laptop.local" in everywhere and "*" not in everywhere
    assert Settings(room=True, host="192.168.7.20").trusted_hosts() == ["192.168.7.20"]
    assert set(Settings(room=True, host="127.0.0.1").trusted_hosts()) == {
        "127.0.0.1",
        "localhost",
        "::1",
        "[::1]",
    }
    # Loopback serving without a room is as it was.
    assert Settings().trusted_hosts() == list(Settings().trusted_hosts())
    assert "192.168.7.20" not in Settings().trusted_hosts()


def test_other_host_names_and_origins_are_refused_in_room_mode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(lan, "lan_addresses", lambda: ["192.168.7.20"])
    app = make_room_app(host="0.0.0.0", allowed_hosts=None)
    with TestClient(app, base_url="http://192.168.7.20:8000") as client:  # no traffic: in-process
        assert client.get("/join").status_code == 200
        evil = client.get("/join", headers={"host": "rebind.evil.example"})
        assert evil.status_code == 400
        code = app.state.room.code
        cross = client.post(
            "/join",
            data={"code": code},
            headers={"origin": "http://evil.example"},
            follow_redirects=False,
        )
        assert cross.status_code == 403 and "set-cookie" not in cross.headers
        same = client.post(
            "/join",
            data={"code": code},
            headers={"origin": "http://192.168.7.20:8000"},
            follow_redirects=False,
        )
        assert same.status_code == 303
        cookie = same.cookies["backprop_room"]
        client.cookies.clear()
        with (
            pytest.raises(WebSocketDisconnect),
            client.websocket_connect(
                WATCH, headers={**as_member(cookie), "origin": "http://evil.example"}
            ),
        ):
            pass


def test_secrets_never_reach_a_log_line() -> None:
    line = '127.0.0.1 - "GET /join?code=K7M4QX HTTP/1.1" 200; /room/instructor?token=abc&x=1'
    assert "K7M4QX" not in redact(line) and "abc" not in redact(line)
    assert "exit code=3" in redact("exit code=3")


@contextlib.contextmanager
def teacher_session(client: TestClient, teacher: dict[str, str]) -> Iterator[tuple[str, str]]:
    """The instructor's session, marked live."""
    body = client.post("/api/sessions", json={}, headers=teacher).json()
    reply = client.put(
        "/api/room/live", json={"id": body["id"], "token": body["token"]}, headers=teacher
    )
    assert reply.status_code == 200, reply.text
    yield body["id"], body["token"]


def test_nothing_to_watch_until_the_instructor_goes_live(room_client: TestClient) -> None:
    attendee = as_member(join(room_client))
    assert room_client.get("/api/room", headers=attendee).json()["live"] is None
    with room_client.websocket_connect(WATCH, headers=attendee) as ws:
        frame = strict_json(ws.receive_text())
        assert frame == {"type": "error", "code": "not_live", "message": frame["message"]}
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
        assert closed.value.code == 4410
    teacher = as_member(instructor(room_client))
    wrong = room_client.put("/api/room/live", json={"id": "x", "token": "y"}, headers=teacher)
    assert wrong.status_code == 404


def test_watchers_see_the_live_run_and_cannot_command_it(room_client: TestClient) -> None:
    teacher = as_member(instructor(room_client))
    attendee = as_member(join(room_client))
    with teacher_session(room_client, teacher) as (sid, token):
        live = room_client.get("/api/room", headers=attendee).json()["live"]
        assert live == {"session": sid}
        manager = room_client.app.state.manager  # type: ignore[attr-defined]
        with (
            room_client.websocket_connect(WATCH, headers=attendee) as watch,
            room_client.websocket_connect(
                f"/ws/sessions/{sid}?token={token}", headers=teacher
            ) as own,
        ):
            hello = strict_json(watch.receive_text())
            assert hello["type"] == "hello" and hello["session"] == sid
            strict_json(own.receive_text())
            for command in (
                {"type": "play"},
                {"type": "configure", "config": {}},
                {"type": "reset"},
                {"type": "step", "epochs": 5},
                "not json",
            ):
                if isinstance(command, str):
                    watch.send_text(command)
                else:
                    watch.send_json(command)
                frame = read_until(watch, lambda f: f["type"] == "error")[-1]
                assert frame["code"] == "read_only", frame
            assert manager.sessions[sid].state.value == "idle"
            assert manager.sessions[sid].epoch == 0
            own.send_json({"type": "play"})
            frames = read_until(watch, lambda f: f["type"] == "snapshot" and f["epoch"] >= 20)
            kinds = {f["type"] for f in frames}
            assert {"state", "metrics", "snapshot"} <= kinds, kinds
            epochs = [e for f in frames if f["type"] == "metrics" for e in f["epoch"]]
            assert epochs == list(range(1, epochs[-1] + 1))  # every epoch, in order
            own.send_json({"type": "pause"})
            stopped = room_client.delete("/api/room/live", headers=teacher)
            assert stopped.status_code == 204
            with pytest.raises(WebSocketDisconnect) as closed:
                for _ in range(2000):
                    watch.receive_text()
            assert closed.value.code == 4410
        assert room_client.get("/api/room", headers=attendee).json()["live"] is None
