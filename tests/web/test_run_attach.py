"""POST /api/runs/{id}/attach: a second tab gets a live run's session, and only its owner does."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import LOOPBACK_HOSTS, Settings
from tests.conftest import strict_json
from tests.web.room_helpers import as_member, instructor, join, make_room_app
from tests.web.test_runs import train_and_pause
from tests.web.test_ws import open_session, read_until


def stored_settings(tmp_path: Path) -> Settings:
    return Settings(allowed_hosts=(*LOOPBACK_HOSTS, "testserver"), data_dir=tmp_path)


def test_a_live_run_hands_its_session_to_a_second_tab_that_shares_it(tmp_path: Path) -> None:
    with TestClient(create_app(stored_settings(tmp_path))) as client:
        sid = train_and_pause(client, epochs=20)
        token = client.app.state.manager.sessions[sid].token  # type: ignore[attr-defined]
        reply = client.post(f"/api/runs/{sid}/attach")
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert (body["id"], body["token"], body["run"]) == (sid, token, sid)
        assert body["epoch"] >= 20 and body["config"]["dataset"]["samples"] == 100
        first = client.websocket_connect(f"/ws/sessions/{sid}?token={token}")
        with first as a:
            hello_a = strict_json(a.receive_text())
            read_until(a, lambda f: f["type"] == "tabs" and f["count"] == 1)
            with client.websocket_connect(f"/ws/sessions/{sid}?token={body['token']}") as b:
                hello_b = strict_json(b.receive_text())
                assert hello_b["history"]["epoch"] == hello_a["history"]["epoch"]
                assert len(hello_b["history"]["epoch"]) >= 20
                read_until(a, lambda f: f["type"] == "tabs" and f["count"] == 2)
                read_until(b, lambda f: f["type"] == "tabs" and f["count"] == 2)
                b.send_json({"type": "play"})  # the second tab drives the shared session
                read_until(a, lambda f: f["type"] == "state" and f["state"] == "running")
                a.send_json({"type": "pause"})
                read_until(b, lambda f: f["type"] == "state" and f["state"] == "paused")
            read_until(a, lambda f: f["type"] == "tabs" and f["count"] == 1)


def test_a_stored_run_that_is_not_live_goes_to_resume_and_an_unknown_one_is_404(
    tmp_path: Path,
) -> None:
    settings = stored_settings(tmp_path)
    with TestClient(create_app(settings)) as first:
        sid = train_and_pause(first, epochs=20)
    with TestClient(create_app(settings)) as second:
        refused = second.post(f"/api/runs/{sid}/attach")
        assert refused.status_code == 409
        assert f"/api/runs/{sid}/resume" in refused.json()["detail"]
        resumed = second.post(f"/api/runs/{sid}/resume")
        assert resumed.status_code == 201, resumed.text
        attached = second.post(f"/api/runs/{sid}/attach").json()  # now it is live again
        assert (attached["id"], attached["token"]) == (
            resumed.json()["id"],
            resumed.json()["token"],
        )
        assert second.post("/api/runs/nope/attach").status_code == 404


def test_without_a_store_a_live_session_is_its_own_run() -> None:
    settings = Settings(allowed_hosts=(*LOOPBACK_HOSTS, "testserver"), data_dir=None)
    with TestClient(create_app(settings)) as client:
        sid, token = open_session(client)
        assert client.post(f"/api/runs/{sid}/attach").json()["token"] == token
        assert client.post("/api/runs/nope/attach").status_code == 404


def test_a_cross_site_page_cannot_take_a_token(tmp_path: Path) -> None:
    with TestClient(create_app(stored_settings(tmp_path))) as client:
        sid, _ = open_session(client)
        for headers in (
            {"Origin": "https://evil.example"},
            {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
            {"Sec-Fetch-Site": "cross-site"},
        ):
            reply = client.post(f"/api/runs/{sid}/attach", headers=headers)
            assert reply.status_code == 403, headers
            assert "token" not in reply.text
        same = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
        assert client.post(f"/api/runs/{sid}/attach", headers=same).status_code == 200
        assert client.get(f"/api/runs/{sid}/attach").status_code == 405  # never a GET


def test_in_a_room_only_the_owner_gets_the_token() -> None:
    with TestClient(make_room_app()) as client:
        alice, bob = join(client, name="Alice"), join(client, name="Bob")
        teacher = instructor(client)
        made = client.post("/api/sessions", json={}, headers=as_member(alice))
        assert made.status_code == 201
        sid, token = made.json()["id"], made.json()["token"]
        mine = client.post(f"/api/runs/{sid}/attach", headers=as_member(alice))
        assert mine.status_code == 200 and mine.json()["token"] == token
        for other in (bob, teacher):
            refused = client.post(f"/api/runs/{sid}/attach", headers=as_member(other))
            assert refused.status_code == 403
            assert token not in refused.text
        assert client.post(f"/api/runs/{sid}/attach").status_code == 401  # no pass at all
        bobs = client.post("/api/sessions", json={}, headers=as_member(bob)).json()
        own = client.post(f"/api/runs/{bobs['id']}/attach", headers=as_member(bob))
        assert own.status_code == 200
        refused = client.post(f"/api/runs/{bobs['id']}/attach", headers=as_member(alice))
        assert refused.status_code == 403
