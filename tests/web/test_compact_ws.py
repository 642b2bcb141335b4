"""Compact connections (`?encoding=compact`): every epoch, binary frames, a byte budget, one
encoding for every watcher; JSON connections beside them unchanged."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from app.training import compact, compact_metrics, compact_wire
from app.training.compact_decode import decode_message
from tests.conftest import make_test_app, strict_json
from tests.web.test_ws import open_session, read_until

Frame = dict[str, Any]


@dataclasses.dataclass
class Reader:
    """A compact connection's frames, as decoded so far (one per binary block)."""

    ws: WebSocketTestSession
    frames: list[Frame] = dataclasses.field(default_factory=list)
    binary_messages: int = 0
    text_types: list[str] = dataclasses.field(default_factory=list)

    def read_until(self, done: Any, limit: int = 3000) -> None:
        """Read messages until a frame satisfies `done`."""
        for _ in range(limit):
            message = self.ws.receive()
            if message.get("bytes") is not None:
                self.binary_messages += 1
                new = decode_message(message["bytes"])
            else:
                new = [strict_json(message["text"])]
                self.text_types.append(new[0]["type"])
            self.frames += new
            if any(done(f) for f in new):
                return
        raise AssertionError(f"condition not met in {limit} messages")

    def of(self, kind: str) -> list[Frame]:
        """Frames of one type."""
        return [f for f in self.frames if f["type"] == kind]

    def epochs(self) -> list[int]:
        """Every epoch the metrics frames brought, in order."""
        return [e for f in self.of("metrics") for e in f["epoch"]]


@contextlib.contextmanager
def compact_client(client: TestClient, sid: str, token: str) -> Iterator[Reader]:
    """A compact connection past its hello."""
    url = f"/ws/sessions/{sid}?token={token}&encoding=compact"
    with client.websocket_connect(url) as ws:
        (hello,) = decode_message(ws.receive_bytes())  # the hello comes binary too
        assert hello["type"] == "hello" and "epoch" in hello["history"]
        yield Reader(ws)


def paused(frame: Frame) -> bool:
    return frame["type"] == "state" and frame["state"] == "paused"


def test_a_compact_client_gets_every_epoch_in_binary_and_control_frames_as_json(
    client: TestClient,
) -> None:
    sid, token = open_session(client)
    with compact_client(client, sid, token) as reader:
        reader.ws.send_json({"type": "play"})
        reader.read_until(lambda f: f["type"] == "snapshot" and f["epoch"] >= 40)
        reader.ws.send_json({"type": "pause"})
        reader.read_until(paused)
    epochs = reader.epochs()
    assert epochs == list(range(1, epochs[-1] + 1)), "every epoch exactly once, in order"
    assert reader.binary_messages >= 2 and "state" in reader.text_types
    metrics = reader.of("metrics")[-1]
    assert [layer["name"] for layer in metrics["layers"]] == ["dense0", "dense1", "dense2"]
    assert len(metrics["train_loss"]) == len(metrics["epoch"]) and metrics["train_mae"][0] is None
    snapshot = reader.of("snapshot")[-1]
    assert len(snapshot["boundary"]["values"]) == snapshot["boundary"]["resolution"] ** 2
    assert all(0 <= v <= 1 for v in snapshot["boundary"]["values"])


def test_a_json_client_beside_a_compact_one_gets_only_json_text(client: TestClient) -> None:
    sid, token = open_session(client)
    with (
        compact_client(client, sid, token) as reader,
        client.websocket_connect(f"/ws/sessions/{sid}?token={token}") as plain,
    ):
        assert strict_json(plain.receive_text())["type"] == "hello"
        plain.send_json({"type": "step", "epochs": 30})
        frames = read_until(plain, paused)  # receive_text fails on a binary message
        assert [e for f in frames if f["type"] == "metrics" for e in f["epoch"]] == list(
            range(1, 31)
        )
        reader.read_until(paused)
        assert reader.epochs() == list(range(1, 31))


def test_a_compact_hello_brings_the_history_of_a_json_hello_in_binary(client: TestClient) -> None:
    sid, token = open_session(client)
    url = f"/ws/sessions/{sid}?token={token}"
    with client.websocket_connect(url) as plain:
        strict_json(plain.receive_text())
        plain.send_json({"type": "step", "epochs": 300})
        read_until(plain, paused)
    with (
        client.websocket_connect(url) as plain,
        client.websocket_connect(f"{url}&encoding=compact") as ws,
    ):
        text = plain.receive_text()  # a JSON client's hello is JSON text, as before
        expected = strict_json(text)
        data = ws.receive_bytes()
    (hello,) = decode_message(data)
    assert expected["history"]["epoch"] == list(range(1, 301)) == hello["history"]["epoch"]
    want = np.array(expected["history"]["train_loss"], dtype=np.float32)
    assert hello["history"]["train_loss"] == want.astype(np.float64).tolist()
    assert hello["snapshot"]["epoch"] == expected["snapshot"]["epoch"] == 300
    assert hello["dataset"] == expected["dataset"]
    assert len(hello["histograms"]) == len(expected["histograms"]) >= 1
    assert {k: v for k, v in hello.items() if k not in ("history", "snapshot")} == {
        k: v for k, v in expected.items() if k not in ("history", "snapshot")
    }
    assert len(data) * 2 < len(text)  # snapshot and histograms weigh most this early


def test_an_unknown_encoding_is_named_and_json_is_sent(client: TestClient) -> None:
    sid, token = open_session(client)
    with client.websocket_connect(f"/ws/sessions/{sid}?token={token}&encoding=xml") as ws:
        assert strict_json(ws.receive_text())["type"] == "hello"
        error = strict_json(ws.receive_text())
        assert error["code"] == "bad_encoding" and "'xml'" in error["message"], error
        assert "compact" in error["message"]


def test_a_slow_compact_client_gets_fewer_snapshots_and_still_every_epoch() -> None:
    app = make_test_app()
    settings = app.state.settings
    app.state.settings = dataclasses.replace(settings, compact_bytes_per_second=2000)
    with TestClient(app) as client:
        sid, token = open_session(client)
        with (
            compact_client(client, sid, token) as reader,
            client.websocket_connect(f"/ws/sessions/{sid}?token={token}") as plain,
        ):
            strict_json(plain.receive_text())
            plain.send_json({"type": "play"})
            frames = read_until(plain, lambda f: f["type"] == "snapshot" and f["epoch"] > 0)
            snapshots = 1
            while snapshots < 12:  # about 3 s of training at 4 snapshots a second
                frames += read_until(plain, lambda f: f["type"] == "snapshot")
                snapshots += 1
            plain.send_json({"type": "pause"})
            frames += read_until(plain, paused)
            last = max(e for f in frames if f["type"] == "metrics" for e in f["epoch"])
            reader.read_until(paused)
    assert reader.epochs() == list(range(1, last + 1)), "every epoch, however small the budget"
    kept = len(reader.of("snapshot"))
    # 2 kB/s cannot carry 8 kB snapshots 4 times a second: one waits, newer ones replace it,
    # and one goes at the latest every OPTIONAL_MAX_WAIT seconds.
    assert 1 <= kept <= snapshots // 2, (kept, snapshots)
    assert len(reader.of("histograms")) < len([f for f in frames if f["type"] == "histograms"])


def test_a_broadcast_is_encoded_once_for_every_watcher(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoded: list[str] = []
    entries: list[np.ndarray] = []  # kept alive, so their ids stay unique

    def spy(frame: Frame) -> bytes:
        if frame["type"] != "hello":  # a hello's head is its connection's own
            encoded.append(json.dumps(frame))
        return compact.frame_block(frame)

    def columns_spy(rows: np.ndarray, n_layers: int) -> list[Any]:
        entries.append(rows)
        return original(rows, n_layers)

    original = compact_metrics.packed_entry
    monkeypatch.setattr(compact_wire, "frame_block", spy)
    monkeypatch.setattr(compact_metrics, "packed_entry", columns_spy)
    sid, token = open_session(client)
    watchers = 5
    with contextlib.ExitStack() as stack:
        readers = [stack.enter_context(compact_client(client, sid, token)) for _ in range(watchers)]
        before = dict(compact.encodings)
        readers[0].ws.send_json({"type": "step", "epochs": 60})
        for reader in readers:
            reader.read_until(paused)
    done = {k: v - before.get(k, 0) for k, v in compact.encodings.items()}
    for reader in readers:
        assert reader.epochs() == list(range(1, 61))
    # Each log entry (a chunk of epochs) was encoded once, however many watchers read it.
    assert len(entries) >= 2 and len({id(rows) for rows in entries}) == len(entries)
    assert sum(len(rows) for rows in entries) == 60
    # Snapshots and histograms: each one encoded once, whichever watchers it reached.
    assert done.get("snapshot", 0) >= 1 and len(encoded) == len(set(encoded)) >= 1


def test_a_command_answer_does_not_wait_out_the_frame_interval() -> None:
    app = make_test_app()
    app.state.settings = dataclasses.replace(app.state.settings, frame_interval=3.0)
    with TestClient(app) as client:
        sid, token = open_session(client)
        with compact_client(client, sid, token) as reader:
            reader.ws.send_json({"type": "play"})
            reader.read_until(lambda f: f["type"] == "state" and f["state"] == "running")
            started = time.monotonic()
            reader.ws.send_json({"type": "pause"})  # the sender has just begun a 3 s wait
            reader.read_until(paused)
            took = time.monotonic() - started
    assert took < 1.5, f"the pause took {took:.2f} s to arrive; the interval is 3 s"
