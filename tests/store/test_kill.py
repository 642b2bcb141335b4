"""kill -9 of a real server mid-training: the database stays sound, at most ~1 s of epochs is lost,
and the next server lists the run as interrupted with its last checkpoint, ready to continue."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

from app.engine.checkpoint import from_bytes, restore
from app.schemas.config import SessionConfig
from app.store import DB_NAME, RunStore
from app.training.recorder import CADENCE
from app.training.run import Run

ROOT = Path(__file__).resolve().parents[2]
SERVE = (
    "import sys, uvicorn; from pathlib import Path; from app.main import create_app; "
    "from app.settings import Settings; port = int(sys.argv[1]); "
    "uvicorn.run(create_app(Settings(port=port, data_dir=Path(sys.argv[2]))), "
    "host='127.0.0.1', port=port, log_level='warning')"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(data_dir: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A uvicorn server process on 127.0.0.1 storing runs in data_dir."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVE, str(port), str(data_dir)], cwd=ROOT)
    url = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"the server exited with code {proc.returncode}"
            try:
                with urllib.request.urlopen(f"http://{url}/api/health", timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "the server did not start within 60 s"
                time.sleep(0.1)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def call(url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"http://{url}{path}", data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())


def test_kill_9_mid_training_loses_at_most_a_second_and_never_corrupts(tmp_path: Path) -> None:
    with server(tmp_path) as (url, proc):
        session = call(url, "/api/sessions", {"config": {"dataset": {"samples": 200}}})
        sid = session["id"]
        with connect(f"ws://{url}/ws/sessions/{sid}?token={session['token']}") as ws:
            ws.send(json.dumps({"type": "play"}))
            seen: list[tuple[float, int]] = []  # (time received, last epoch) per metrics frame
            while not seen or seen[-1][1] < 3 * CADENCE.max_every:
                frame = json.loads(ws.recv(timeout=30))
                if frame["type"] == "metrics" and frame["epoch"]:
                    seen.append((time.monotonic(), frame["epoch"][-1]))
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    killed_at, last_seen = seen[-1]
    recent = [(t, e) for t, e in seen if t >= killed_at - 1.0]
    per_second = (recent[-1][1] - recent[0][1]) / max(recent[-1][0] - recent[0][0], 1e-3)

    db = sqlite3.connect(tmp_path / DB_NAME)
    assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    db.close()

    with server(tmp_path) as (url, _):
        runs = call(url, "/api/runs")
        assert [(r["id"], r["state"]) for r in runs] == [(sid, "interrupted")]
        detail = call(url, f"/api/runs/{sid}")
        resumed = call(url, f"/api/runs/{sid}/resume", {})
        assert resumed["epoch"] == detail["checkpoints"][-1]["epoch"], "continues from there"
    stored = detail["history"][0]["epoch"]
    assert stored == list(range(1, stored[-1] + 1)), "no gaps: a prefix of the run survives"
    lost = last_seen - stored[-1]
    assert lost <= max(per_second, 1.0), (
        f"lost {lost} epochs; at {per_second:.0f} epochs/s that is more than a second"
    )
    checkpoint_epoch = detail["checkpoints"][-1]["epoch"]
    assert CADENCE.max_every <= checkpoint_epoch <= stored[-1]

    store = RunStore(tmp_path / DB_NAME, read_only=True)
    try:
        latest = store.latest_checkpoint(sid)
    finally:
        store.close()
    assert latest is not None
    run = Run(SessionConfig.model_validate(latest[2]))
    restore(run.trainer, from_bytes(latest[3]))
    assert run.train_epoch()["epoch"] == checkpoint_epoch + 1, "training continues from there"
