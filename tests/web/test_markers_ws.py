"""Markers over the websocket: live, in the hello of a reconnect, and back after a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import LOOPBACK_HOSTS, Settings
from tests.conftest import strict_json
from tests.web.test_ws import open_session, read_until


def paused(frame: dict[str, Any]) -> bool:
    return frame["type"] == "state" and frame["state"] == "paused"


def test_markers_survive_a_reconnect_and_a_restart_with_the_edited_history(
    tmp_path: Path,
) -> None:
    settings = Settings(allowed_hosts=(*LOOPBACK_HOSTS, "testserver"), data_dir=tmp_path)
    layers = [{"units": 8}, {"units": 8}, {"units": 8}]
    with TestClient(create_app(settings)) as first:
        sid, token = open_session(first, {"dataset": {"samples": 100}})
        url = f"/ws/sessions/{sid}?token={token}"
        with first.websocket_connect(url) as ws:
            strict_json(ws.receive_text())
            ws.send_json({"type": "step", "epochs": 5})
            read_until(ws, paused)
            ws.send_json({"type": "configure", "config": {"training": {"learning_rate": 0.3}}})
            live = read_until(ws, lambda f: f["type"] == "marker")[-1]["marker"]
            assert (live["epoch"], live["kind"]) == (5, "configure")
            ws.send_json({"type": "configure", "config": {"model": {"layers": layers}}})
            read_until(ws, lambda f: f["type"] == "marker")
            ws.send_json({"type": "step", "epochs": 4})
            frames = read_until(ws, paused)
            assert [e for f in frames if f["type"] == "metrics" for e in f["epoch"]] == [
                6,
                7,
                8,
                9,
            ]
        with first.websocket_connect(url) as ws:  # a reload
            hello = strict_json(ws.receive_text())
        assert [(m["epoch"], m["kind"]) for m in hello["markers"]] == [
            (5, "configure"),
            (5, "architecture"),
        ]
        assert hello["history"]["epoch"] == list(range(1, 10))

    with TestClient(create_app(settings)) as second:  # the server restarted
        reply = second.post(f"/api/runs/{sid}/resume")
        assert reply.status_code == 201, reply.text
        body = reply.json()
        assert body["epoch"] == 9
        with second.websocket_connect(f"/ws/sessions/{body['id']}?token={body['token']}") as ws:
            hello = strict_json(ws.receive_text())
        assert [(m["epoch"], m["kind"]) for m in hello["markers"]] == [
            (5, "configure"),
            (5, "architecture"),
        ]
        assert hello["markers"][0]["changes"][0]["new"] == 0.3
        history = hello["history"]
        assert history["epoch"] == list(range(1, 10)), "the stored history, across the edit"
        assert [layer["name"] for layer in history["layers"]] == [f"dense{i}" for i in range(4)]
        assert history["layers"][2]["grad_norm"][:5] == [None] * 5
        assert None not in history["layers"][3]["grad_norm"], "the output layer goes on"
        detail = second.get(f"/api/runs/{sid}").json()
        (segment,) = detail["history"]
        assert segment["epoch"] == list(range(1, 10))
