"""REST for the runs panel: limits, compact metric columns, compare (≤ 8 runs), replay."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.schemas.config import SessionConfig, merge_config
from app.settings import LOOPBACK_HOSTS, Settings
from app.training.compare import MAX_COMPARE, spread
from app.training.recorder import CADENCE, checkpoint_policy
from app.training.run import Run
from tests.conftest import strict_json
from tests.web.test_runs import train_and_pause
from tests.web.test_ws import open_session, read_until

SMALL = {"dataset": {"samples": 100}}


@pytest.fixture
def stored(tmp_path: Path) -> Iterator[TestClient]:
    """A TestClient whose app stores runs in tmp_path."""
    settings = Settings(allowed_hosts=(*LOOPBACK_HOSTS, "testserver"), data_dir=tmp_path)
    with TestClient(create_app(settings)) as client:
        yield client


def paused_twice(client: TestClient, first: int, second: int) -> tuple[str, list[int]]:
    """A run trained past `first`, paused (a checkpoint), then past `second` and paused again."""
    sid, token = open_session(client, SMALL)
    pauses = []
    with client.websocket_connect(f"/ws/sessions/{sid}?token={token}") as ws:
        for target in (first, second):
            ws.send_json({"type": "play"})
            read_until(ws, lambda f, t=target: f["type"] == "metrics" and f["epoch"][-1] >= t)
            ws.send_json({"type": "pause"})
            read_until(ws, lambda f: f["type"] == "state" and f["state"] == "paused")
            pauses.append(client.get(f"/api/runs/{sid}").json()["epochs"])
    return sid, pauses


def test_spread_keeps_first_and_last_and_bounds_the_count() -> None:
    assert spread(5, 20).tolist() == [0, 1, 2, 3, 4]
    kept = spread(100_000, 600).tolist()
    assert len(kept) == 600 and kept[0] == 0 and kept[-1] == 99_999
    assert kept == sorted(set(kept))


def test_limits_declare_the_compare_maximum_and_the_checkpoint_policy(stored: TestClient) -> None:
    body = stored.get("/api/runs/limits").json()
    assert body["max_compare"] == MAX_COMPARE == 8
    policy = body["checkpoint_policy"]
    assert policy == checkpoint_policy(), "the server's one sentence, for the replay note"
    assert f"every {CADENCE.min_every} epochs" in policy and "newest" in policy


def test_metrics_are_decimated_with_best_and_final_from_every_epoch(stored: TestClient) -> None:
    sid = train_and_pause(stored, epochs=120)
    full = stored.get(f"/api/runs/{sid}").json()
    history = full["history"][0]
    body = strict_json(stored.get(f"/api/runs/{sid}/metrics", params={"points": 30}).text)
    columns = body["columns"]
    assert len(columns["epoch"]) == 30, "thinned to the asked number of points"
    assert columns["epoch"][0] == 1 and columns["epoch"][-1] == full["epochs"]
    index = {e: i for i, e in enumerate(history["epoch"])}
    for key in ("train_loss", "val_acc", "grad_norm_global"):
        assert columns[key] == [history[key][index[e]] for e in columns["epoch"]], key
    assert body["best"]["val_loss"] == min(history["val_loss"]) == full["best_val_loss"]
    assert body["best"]["val_acc"] == max(history["val_acc"])
    assert body["final"]["train_loss"] == history["train_loss"][-1]
    first, *_, point = body["checkpoints"]
    assert (first["epoch"], first["val_loss"]) == (0, None), "the untrained net: no record"
    assert [c["epoch"] for c in body["checkpoints"]] == [c["epoch"] for c in full["checkpoints"]]
    assert (point["segment"], point["epoch"], point["at"]) == (0, full["epochs"], full["epochs"])
    assert point["val_loss"] == history["val_loss"][-1] == body["final"]["val_loss"]
    assert point["val_acc"] == history["val_acc"][-1]
    assert body["name"] == full["name"] and "history" not in body


def test_metrics_refuse_bad_input(stored: TestClient) -> None:
    sid = train_and_pause(stored, epochs=5)
    assert stored.get("/api/runs/nope/metrics").status_code == 404
    assert stored.get(f"/api/runs/{sid}/metrics", params={"points": 5}).status_code == 422
    assert stored.get(f"/api/runs/{sid}/metrics", params={"points": "many"}).status_code == 422


def test_a_reset_lays_the_next_segment_after_the_first_on_one_epoch_axis(
    stored: TestClient,
) -> None:
    sid, token = open_session(stored, SMALL)
    with stored.websocket_connect(f"/ws/sessions/{sid}?token={token}") as ws:
        ws.send_json({"type": "step", "epochs": 7})
        read_until(ws, lambda f: f["type"] == "state" and f["state"] == "paused")
        ws.send_json({"type": "reset"})
        ws.send_json({"type": "step", "epochs": 4})
        read_until(ws, lambda f: f["type"] == "metrics" and f["epoch"][-1] == 4)
    body = stored.get(f"/api/runs/{sid}/metrics").json()
    assert body["columns"]["epoch"] == list(range(1, 12))
    assert [(s["segment"], s["offset"], s["last"]) for s in body["segments"]] == [
        (0, 0, 7),
        (1, 7, 4),
    ]


def test_compare_returns_each_run_and_enforces_the_limit(stored: TestClient) -> None:
    first = train_and_pause(stored, epochs=10)
    second = train_and_pause(stored, epochs=20)
    body = stored.get("/api/runs/compare", params={"ids": [first, second, first]}).json()
    assert body["max_compare"] == MAX_COMPARE
    assert [r["id"] for r in body["runs"]] == [first, second], "in the asked order, once each"
    assert all(len(r["columns"]["epoch"]) == r["epochs"] for r in body["runs"])
    assert body["runs"][0]["config"]["dataset"]["samples"] == 100

    too_many = [first, second, *(f"other{i}" for i in range(MAX_COMPARE - 1))]
    reply = stored.get("/api/runs/compare", params={"ids": too_many})
    assert reply.status_code == 422
    assert reply.json()["detail"] == f"compare 1 to 8 runs at once; got {MAX_COMPARE + 1} run ids"
    missing = stored.get("/api/runs/compare", params={"ids": [first, "nope"]})
    assert missing.status_code == 404 and "nope" in missing.json()["detail"]
    assert stored.get("/api/runs/compare").status_code == 422, "ids are required"


def test_replay_shows_the_nearest_checkpoint_at_or_before_the_epoch(stored: TestClient) -> None:
    sid, (early, late) = paused_twice(stored, 15, 40)
    kept = [c["epoch"] for c in stored.get(f"/api/runs/{sid}").json()["checkpoints"]]
    assert early in kept and late in kept
    at_early = stored.get(f"/api/runs/{sid}/replay", params={"epoch": early}).json()
    between = stored.get(f"/api/runs/{sid}/replay", params={"epoch": late - 1}).json()
    beyond = strict_json(stored.get(f"/api/runs/{sid}/replay", params={"epoch": 10**6}).text)
    assert (at_early["checkpoint"], between["checkpoint"], beyond["checkpoint"]) == (
        early,
        max(e for e in kept if e < late),
        late,
    )
    assert beyond["snapshot"]["epoch"] == late and beyond["epoch"] == 10**6
    boundary = at_early["snapshot"]["boundary"]
    assert len(boundary["values"]) == boundary["resolution"] ** 2
    assert at_early["dataset"]["is_planar"] and len(at_early["dataset"]["train"]["y"]) > 0

    # The weights are those a run trained straight to that epoch has: the live snapshot's.
    straight = Run(merge_config(SessionConfig(), SMALL))
    for _ in range(early):
        straight.train_epoch()
    assert at_early["snapshot"]["weights"] == straight.snapshot()["weights"]
    assert beyond["snapshot"]["weights"] != at_early["snapshot"]["weights"]


def test_replay_refuses_bad_input(stored: TestClient) -> None:
    sid, _ = paused_twice(stored, 5, 10)
    url = f"/api/runs/{sid}/replay"
    assert stored.get("/api/runs/nope/replay", params={"epoch": 1}).status_code == 404
    assert stored.get(url, params={"epoch": -1}).status_code == 422
    assert stored.get(url, params={"epoch": "late"}).status_code == 422
    assert stored.get(url).status_code == 422, "epoch is required"
    start = stored.get(url, params={"epoch": 0}).json()
    assert start["checkpoint"] == 0, "the checkpoint taken when training started"
    untrained = Run(merge_config(SessionConfig(), SMALL)).snapshot()["weights"]
    assert start["snapshot"]["weights"] == untrained
    other = stored.get(url, params={"epoch": 3, "segment": 4})
    assert other.status_code == 404 and "no checkpoint in segment 4" in other.json()["detail"]


def test_a_page_of_runs_carries_widths_task_checkpoints_and_liveness(stored: TestClient) -> None:
    first = train_and_pause(stored, epochs=5)
    multi, _ = open_session(stored, {"dataset": {"name": "iris"}, "model": {"layers": []}})
    body = stored.get("/api/runs/page", params={"limit": 1}).json()
    assert body["total"] == 2 and body["offset"] == 0
    (newest,) = body["runs"]
    assert newest["id"] == multi and newest["widths"] == [4, 3] and newest["task"] == "multiclass"
    assert newest["live"] is True, "its session is open"
    (older,) = stored.get("/api/runs/page", params={"offset": 1}).json()["runs"]
    assert older["id"] == first and older["widths"] == [2, 8, 8, 1]
    assert older["task"] == "binary" and older["checkpoints"] >= 2  # epoch 0 and the pause
    assert stored.get("/api/runs/page", params={"limit": 0}).status_code == 422
    assert stored.get("/api/runs/page", params={"offset": -1}).status_code == 422
    assert stored.get("/api/runs/page", params={"offset": 5}).json()["runs"] == []
