"""Room mode: nothing but the join page without a pass; codes, cookies, limits, rotate, remove."""

from __future__ import annotations

import hmac
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.web.room import normalize_code, show_code
from tests.conftest import strict_json
from tests.web.room_helpers import as_member, instructor, join, make_room_app, room_of


@pytest.fixture
def room_client() -> Iterator[TestClient]:
    """A TestClient on an app in room mode."""
    with TestClient(make_room_app()) as test_client:
        yield test_client


@pytest.mark.parametrize(
    "path",
    [
        "/api/health",
        "/api/presets",
        "/api/schema",
        "/api/runs",
        "/api/room",
        "/api/datasets",
        "/static/js/main.js",
        "/static/css/app.css",
        "/static/vendor/uPlot.esm.js",
    ],
)
def test_without_a_pass_every_route_is_refused(room_client: TestClient, path: str) -> None:
    reply = room_client.get(path, follow_redirects=False)
    assert reply.status_code == 401, (path, reply.status_code)
    assert "join the room" in reply.json()["detail"]


def test_without_a_pass_pages_lead_to_the_join_page(room_client: TestClient) -> None:
    for path in ("/", "/index.html", "/anything"):
        reply = room_client.get(path, follow_redirects=False)
        assert reply.status_code == 303 and reply.headers["location"] == "/join"
    page = room_client.get("/")
    assert page.status_code == 200 and 'data-testid="join-page"' in page.text
    assert "main.js" not in page.text and "content-security-policy" in page.headers
    assert room_client.get("/static/css/join.css").status_code == 200
    assert room_client.post("/api/sessions", json={}).status_code == 401
    for socket in ("/ws/sessions/abc?token=x", "/ws/room/watch"):
        with pytest.raises(WebSocketDisconnect), room_client.websocket_connect(socket):
            pass


def test_the_code_from_a_link_is_filled_in_but_not_used(room_client: TestClient) -> None:
    code = room_of(room_client).code
    page = room_client.get(f"/join?code={code.lower()}")
    assert page.status_code == 200 and f'value="{code}"' in page.text
    assert "set-cookie" not in page.headers
    assert room_client.get("/join?code=<script>").text.count("<script>") == 0


def test_a_wrong_or_missing_code_gets_the_join_page_again(room_client: TestClient) -> None:
    for code in ("", "ZZZZZZ", room_of(room_client).code + "X", "é" * 6):
        reply = room_client.post("/join", data={"code": code}, follow_redirects=False)
        assert reply.status_code == 401, code
        assert "set-cookie" not in reply.headers
        assert 'data-testid="join-error"' in reply.text
    assert room_client.get("/api/health").status_code == 401


def test_the_right_code_sets_a_strict_http_only_cookie(room_client: TestClient) -> None:
    code = room_of(room_client).code
    typed = f" {show_code(code).lower()} "  # as a person types it: case, dash and spaces
    assert normalize_code(typed) == code
    reply = room_client.post("/join", data={"code": typed, "name": "Ada"}, follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"] == "/"
    cookie = reply.headers["set-cookie"]
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/"} <= flags, cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    assert len(value) >= 40  # 32 random bytes
    room_client.cookies.clear()
    page = room_client.get("/", headers=as_member(value))
    assert page.status_code == 200 and 'data-room="attendee"' in page.text
    me = room_client.get("/api/room", headers=as_member(value)).json()
    assert me["role"] == "attendee" and me["you"]["name"] == "Ada" and "code" not in me
    assert room_client.get("/api/health", headers=as_member(value)).status_code == 200
    again = room_client.get("/join", headers=as_member(value), follow_redirects=False)
    assert again.status_code == 303


def test_codes_and_tokens_are_compared_in_constant_time(
    room_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    room = room_of(room_client)
    room_client.post("/join", data={"code": "WRONG1"}, follow_redirects=False)
    assert calls == [(b"WRONG1", room.code.encode())]
    room_client.get("/room/instructor?token=nope", follow_redirects=False)
    assert calls[-1] == (b"nope", room.token.encode())


def test_join_attempts_are_rate_limited_per_address(room_client: TestClient) -> None:
    burst = room_client.app.state.settings.room_join_burst  # type: ignore[attr-defined]
    for _ in range(burst):
        reply = room_client.post("/join", data={"code": "WRONG1"}, follow_redirects=False)
        assert reply.status_code == 401
    refused = room_client.post(
        "/join", data={"code": room_of(room_client).code}, follow_redirects=False
    )
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert "set-cookie" not in refused.headers and "try again in" in refused.text
    token = room_of(room_client).token
    link = room_client.get(f"/room/instructor?token={token}", follow_redirects=False)
    assert link.status_code == 429  # the instructor link shares the budget


def test_the_instructor_link_gives_the_instructor_role(room_client: TestClient) -> None:
    wrong = room_client.get("/room/instructor?token=guess", follow_redirects=False)
    assert wrong.status_code == 401 and "set-cookie" not in wrong.headers
    cookie = instructor(room_client)
    state = room_client.get("/api/room", headers=as_member(cookie)).json()
    assert state["role"] == "instructor"
    assert state["code"] == show_code(room_of(room_client).code)
    assert state["join_url"].endswith("/join") and state["attendees"] == []
    page = room_client.get("/", headers=as_member(cookie))
    assert 'data-room="instructor"' in page.text
    qr = room_client.get("/api/room/qr.svg", headers=as_member(cookie))
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
    assert qr.text.lstrip().startswith("<svg") and "<script" not in qr.text


def test_attendees_may_not_run_the_room(room_client: TestClient) -> None:
    cookie = join(room_client)
    headers = as_member(cookie)
    assert room_client.post("/api/room/code", headers=headers).status_code == 403
    assert room_client.get("/api/room/qr.svg", headers=headers).status_code == 403
    assert room_client.delete("/api/room/live", headers=headers).status_code == 403
    assert (
        room_client.put(
            "/api/room/live", json={"id": "x", "token": "y"}, headers=headers
        ).status_code
        == 403
    )
    me = room_client.get("/api/room", headers=headers).json()["you"]["id"]
    assert room_client.delete(f"/api/room/members/{me}", headers=headers).status_code == 403
    assert room_client.get("/api/runs", headers=headers).status_code == 403
    for method in ("PATCH", "DELETE"):  # not even the instructor's run, whose id they may know
        assert room_client.request(method, "/api/runs/abc", headers=headers).status_code == 403
    assert room_client.post("/api/runs/abc/resume", headers=headers).status_code == 403
    assert room_client.get("/api/runs/abc", headers=headers).status_code == 503  # no store here
    own = room_client.post("/api/sessions", json={}, headers=headers).json()["id"]
    resumed = room_client.post(f"/api/runs/{own}/resume", headers=headers)
    assert resumed.status_code == 503  # their own run may be resumed (this app stores none)


def test_rotating_the_code_keeps_people_in_and_retires_the_old_code(
    room_client: TestClient,
) -> None:
    teacher = as_member(instructor(room_client))
    old = room_of(room_client).code
    attendee = join(room_client, old)
    reply = room_client.post("/api/room/code", headers=teacher)
    assert reply.status_code == 200
    new = normalize_code(reply.json()["code"])
    assert new != old and new == room_of(room_client).code
    assert room_client.post("/join", data={"code": old}, follow_redirects=False).status_code == 401
    join(room_client, new)
    assert room_client.get("/api/room", headers=as_member(attendee)).status_code == 200


def test_removing_an_attendee_ends_their_pass_sockets_and_sessions(
    room_client: TestClient,
) -> None:
    teacher = as_member(instructor(room_client))
    cookie = join(room_client, name="Bob")
    headers = as_member(cookie)
    body = room_client.post("/api/sessions", json={}, headers=headers).json()
    listed = room_client.get("/api/room", headers=teacher).json()["attendees"]
    assert [a["name"] for a in listed] == ["Bob"]
    url = f"/ws/sessions/{body['id']}?token={body['token']}"
    with room_client.websocket_connect(url, headers=headers) as ws:
        assert strict_json(ws.receive_text())["type"] == "hello"
        removed = room_client.delete(f"/api/room/members/{listed[0]['id']}", headers=teacher)
        assert removed.status_code == 204
        with pytest.raises(WebSocketDisconnect) as closed:
            for _ in range(100):
                ws.receive_text()
        assert closed.value.code == 4403
    assert body["id"] not in room_client.app.state.manager.sessions  # type: ignore[attr-defined]
    assert room_client.get("/api/room", headers=headers).status_code == 401
    assert room_client.get("/", headers=headers, follow_redirects=False).status_code == 303
    assert room_client.get("/api/room", headers=teacher).json()["attendees"] == []
    again = room_client.delete(f"/api/room/members/{listed[0]['id']}", headers=teacher)
    assert again.status_code == 404
