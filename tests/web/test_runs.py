"""REST for stored runs: list, read with history, rename, delete, and every export round-trips."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from app.engine.checkpoint import from_bytes, parameters_of
from app.main import create_app
from app.schemas.config import SessionConfig, merge_config
from app.settings import LOOPBACK_HOSTS, Settings
from app.training.export import read_metrics_csv
from app.training.run import Run
from app.web import runs as runs_api
from tests.conftest import strict_json
from tests.web.test_ws import DIVERGING, open_session, read_until


@pytest.fixture
def stored(tmp_path: Path) -> Iterator[TestClient]:
    """A TestClient whose app stores runs in tmp_path."""
    settings = Settings(allowed_hosts=(*LOOPBACK_HOSTS, "testserver"), data_dir=tmp_path)
    with TestClient(create_app(settings)) as client:
        yield client


def train_and_pause(client: TestClient, epochs: int = 40) -> str:
    sid, token = open_session(client, {"dataset": {"samples": 100}})
    with client.websocket_connect(f"/ws/sessions/{sid}?token={token}") as ws:
        ws.send_json({"type": "configure", "config": {"training": {"learning_rate": 0.05}}})
        ws.send_json({"type": "play"})
        read_until(ws, lambda f: f["type"] == "metrics" and f["epoch"][-1] >= epochs)
        ws.send_json({"type": "pause"})
        read_until(ws, lambda f: f["type"] == "state" and f["state"] == "paused")
    return sid


def test_a_session_is_listed_and_read_back_with_its_history(stored: TestClient) -> None:
    sid = train_and_pause(stored)
    runs = stored.get("/api/runs").json()
    assert [r["id"] for r in runs] == [sid]
    assert runs[0]["state"] == "paused" and runs[0]["epochs"] >= 40
    body = strict_json(stored.get(f"/api/runs/{sid}").text)
    (segment,) = body["history"]
    assert segment["epoch"] == list(range(1, body["epochs"] + 1))
    assert [layer["name"] for layer in segment["layers"]] == ["dense0", "dense1", "dense2"]
    kinds = [e["kind"] for e in body["events"]]
    assert kinds[:3] == ["configure", "play", "pause"]
    assert body["checkpoints"][-1] == {"segment": 0, "epoch": body["epochs"]}
    assert body["config"]["training"]["learning_rate"] == 0.05


def test_rename_and_delete(stored: TestClient) -> None:
    sid = train_and_pause(stored, epochs=5)
    assert stored.patch(f"/api/runs/{sid}", json={"name": "spiral, lr 0.05"}).json()["name"] == (
        "spiral, lr 0.05"
    )
    assert stored.patch(f"/api/runs/{sid}", json={"name": ""}).status_code == 422
    assert stored.patch(f"/api/runs/{sid}", json={"title": "x"}).status_code == 422
    assert stored.patch("/api/runs/nope", json={"name": "x"}).status_code == 404
    assert stored.delete(f"/api/runs/{sid}").status_code == 204
    assert stored.get(f"/api/runs/{sid}").status_code == 404
    assert stored.delete(f"/api/runs/{sid}").status_code == 404
    assert stored.get("/api/runs").json() == []


def export(client: TestClient, sid: str, fmt: str) -> Any:
    response = client.get(f"/api/runs/{sid}/export", params={"format": fmt})
    assert response.status_code == 200, response.text
    assert f"run-{sid}." in response.headers["content-disposition"]
    return response


def test_every_export_format_round_trips(stored: TestClient) -> None:
    sid = train_and_pause(stored)
    detail = strict_json(stored.get(f"/api/runs/{sid}").text)
    history = detail["history"][0]

    rows = read_metrics_csv(export(stored, sid, "csv").text)
    metric_rows = [r for r in rows if r["train_loss"] is not None]
    assert [r["epoch"] for r in metric_rows] == history["epoch"]
    assert [r["train_loss"] for r in metric_rows] == history["train_loss"]
    assert [r["dense1.grad_norm"] for r in metric_rows] == history["layers"][1]["grad_norm"]
    csv_events = [e["kind"] for r in rows for e in r["events"]]
    assert sorted(csv_events) == sorted(e["kind"] for e in detail["events"])

    body = strict_json(export(stored, sid, "json").text)
    records = body["segments"][0]["epochs"]
    assert [r["val_loss"] for r in records] == history["val_loss"]
    assert [r["layers"][2]["act_std"] for r in records] == history["layers"][2]["act_std"]
    assert body["events"] == detail["events"] and body["config"] == detail["config"]
    with_histograms = stored.get(f"/api/runs/{sid}", params={"histograms": "true"}).json()
    assert body["histograms"] == with_histograms["histograms"]
    assert [h["epoch"] for h in body["histograms"]] == list(range(10, detail["epochs"] + 1, 10))
    assert "histograms" not in detail

    weights = np.load(io.BytesIO(export(stored, sid, "npz").content))
    assert sorted(weights.files) == sorted(
        ["dense0.W", "dense0.b", "dense1.W", "dense1.b", "dense2.W", "dense2.b"]
    )
    assert weights["dense0.W"].shape == (2, 8) and weights["dense2.b"].shape == (1,)
    store = stored.app.state.manager.store  # type: ignore[attr-defined]
    latest = parameters_of(from_bytes(store.latest_checkpoint(sid)[3]))
    for name in weights.files:
        np.testing.assert_array_equal(weights[name], latest[name])

    config = json.loads(export(stored, sid, "config").text)
    assert merge_config(SessionConfig(), config).model_dump() == detail["config"]


def test_tensorboard_script_and_png_round_trip(stored: TestClient, tmp_path: Path) -> None:
    sid = train_and_pause(stored)
    history = strict_json(stored.get(f"/api/runs/{sid}").text)["history"][0]

    archive = export(stored, sid, "tensorboard")
    assert archive.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as unzipped:
        unzipped.extractall(tmp_path / "logs")
    events = EventAccumulator(str(tmp_path / "logs" / f"run-{sid}" / "segment-0"))
    events.Reload()
    losses = events.Scalars("loss/train")
    assert [e.step for e in losses] == history["epoch"]
    assert [e.value for e in losses] == pytest.approx(history["train_loss"], rel=1e-6)

    script = export(stored, sid, "script")
    assert script.headers["content-type"].startswith("text/x-python")
    (tmp_path / "run.py").write_bytes(script.content)  # lr 0.05 set before play: kept
    done = subprocess.run([sys.executable, "-I", str(tmp_path / "run.py"), "--epochs", "4"],
                          capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
    printed = [float(line.split()[1]) for line in done.stdout.splitlines()[1:]]
    assert printed == pytest.approx(history["train_loss"][:4], rel=1e-6)

    png = export(stored, sid, "png")
    assert png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"


def test_an_export_in_progress_never_blocks_the_server(
    stored: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = train_and_pause(stored, epochs=5)
    started, release = threading.Event(), threading.Event()
    real = runs_api.export_file

    def slow_export(*args: Any) -> Any:
        started.set()
        assert release.wait(30), "the test never released the export"
        return real(*args)

    monkeypatch.setattr(runs_api, "export_file", slow_export)
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(stored.get, f"/api/runs/{sid}/export", params={"format": "csv"})
        assert started.wait(30)
        assert stored.get("/api/health").status_code == 200  # answered while the export works
        assert stored.get(f"/api/runs/{sid}").status_code == 200
        release.set()
        response = pending.result(30)
    assert response.status_code == 200 and response.text.startswith("segment,epoch,")


def test_export_errors_name_what_was_expected(stored: TestClient) -> None:
    sid, _ = open_session(stored)
    bad = stored.get(f"/api/runs/{sid}/export", params={"format": "xlsx"})
    assert bad.status_code == 422 and "csv, json, npz, config" in bad.json()["detail"]
    assert stored.get(f"/api/runs/{sid}/export", params={"format": "npz"}).status_code == 409
    assert stored.get("/api/runs/nope/export").status_code == 404


def test_without_a_data_dir_runs_are_not_stored(client: TestClient) -> None:
    response = client.get("/api/runs")
    assert response.status_code == 503 and "data directory" in response.json()["detail"]


def test_an_upload_survives_a_restart(tmp_path: Path) -> None:
    from tests.web.test_uploads import IRISH, owner

    settings = Settings(allowed_hosts=(*LOOPBACK_HOSTS, "testserver"), data_dir=tmp_path)
    with TestClient(create_app(settings)) as first:
        headers = owner(first)
        upload = first.post(
            "/api/datasets", files={"file": ("mine.csv", IRISH, "text/csv")}, headers=headers
        )
        upload_id = upload.json()["id"]
    with TestClient(create_app(settings)) as second:
        assert second.get("/api/datasets").json()["uploads"] == [], "listed to nobody unasked"
        config = {"dataset": {"name": "csv", "upload_id": upload_id}}
        session = second.post("/api/sessions", json={"config": config})
        assert session.status_code == 201, session.text
        assert session.json()["config"]["dataset"]["upload_id"] == upload_id
        user = {"X-Session-Id": session.json()["id"], "X-Session-Token": session.json()["token"]}
        listed = second.get("/api/datasets", headers=user).json()["uploads"]
        assert [(u["id"], u["filename"], u["rows"]) for u in listed] == [
            (upload_id, "mine.csv", 60)
        ]
        run = second.get(f"/api/runs/{session.json()['id']}").json()
        assert run["name"] == "csv 8-8 tanh, sgd lr 0.01"
    with TestClient(create_app(Settings(allowed_hosts=("testserver",), data_dir=None))) as unstored:
        config = {"dataset": {"name": "csv", "upload_id": upload_id}}
        assert unstored.post("/api/sessions", json={"config": config}).status_code == 422


def test_a_stored_run_resumes_after_a_restart_with_its_epoch_count(tmp_path: Path) -> None:
    settings = Settings(allowed_hosts=(*LOOPBACK_HOSTS, "testserver"), data_dir=tmp_path)
    with TestClient(create_app(settings)) as first:
        sid = train_and_pause(first)
        paused_at = first.get(f"/api/runs/{sid}").json()["epochs"]
        assert first.post(f"/api/runs/{sid}/resume").status_code == 409, "still live here"
    config = merge_config(
        SessionConfig(),
        {"dataset": {"samples": 100}, "training": {"learning_rate": 0.05}},
    )
    straight = Run(config)
    expected = [straight.train_epoch()["train_loss"] for _ in range(paused_at + 5)][paused_at:]

    with TestClient(create_app(settings)) as second:
        reply = second.post(f"/api/runs/{sid}/resume")
        assert reply.status_code == 201, reply.text
        body = reply.json()
        assert (body["run"], body["epoch"]) == (sid, paused_at)
        url = f"/ws/sessions/{body['id']}?token={body['token']}"
        with second.websocket_connect(url) as ws:
            hello = strict_json(ws.receive_text())
            assert hello["history"]["epoch"] == list(range(1, paused_at + 1))
            assert [h["epoch"] for h in hello["histograms"]] == list(range(10, paused_at + 1, 10))
            ws.send_json({"type": "step", "epochs": 5})
            frames = read_until(ws, lambda f: f["type"] == "state" and f["state"] == "paused")
        metrics = [f for f in frames if f["type"] == "metrics"]
        assert [e for f in metrics for e in f["epoch"]] == list(
            range(paused_at + 1, paused_at + 6)
        ), "the epoch count carries on"
        assert [v for f in metrics for v in f["train_loss"]] == expected, "as if never stopped"
        detail = second.get(f"/api/runs/{sid}").json()
        (segment,) = detail["history"]
        assert segment["epoch"] == list(range(1, paused_at + 6))
        assert "resume" in [e["kind"] for e in detail["events"]]
        assert second.post("/api/runs/nope/resume").status_code == 404


def test_a_clean_shutdown_mid_training_leaves_the_run_interrupted(tmp_path: Path) -> None:
    settings = Settings(allowed_hosts=(*LOOPBACK_HOSTS, "testserver"), data_dir=tmp_path)
    with TestClient(create_app(settings)) as first:
        sid, token = open_session(first, {"dataset": {"samples": 100}})
        with first.websocket_connect(f"/ws/sessions/{sid}?token={token}") as ws:
            ws.send_json({"type": "play"})
            read_until(ws, lambda f: f["type"] == "metrics" and f["epoch"][-1] >= 20)
    with TestClient(create_app(settings)) as second:
        (run,) = second.get("/api/runs").json()
        assert (run["id"], run["state"]) == (sid, "interrupted")
        assert run["epochs"] >= 20
        kinds = [e["kind"] for e in second.get(f"/api/runs/{sid}").json()["events"]]
        assert kinds[-1] == "closed"


def test_a_diverged_run_keeps_only_its_finite_checkpoints(tmp_path: Path) -> None:
    settings = Settings(allowed_hosts=(*LOOPBACK_HOSTS, "testserver"), data_dir=tmp_path)
    with TestClient(create_app(settings)) as client:
        sid, token = open_session(client, DIVERGING)
        with client.websocket_connect(f"/ws/sessions/{sid}?token={token}") as ws:
            ws.send_json({"type": "play"})
            read_until(ws, lambda f: f["type"] == "state" and f["state"] == "diverged")
    with TestClient(create_app(settings)) as again:
        detail = again.get(f"/api/runs/{sid}").json()
        assert detail["state"] == "diverged"
        kept = [c["epoch"] for c in detail["checkpoints"]]
        assert kept[0] == 0 and kept[-1] < detail["epochs"], "none of the non-finite weights"
        assert again.post(f"/api/runs/{sid}/resume").json()["epoch"] == kept[-1]
