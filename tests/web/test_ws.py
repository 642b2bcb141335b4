"""The session websocket with TestClient: streaming, live changes, bad input, divergence."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from tests.conftest import strict_json

Frame = dict[str, Any]
HUGE = [{"units": 256}] * 5  # about 260 000 parameters: over the cap


def open_session(client: TestClient, config: dict[str, Any] | None = None) -> tuple[str, str]:
    body = client.post("/api/sessions", json={"config": config or {}}).json()
    return body["id"], body["token"]


@contextlib.contextmanager
def live(
    client: TestClient, config: dict[str, Any] | None = None, *, play: bool = False
) -> Iterator[tuple[WebSocketTestSession, Frame]]:
    """A new session's socket past its hello (playing if asked); paused however the test ends."""
    sid, token = open_session(client, config)
    with client.websocket_connect(f"/ws/sessions/{sid}?token={token}") as ws:
        hello = strict_json(ws.receive_text())
        assert hello["type"] == "hello", hello
        try:
            if play:
                ws.send_json({"type": "play"})
            yield ws, hello
        finally:
            with contextlib.suppress(Exception):  # the socket may already be closed
                ws.send_json({"type": "pause"})


def read_until(
    ws: WebSocketTestSession, done: Callable[[Frame], bool], limit: int = 2000
) -> list[Frame]:
    """Read frames (as strict JSON) until `done(frame)`; fail after `limit` frames."""
    frames = []
    for _ in range(limit):
        frame = strict_json(ws.receive_text())
        frames.append(frame)
        if done(frame):
            return frames
    raise AssertionError(
        f"condition not met in {limit} frames; last types {[f['type'] for f in frames[-5:]]}"
    )


def last_epoch(frames: list[Frame]) -> int:
    epochs = [f["epoch"][-1] for f in frames if f["type"] == "metrics" and f["epoch"]]
    return max(epochs, default=0)


def test_hello_then_play_streams_metrics_columns(client: TestClient) -> None:
    with live(client) as (ws, hello):
        assert hello["session"] and hello["state"] == "idle"
        assert hello["dataset"]["is_planar"] and len(hello["dataset"]["train"]["x"]) == 280
        assert hello["snapshot"]["boundary"]["resolution"] ** 2 == len(
            hello["snapshot"]["boundary"]["values"]
        )
        ws.send_json({"type": "play"})
        frames = read_until(ws, lambda f: f["type"] == "metrics" and f["epoch"][-1] >= 30)
        metrics = [f for f in frames if f["type"] == "metrics"]
        epochs = [e for f in metrics for e in f["epoch"]]
        assert epochs == list(range(1, epochs[-1] + 1)), (
            "every epoch arrives exactly once, in order"
        )
        frame = metrics[-1]
        assert len(frame["train_loss"]) == len(frame["epoch"]) == len(frame["lr"])
        assert [layer["name"] for layer in frame["layers"]] == ["dense0", "dense1", "dense2"]
        assert len(frame["layers"][0]["grad_norm"]) == len(frame["epoch"])
        assert any(f["type"] == "state" and f["state"] == "running" for f in frames)
        ws.send_json({"type": "pause"})
        read_until(ws, lambda f: f["type"] == "state" and f["state"] == "paused")


def test_learning_rate_change_applies_live_without_reset(client: TestClient) -> None:
    with live(client, play=True) as (ws, _):
        before = read_until(ws, lambda f: f["type"] == "metrics" and f["epoch"][-1] >= 10)
        ws.send_json({"type": "configure", "config": {"training": {"learning_rate": 0.3}}})
        frames = read_until(ws, lambda f: f["type"] == "config")
        assert frames[-1]["rebuilt"] is False
        assert frames[-1]["config"]["training"]["learning_rate"] == 0.3
        after = read_until(ws, lambda f: f["type"] == "metrics" and 0.3 in f["lr"])
        metrics = [f for f in before + frames + after if f["type"] == "metrics"]
        epochs = [e for f in metrics for e in f["epoch"]]
        assert epochs == sorted(epochs) and epochs == list(range(1, epochs[-1] + 1))
        lrs = [lr for f in metrics for lr in f["lr"]]
        assert lrs[0] == pytest.approx(0.01) and lrs[-1] == pytest.approx(0.3)


def test_architecture_change_rebuilds_and_adds_a_layer(client: TestClient) -> None:
    with live(client) as (ws, _):
        ws.send_json({"type": "step", "epochs": 5})
        read_until(ws, lambda f: f["type"] == "state" and f["state"] == "paused")
        layers = [{"units": 8, "activation": "tanh"}] * 3
        ws.send_json({"type": "configure", "config": {"model": {"layers": layers}}})
        config = read_until(ws, lambda f: f["type"] == "config")[-1]
        assert config["rebuilt"] is True and config["kept_history"] is True
        ws.send_json({"type": "step", "epochs": 2})
        frames = read_until(ws, lambda f: f["type"] == "state" and f["state"] == "paused")
        metrics = [f for f in frames if f["type"] == "metrics"]
        assert metrics[0]["epoch"][0] == 6, "a network edit continues the history"
        assert len(metrics[-1]["layers"]) == 4
        snapshot = [f for f in frames if f["type"] == "snapshot"][-1]
        assert [w["name"] for w in snapshot["weights"]] == ["dense0", "dense1", "dense2", "dense3"]
        assert snapshot["layer_names"] == ["dense0", "dense1", "dense2", "dense3"]
        assert snapshot["parameter_count"] == 2 * 8 + 8 + 2 * (8 * 8 + 8) + 8 + 1


def test_snapshots_count_batch_norm_parameters(client: TestClient) -> None:
    layers = [{"units": 8, "batch_norm": True}] * 2
    with live(client, {"model": {"layers": layers}}) as (_, hello):
        # 2-8-8-1: 105 dense weights and biases, plus a gamma and a beta per hidden unit.
        assert hello["snapshot"]["parameter_count"] == 105 + 2 * 16
        assert hello["snapshot"]["layer_names"] == ["dense0", "dense1", "dense2"]


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("this is not json", "bad_json"),
        ('{"type": "fly"}', "unknown_type"),
        ('{"type": "configure", "config": {"training": {"learning_rate": -5}}}', "bad_config"),
        (json.dumps({"type": "configure", "config": {"model": {"layers": HUGE}}}), "too_large"),
        ('{"type": "step", "epochs": -1}', "bad_message"),
        ("[]", "bad_message"),
    ],
)
def test_bad_messages_get_an_error_and_training_continues(
    client: TestClient, message: str, code: str
) -> None:
    with live(client, play=True) as (ws, _):
        first = last_epoch(read_until(ws, lambda f: f["type"] == "metrics"))
        ws.send_text(message)
        frames = read_until(ws, lambda f: f["type"] == "error")
        error = frames[-1]
        assert error["code"] == code and error["message"]
        more = read_until(ws, lambda f: f["type"] == "metrics" and f["epoch"][-1] > first + 5)
        assert last_epoch(more) > first


def test_binary_message_is_refused_politely(client: TestClient) -> None:
    with live(client) as (ws, _):
        ws.send_bytes(b"\x00\x01")
        assert read_until(ws, lambda f: f["type"] == "error")[-1]["code"] == "bad_message"
        ws.send_json({"type": "step", "epochs": 1})
        read_until(ws, lambda f: f["type"] == "metrics")


DIVERGING = {  # wide init, huge steps: the loss overflows within a few epochs
    "model": {
        "layers": [{"units": 32, "activation": "relu"}] * 3,
        "init": "normal",
        "init_scale": 5.0,
    },
    "training": {"learning_rate": 10.0, "momentum": 0.99},
    "dataset": {"name": "plane"},
}


def test_diverging_run_pauses_with_a_reason_and_frames_stay_strict_json(client: TestClient) -> None:
    with live(client, DIVERGING, play=True) as (ws, _):
        frames = read_until(ws, lambda f: f["type"] == "state" and f["state"] == "diverged")
        assert "Diverged at epoch" in frames[-1]["reason"]
        losses = [x for f in frames if f["type"] == "metrics" for x in f["train_loss"]]
        assert losses[-1] is None, "the non-finite loss arrives as null"
        # The session lives on: a sane learning rate and play restart it.
        ws.send_json({"type": "configure", "config": {"training": {"learning_rate": 0.001}}})
        ws.send_json({"type": "play"})
        read_until(ws, lambda f: f["type"] == "state" and f["state"] == "running")
        read_until(ws, lambda f: f["type"] == "metrics")


def test_foreign_origin_is_refused_before_accepting(client: TestClient) -> None:
    sid, token = open_session(client)
    url = f"/ws/sessions/{sid}?token={token}"
    with (
        pytest.raises(WebSocketDisconnect) as info,
        client.websocket_connect(url, headers={"origin": "http://evil.example"}),
    ):
        pass
    assert info.value.code == 1008
    with client.websocket_connect(url, headers={"origin": "http://testserver"}) as ws:
        assert strict_json(ws.receive_text())["type"] == "hello"


def test_wrong_token_gets_no_session(client: TestClient) -> None:
    sid, _ = open_session(client)
    with client.websocket_connect(f"/ws/sessions/{sid}?token=wrong") as ws:
        assert strict_json(ws.receive_text())["code"] == "no_session"
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive_text()
        assert info.value.code == 4404


def test_reconnect_gets_the_history_so_far(client: TestClient) -> None:
    sid, token = open_session(client)
    url = f"/ws/sessions/{sid}?token={token}"
    with client.websocket_connect(url) as ws:
        ws.receive_text()
        ws.send_json({"type": "step", "epochs": 12})
        read_until(ws, lambda f: f["type"] == "state" and f["state"] == "paused")
    with client.websocket_connect(url) as ws:
        hello = strict_json(ws.receive_text())
        assert hello["state"] == "paused"
        assert hello["history"]["epoch"] == list(range(1, 13))


def test_feature_change_while_running_rebuilds_and_keeps_running(client: TestClient) -> None:
    with live(client, play=True) as (ws, _):
        read_until(ws, lambda f: f["type"] == "metrics")
        ws.send_json(
            {"type": "configure", "config": {"dataset": {"features": ["x1", "x2", "x1sq"]}}}
        )
        frames = read_until(ws, lambda f: f["type"] == "config")
        assert frames[-1]["rebuilt"] is True
        frames = read_until(ws, lambda f: f["type"] == "snapshot" and f["epoch"] > 3)
        assert not [f for f in frames if f["type"] == "error"]
        dataset = next(f for f in frames if f["type"] == "dataset")
        assert len(dataset["input_labels"]) == 3
        assert len(frames[-1]["weights"][0]["W"]) == 3, "the first layer now takes three inputs"


def test_a_frame_that_cannot_be_encoded_becomes_an_error_not_a_dead_socket() -> None:
    from app.training.wire import encode_one  # what the websocket sends every frame through

    frame = strict_json(encode_one({"type": "snapshot", "weights": object()}))
    assert frame == {
        "type": "error",
        "code": "internal",
        "message": "could not send a snapshot frame",
    }
