"""Room mode: pushes, predict-then-reveal polls and the class wall over REST."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.training.room_wall import THUMB_CELLS, WALL_POINTS
from tests.web.room_helpers import as_member, instructor, join, make_room_app
from tests.web.test_room_fork import step

QUESTION = {
    "question": "Learning rate × 10: what happens?",
    "choices": [
        {"label": "It learns faster"},
        {"label": "It diverges", "patch": {"training": {"learning_rate": 3.0}}},
    ],
}


@pytest.fixture
def room_client() -> Iterator[TestClient]:
    """A TestClient on an app in room mode."""
    with TestClient(make_room_app()) as test_client:
        yield test_client


def session(client: TestClient, headers: dict[str, str], config: dict | None = None) -> dict:
    """A new session owned by the caller: {id, token, config}."""
    reply = client.post("/api/sessions", json={"config": config or {}}, headers=headers)
    assert reply.status_code == 201, reply.text
    return reply.json()


def test_only_the_instructor_pushes_asks_and_sees_the_wall(room_client: TestClient) -> None:
    attendee = as_member(join(room_client))
    push = {"kind": "preset", "preset": "spiral"}
    assert room_client.post("/api/room/push", json=push, headers=attendee).status_code == 403
    assert room_client.post("/api/room/poll", json=QUESTION, headers=attendee).status_code == 403
    assert room_client.get("/api/room/wall", headers=attendee).status_code == 403
    assert room_client.post("/api/room/poll/close", headers=attendee).status_code == 403
    assert room_client.get("/api/room/wall").status_code == 401  # no pass at all
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        room_client.websocket_connect("/ws/room/wall/x", headers=attendee),
    ):
        pass
    assert refused.value.code == 1008


def test_a_push_reaches_every_attendee(room_client: TestClient) -> None:
    teacher = as_member(instructor(room_client))
    ada, bob = as_member(join(room_client, name="Ada")), as_member(join(room_client))
    assert room_client.get("/api/room", headers=ada).json()["push"] is None
    sent = room_client.post(
        "/api/room/push", json={"kind": "preset", "preset": "spiral"}, headers=teacher
    )
    assert sent.status_code == 201, sent.text
    for who in (ada, bob):
        got = room_client.get("/api/room", headers=who).json()["push"]
        assert got["kind"] == "preset" and got["preset"] == "spiral" and got["title"]
    config = {"training": {"learning_rate": 0.3, "optimizer": "adam"}}
    body = {"kind": "config", "config": config, "title": "Adam at 0.3"}
    second = room_client.post("/api/room/push", json=body, headers=teacher).json()
    assert second["id"] > sent.json()["id"]
    got = room_client.get("/api/room", headers=bob).json()["push"]
    assert got["title"] == "Adam at 0.3" and got["config"]["training"]["optimizer"] == "adam"
    assert got["config"]["dataset"]  # a full config: loading it needs nothing else
    bad = {"kind": "config", "config": {"training": {"learning_rate": -1}}}
    reply = room_client.post("/api/room/push", json=bad, headers=teacher)
    assert reply.status_code == 422 and "learning_rate" in reply.json()["detail"]
    unknown = {"kind": "preset", "preset": "nope"}
    assert room_client.post("/api/room/push", json=unknown, headers=teacher).status_code == 422
    assert room_client.get("/api/room", headers=bob).json()["push"]["id"] == second["id"]


def test_votes_one_per_attendee_until_closed(room_client: TestClient) -> None:
    teacher = as_member(instructor(room_client))
    ada, bob = as_member(join(room_client, name="Ada")), as_member(join(room_client, name="Bob"))
    bad = {"question": "?", "choices": [{"label": "only one"}]}
    assert room_client.post("/api/room/poll", json=bad, headers=teacher).status_code == 422
    poll = room_client.post("/api/room/poll", json=QUESTION, headers=teacher).json()
    seen = room_client.get("/api/room", headers=ada).json()["poll"]
    assert seen["question"] == QUESTION["question"] and "counts" not in seen  # no herding

    def vote(who: dict[str, str], choice: int, poll_id: int = poll["id"]) -> int:
        body = {"poll": poll_id, "choice": choice}
        return room_client.put("/api/room/poll/vote", json=body, headers=who).status_code

    assert vote(ada, 0) == vote(bob, 1) == 200
    assert vote(ada, 1) == 200  # changed, not added
    assert vote(ada, 1) == 200  # the same again: still one vote
    assert vote(ada, 7) == 422
    assert vote(teacher, 0) == 403  # the instructor asks, attendees answer
    assert vote(ada, 0, poll_id=poll["id"] + 99) == 409  # an old question
    assert (
        room_client.put("/api/room/poll/vote", json={"poll": poll["id"], "choice": 0}).status_code
        == 401
    )
    mine = room_client.get("/api/room", headers=ada).json()["poll"]
    assert mine["yours"] == 1 and mine["voters"] == 2
    wall = room_client.get("/api/room/wall", headers=teacher).json()
    assert wall["poll"]["counts"] == [0, 2]
    cy = as_member(join(room_client, name="Cy"))
    assert vote(cy, 0) == 200
    time.sleep(room_client.app.state.wall_feed.interval)  # type: ignore[attr-defined]
    assert room_client.get("/api/room/wall", headers=teacher).json()["poll"]["voters"] == 3
    cy_id = room_client.get("/api/room", headers=cy).json()["you"]["id"]
    assert room_client.delete(f"/api/room/members/{cy_id}", headers=teacher).status_code == 204
    assert vote(cy, 0) == 401  # removed: no pass, no vote, and the old one no longer counts
    time.sleep(room_client.app.state.wall_feed.interval)  # type: ignore[attr-defined]
    assert room_client.get("/api/room/wall", headers=teacher).json()["poll"]["counts"] == [0, 2]
    assert room_client.post("/api/room/poll/close", headers=teacher).status_code == 200
    assert vote(bob, 0) == 409  # closed
    closed = room_client.get("/api/room", headers=bob).json()["poll"]
    assert closed["open"] is False and closed["counts"] == [0, 2] and closed["yours"] == 1


def test_reveal_branches_the_run_from_one_checkpoint(room_client: TestClient) -> None:
    teacher = as_member(instructor(room_client))
    mine = session(room_client, teacher)
    step(room_client, mine["id"], mine["token"], teacher, 12)
    room_client.post("/api/room/poll", json=QUESTION, headers=teacher)
    reveal = room_client.post(
        "/api/room/poll/reveal", json={"id": mine["id"], "token": "wrong"}, headers=teacher
    )
    assert reveal.status_code == 404
    body = {"id": mine["id"], "token": mine["token"]}
    reveal = room_client.post("/api/room/poll/reveal", json=body, headers=teacher)
    assert reveal.status_code == 201, reveal.text
    poll = reveal.json()
    assert poll["open"] is False and poll["revealed"] and poll["branch_epoch"] == 12
    again = room_client.post("/api/room/poll/reveal", json=body, headers=teacher)
    assert again.status_code == 409
    manager = room_client.app.state.manager  # type: ignore[attr-defined]
    deadline = time.monotonic() + 20
    while True:
        branches = room_client.get("/api/room/wall", headers=teacher).json()["branches"]
        if len(branches) == 2 and all(b["epoch"] > 20 for b in branches):
            break
        assert time.monotonic() < deadline, branches
        time.sleep(0.2)
    assert [b["label"] for b in branches] == ["It learns faster", "It diverges"]
    assert [b["settings"]["lr"] for b in branches] == [0.01, 3.0]
    for b in branches:  # the shared past comes along, and most points are after the branch
        epochs = b["loss"]["epoch"]
        assert epochs[0] <= 12 < epochs[-1] and epochs[-1] == b["epoch"]
        assert sum(e > 12 for e in epochs) >= len(epochs) * 2 // 3 - 1
    ids = [b["session"] for b in branches]
    # An attendee gets the branches alone (not the others' runs), and may watch a branch only.
    ada = as_member(join(room_client, name="Ada"))
    seen = room_client.get("/api/room/branches", headers=ada).json()
    assert seen["branch_epoch"] == 12 and [b["session"] for b in seen["branches"]] == ids
    assert "runs" not in seen
    with room_client.websocket_connect(f"/ws/room/wall/{ids[1]}", headers=ada) as ws:
        hello = json.loads(ws.receive_text())
        assert hello["type"] == "hello" and hello["session"] == ids[1]
        assert hello["config"]["training"]["learning_rate"] == 3.0
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        room_client.websocket_connect(f"/ws/room/wall/{mine['id']}", headers=ada),
    ):
        pass
    assert refused.value.code == 1008
    assert room_client.delete("/api/room/poll", headers=teacher).status_code == 204
    assert not any(i in manager.sessions for i in ids) and mine["id"] in manager.sessions


def test_a_full_room_still_reveals_and_branches_have_their_own_named_bound(
    room_client: TestClient,
) -> None:
    manager = room_client.app.state.manager  # type: ignore[attr-defined]
    manager.max_sessions = 3
    teacher = as_member(instructor(room_client))
    mine = session(room_client, teacher)
    for _ in range(2):  # attendees fill every other slot, and watch their runs
        other = as_member(join(room_client))
        session(room_client, other)
    full = room_client.post("/api/sessions", json={"config": {}}, headers=teacher)
    assert full.status_code == 503 and "3 sessions are open" in full.text
    step(room_client, mine["id"], mine["token"], teacher, 5)
    body = {"id": mine["id"], "token": mine["token"]}
    room_client.post("/api/room/poll", json=QUESTION, headers=teacher)
    reveal = room_client.post("/api/room/poll/reveal", json=body, headers=teacher)
    assert reveal.status_code == 201, reveal.text  # the branches do not count against the room
    assert len(manager.sessions) == 5 and len(manager.branches) == 2
    room_client.post("/api/room/poll", json=QUESTION, headers=teacher)  # closes the old branches
    manager.max_branches = 1  # fewer than the question's two answers
    refused = room_client.post("/api/room/poll/reveal", json=body, headers=teacher)
    assert refused.status_code == 503
    detail = refused.json()["detail"]
    assert "at most 1 branches" in detail and "end the question" in detail, detail
    assert len(manager.sessions) == 3, "a refused reveal closes the branches it had started"


def test_the_wall_is_bounded_shared_and_names_attendees(room_client: TestClient) -> None:
    teacher = as_member(instructor(room_client))
    people = [as_member(join(room_client, name=n)) for n in ("Ada", "")]
    runs = [
        session(room_client, p, {"training": {"learning_rate": lr}})
        for p, lr in zip(people, (0.1, 0.01), strict=True)
    ]
    step(room_client, runs[0]["id"], runs[0]["token"], people[0], 300)
    step(room_client, runs[1]["id"], runs[1]["token"], people[1], 3)
    feed = room_client.app.state.wall_feed  # type: ignore[attr-defined]
    time.sleep(feed.interval)
    first = room_client.get("/api/room/wall", headers=teacher)
    second = room_client.get("/api/room/wall", headers=teacher)
    assert first.content == second.content  # built once, sent to every viewer
    wall = json.loads(first.content)
    by_name = {r["name"]: r for r in wall["runs"]}
    assert set(by_name) == {"Ada", "Attendee 1"}
    ada = by_name["Ada"]
    assert ada["epoch"] == 300 and ada["settings"]["lr"] == 0.1
    assert len(ada["loss"]["epoch"]) <= WALL_POINTS and ada["loss"]["epoch"][-1] == 300
    assert ada["val_acc"] is not None and 0 <= ada["val_acc"] <= 1
    assert len(ada["thumb"]["cells"]) == THUMB_CELLS**2
    per_run = len(first.content) / len(wall["runs"])
    assert per_run < 3000, per_run  # a 300-epoch run costs the same as a 3-epoch one, roughly
    assert len(json.dumps(ada)) < 3000


def test_watching_a_run_from_the_wall_ends_when_the_run_does(room_client: TestClient) -> None:
    teacher = as_member(instructor(room_client))
    ada = as_member(join(room_client, name="Ada"))
    mine = session(room_client, ada)
    with room_client.websocket_connect(f"/ws/room/wall/{mine['id']}", headers=teacher) as ws:
        hello = ws.receive_json()
        assert hello["type"] == "hello" and hello["session"] == mine["id"]
        ws.send_json({"type": "play"})
        assert ws.receive_json()["code"] == "read_only"
        ada_id = room_client.get("/api/room", headers=ada).json()["you"]["id"]
        assert room_client.delete(f"/api/room/members/{ada_id}", headers=teacher).status_code == 204
        with pytest.raises(WebSocketDisconnect) as ended:
            while True:
                ws.receive_json()
        assert ended.value.code == 4410
