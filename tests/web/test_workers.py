"""Sessions in worker processes: spread over the pool, a killed worker costs only its sessions,
and a stopped server leaves no process behind. Every wait is bounded."""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from app.main import create_app
from app.settings import LOOPBACK_HOSTS, Settings
from tests.web.live_server import live_server
from tests.web.test_ws import open_session, read_until

Frame = dict[str, Any]
SMALL = {"dataset": {"samples": 100}}
GONE_SECONDS = 15.0


def app_client(data_dir: Path | None, workers: int = 2) -> TestClient:
    settings = Settings(
        allowed_hosts=(*LOOPBACK_HOSTS, "testserver"), data_dir=data_dir, workers=workers
    )
    return TestClient(create_app(settings))


def worker_pid(client: TestClient, session_id: str) -> int:
    """The process that hosts a session's Run."""
    session = client.app.state.manager.sessions[session_id]  # type: ignore[attr-defined]
    pid = session.runtime.worker.pid
    assert pid is not None and pid != os.getpid()
    return int(pid)


def epochs(frames: list[Frame]) -> list[int]:
    return [e for f in frames if f["type"] == "metrics" for e in f["epoch"]]


def past(ws: WebSocketTestSession, epoch: int) -> list[Frame]:
    """Frames until the session reports an epoch beyond `epoch`."""
    return read_until(ws, lambda f: f["type"] == "metrics" and f["epoch"][-1] > epoch)


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_gone(pids: list[int]) -> list[int]:
    """The pids still running after GONE_SECONDS."""
    deadline = time.monotonic() + GONE_SECONDS
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if alive(p)]


def children(pid: int) -> list[int]:
    """Every live descendant of `pid` (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        kids = [p for p, parent in parents.items() if parent == frontier[-1]]
        frontier.pop()
        found += kids
        frontier += kids
    return found


@pytest.mark.parametrize("stored", [True, False], ids=["with-store", "memory-only"])
def test_a_killed_worker_costs_only_its_own_sessions(tmp_path: Path, stored: bool) -> None:
    with app_client(tmp_path if stored else None) as client:
        (a_id, a_token), (b_id, b_token) = open_session(client, SMALL), open_session(client, SMALL)
        a_pid, b_pid = worker_pid(client, a_id), worker_pid(client, b_id)
        assert a_pid != b_pid, "two sessions go to two different workers"
        with (
            client.websocket_connect(f"/ws/sessions/{a_id}?token={a_token}") as a,
            client.websocket_connect(f"/ws/sessions/{b_id}?token={b_token}") as b,
        ):
            read_until(a, lambda f: f["type"] == "hello")
            read_until(b, lambda f: f["type"] == "hello")
            b.send_json({"type": "play"})
            a.send_json({"type": "step", "epochs": 30})  # ends paused: a checkpoint at 30
            read_until(a, lambda f: f["type"] == "state" and f["state"] == "paused")
            a.send_json({"type": "play"})
            past(a, 40)
            before = past(b, 20)

            os.kill(a_pid, signal.SIGKILL)
            # Every client of the session resyncs: a hello that shows the restored run and why.
            hello = read_until(a, lambda f: f["type"] == "hello")[-1]
            assert hello["state"] == "paused" and "SIGKILL" in hello["reason"], hello["reason"]
            expected = "checkpoint at epoch" if stored else "epoch 0 (no data directory"
            assert expected in hello["reason"], hello["reason"]
            # The newest checkpoint: the pause at 30 or a periodic one after it (the cadence).
            found = re.search(r"checkpoint at epoch (\d+)", hello["reason"])
            at = int(found.group(1)) if found else 0
            assert at >= 30 if stored else at == 0, hello["reason"]
            shown = hello["history"]["epoch"] if hello.get("history") else []
            assert shown == list(range(1, at + 1)), shown[-3:]
            assert not alive(a_pid) and alive(b_pid)
            assert worker_pid(client, a_id) not in (a_pid,)

            a.send_json({"type": "play"})  # it trains again, on a live worker, from there
            resumed = epochs(past(a, 35 if stored else 5))
            assert resumed[0] == at + 1, resumed[:3]

            after = past(b, epochs(before)[-1] + 50)
            seen = epochs(before + after)
            assert seen == list(range(seen[0], seen[-1] + 1)), "the other session never skipped"
            states = [f for f in before + after if f["type"] == "state"]
            assert all(f["state"] == "running" for f in states), states
            b.send_json({"type": "pause"})
            a.send_json({"type": "pause"})


def test_stopping_the_server_leaves_no_worker_behind() -> None:
    with live_server("--workers", "2") as server:
        status, body = server.request("POST", "/api/sessions", {"config": SMALL})
        assert status == 201, body
        workers = children(server.pid)
        assert len(workers) >= 2, workers  # the two workers (and the fork server)
        os.kill(server.pid, signal.SIGTERM)
        assert wait_gone([server.pid, *workers]) == []


def test_a_killed_server_leaves_no_worker_behind() -> None:
    with live_server("--workers", "2") as server:
        workers = children(server.pid)
        assert len(workers) >= 2, workers
        os.kill(server.pid, signal.SIGKILL)  # no shutdown at all: workers see their pipe close
        assert wait_gone(workers) == []


def test_workers_0_trains_in_threads_of_the_server(tmp_path: Path) -> None:
    with app_client(tmp_path, workers=0) as client:
        session_id, token = open_session(client, SMALL)
        session = client.app.state.manager.sessions[session_id]  # type: ignore[attr-defined]
        assert session.local_run is not None  # the Run lives in this process
        with client.websocket_connect(f"/ws/sessions/{session_id}?token={token}") as ws:
            read_until(ws, lambda f: f["type"] == "hello")
            ws.send_json({"type": "step", "epochs": 5})
            frames = read_until(ws, lambda f: f["type"] == "state" and f["state"] == "paused")
            assert epochs(frames) == [1, 2, 3, 4, 5]
