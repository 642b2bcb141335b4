"""Room mode: forking the live run gives an attendee their own session, continuing it exactly."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.engine.checkpoint import TrainerState, from_bytes
from app.training.session import TrainingSession
from tests.conftest import strict_json
from tests.web.room_helpers import as_member, instructor, join, make_room_app
from tests.web.test_ws import read_until


@pytest.fixture
def room_client() -> Iterator[TestClient]:
    """A TestClient on an app in room mode."""
    with TestClient(make_room_app()) as test_client:
        yield test_client


def step(client: TestClient, sid: str, token: str, headers: dict[str, str], n: int) -> dict:
    """Train `n` epochs and wait for the pause; returns the last metrics frame."""
    with client.websocket_connect(f"/ws/sessions/{sid}?token={token}", headers=headers) as ws:
        hello = strict_json(ws.receive_text())
        start = hello["history"]["epoch"][-1] if hello["history"]["epoch"] else 0
        ws.send_json({"type": "step", "epochs": n})
        frames = read_until(ws, lambda f: f["type"] == "state" and f["state"] == "paused")
        epochs = [e for f in frames if f["type"] == "metrics" for e in f["epoch"]]
        assert epochs == list(range(start + 1, start + n + 1))
        return hello


def engine_state(client: TestClient, session: TrainingSession) -> TrainerState:
    """The engine state of a session's Run, asked of its host (a worker process, by default)."""
    assert client.portal is not None
    return from_bytes(client.portal.call(session.runtime.call, "capture").data)


def test_nothing_to_fork_until_the_instructor_goes_live(room_client: TestClient) -> None:
    attendee = as_member(join(room_client))
    reply = room_client.post("/api/room/fork", headers=attendee)
    assert reply.status_code == 409 and "not showing" in reply.json()["detail"]


def test_a_fork_continues_the_live_run_exactly(room_client: TestClient) -> None:
    teacher = as_member(instructor(room_client))
    attendee = as_member(join(room_client, name="Ada"))
    config = {"training": {"optimizer": "adam", "learning_rate": 0.01}}
    body = room_client.post("/api/sessions", json={"config": config}, headers=teacher).json()
    sid, token = body["id"], body["token"]
    live = {"id": sid, "token": token}
    assert room_client.put("/api/room/live", json=live, headers=teacher).status_code == 200
    step(room_client, sid, token, teacher, 30)

    forked = room_client.post("/api/room/fork", headers=attendee)
    assert forked.status_code == 201, forked.text
    fork = forked.json()
    assert fork["epoch"] == 30 and fork["config"]["training"]["optimizer"] == "adam"
    manager = room_client.app.state.manager  # type: ignore[attr-defined]
    source, copy = manager.sessions[sid], manager.sessions[fork["id"]]
    mine, theirs = engine_state(room_client, source), engine_state(room_client, copy)
    assert mine.meta == theirs.meta  # epoch, optimiser step counts, schedule, random streams
    for name, array in mine.arrays.items():
        np.testing.assert_array_equal(array, theirs.arrays[name], err_msg=name)

    hello = step(room_client, fork["id"], fork["token"], attendee, 5)
    assert hello["history"]["epoch"] == list(range(1, 31))  # the story so far comes along
    step(room_client, sid, token, teacher, 5)
    # Captured between two epochs: the fork trains exactly as the original goes on.
    mine, theirs = engine_state(room_client, source), engine_state(room_client, copy)
    for name, array in mine.arrays.items():
        np.testing.assert_array_equal(array, theirs.arrays[name], err_msg=name)
    assert source.epoch == copy.epoch == mine.epoch == 35

    # The fork is the attendee's: removing them closes it, the instructor's run stays.
    me = room_client.get("/api/room", headers=attendee).json()["you"]["id"]
    assert room_client.delete(f"/api/room/members/{me}", headers=teacher).status_code == 204
    assert fork["id"] not in manager.sessions and sid in manager.sessions
