"""Sessions in Ray actors, on a real local Ray: a session driven over the websocket, a killed
actor that costs only its own sessions, and `serve --executor ray` that leaves no Ray process
behind. One Ray instance serves the module's in-process tests; every wait is bounded."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import ray
from fastapi.testclient import TestClient

from app.cli_where import Where
from app.main import create_app
from app.settings import EXECUTOR_ENV, LOOPBACK_HOSTS, RAY_ADDRESS_ENV, WORKERS_ENV, Settings
from app.training.executors.ray_cluster import NAMESPACE, RayUnavailable, join
from app.training.executors.ray_executor import RayExecutor
from tests.web.live_server import live_server
from tests.web.test_workers import alive, children, epochs, past, wait_gone
from tests.web.test_ws import open_session, read_until

Frame = dict[str, Any]
SMALL = {"dataset": {"samples": 100}}
ROOT = Path(__file__).resolve().parents[2]


def ray_processes(pid: int) -> list[int]:
    """The Ray processes (GCS, raylet, agents, workers) below process `pid`."""
    found = []
    for child in children(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"ray" in command:
            found.append(child)
    return found


@pytest.fixture(scope="module")
def ray_instance() -> Iterator[str]:
    """A Ray of two CPUs on this machine, in a short temp folder (unix sockets live there)."""
    folder = tempfile.mkdtemp(prefix="ray", dir="/tmp")
    before = set(children(os.getpid()))
    sigterm = signal.getsignal(signal.SIGTERM)
    ray.init(
        address="local",  # ours, whatever else runs on this machine
        num_cpus=2,
        object_store_memory=100 * 1024 * 1024,
        include_dashboard=False,
        log_to_driver=False,
        namespace=NAMESPACE,
        _temp_dir=f"{folder}/r",
    )
    signal.signal(signal.SIGTERM, sigterm)  # Ray's handler would end pytest with sys.exit
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        started = [p for p in ray_processes(os.getpid()) if p not in before]
        ray.shutdown()
        shutil.rmtree(folder, ignore_errors=True)
        assert wait_gone(started) == [], "ray.shutdown left Ray processes behind"


def ray_client(ray_instance: str, data_dir: Path | None) -> TestClient:
    settings = Settings(
        allowed_hosts=(*LOOPBACK_HOSTS, "testserver"),
        data_dir=data_dir,
        executor="ray",
        ray_address=ray_instance,
        ray_actors=2,
    )
    return TestClient(create_app(settings))


def actor_pid(client: TestClient, session_id: str) -> int:
    """The process of the actor hosting a session's Run."""
    session = client.app.state.manager.sessions[session_id]  # type: ignore[attr-defined]
    pid = session.runtime.slot.pid
    assert pid is not None and pid != os.getpid()
    return int(pid)


def hello_after_loss(ws: Any) -> Frame:
    """The hello every client gets once the session reopened elsewhere."""
    frame: Frame = read_until(ws, lambda f: f["type"] == "hello")[-1]
    return frame


@pytest.mark.timeout(120)
def test_a_session_trains_in_an_actor_and_a_killed_actor_costs_only_its_own(
    ray_instance: str, tmp_path: Path
) -> None:
    with ray_client(ray_instance, tmp_path) as client:
        health = client.get("/api/health").json()
        assert re.fullmatch(
            r"training in Ray cluster at \S+: 2 actors on 1 node", health["training"]
        )
        (a_id, a_token), (b_id, b_token) = open_session(client, SMALL), open_session(client, SMALL)
        a_pid, b_pid = actor_pid(client, a_id), actor_pid(client, b_id)
        assert a_pid != b_pid, "two sessions go to two different actors"
        with (
            client.websocket_connect(f"/ws/sessions/{a_id}?token={a_token}") as a,
            client.websocket_connect(f"/ws/sessions/{b_id}?token={b_token}") as b,
        ):
            read_until(a, lambda f: f["type"] == "hello")
            read_until(b, lambda f: f["type"] == "hello")
            b.send_json({"type": "play"})
            a.send_json({"type": "step", "epochs": 30})  # ends paused: a checkpoint at 30
            stepped = read_until(a, lambda f: f["type"] == "state" and f["state"] == "paused")
            assert epochs(stepped) == list(range(1, 31))
            a.send_json({"type": "play"})
            past(a, 35)
            a.send_json({"type": "configure", "config": {"training": {"learning_rate": 0.2}}})
            changed = read_until(a, lambda f: f["type"] == "metrics" and 0.2 in f["lr"])
            assert changed[-1]["lr"][-1] == pytest.approx(0.2)  # obeyed, in the actor's Run
            before = past(b, 20)

            os.kill(a_pid, signal.SIGKILL)
            hello = hello_after_loss(a)
            assert hello["state"] == "paused", hello
            assert "Ray actor" in hello["reason"] and "checkpoint at epoch" in hello["reason"]
            found = re.search(r"checkpoint at epoch (\d+)", hello["reason"])
            assert found is not None and int(found.group(1)) >= 30, hello["reason"]
            at = int(found.group(1))
            assert hello["history"]["epoch"] == list(range(1, at + 1))
            assert not alive(a_pid) and alive(b_pid)
            assert actor_pid(client, a_id) != a_pid  # a fresh actor took it

            a.send_json({"type": "play"})  # it trains again, from its checkpoint
            resumed = epochs(past(a, at + 5))
            assert resumed[0] == at + 1, resumed[:3]

            after = past(b, epochs(before)[-1] + 40)
            seen = epochs(before + after)
            assert seen == list(range(seen[0], seen[-1] + 1)), "the other session never skipped"
            states = [f for f in before + after if f["type"] == "state"]
            assert all(f["state"] == "running" for f in states), states
            a.send_json({"type": "pause"})
            read_until(a, lambda f: f["type"] == "state" and f["state"] == "paused")
            b.send_json({"type": "pause"})
        health = client.get("/api/health").json()
        assert health["training"].endswith("2 actors on 1 node"), health  # the slot refilled


@pytest.mark.timeout(120)
def test_an_actor_ended_by_ray_kill_reopens_its_session_from_epoch_0_without_a_store(
    ray_instance: str,
) -> None:
    with ray_client(ray_instance, None) as client:
        session_id, token = open_session(client, SMALL)
        with client.websocket_connect(f"/ws/sessions/{session_id}?token={token}") as ws:
            read_until(ws, lambda f: f["type"] == "hello")
            ws.send_json({"type": "play"})
            past(ws, 10)
            session = client.app.state.manager.sessions[session_id]  # type: ignore[attr-defined]
            ray.kill(session.runtime.slot.handle)
            hello = hello_after_loss(ws)
            assert "killed by ray.kill" in hello["reason"], hello["reason"]
            assert "epoch 0 (no data directory" in hello["reason"], hello["reason"]
            ws.send_json({"type": "step", "epochs": 3})
            frames = read_until(ws, lambda f: f["type"] == "state" and f["state"] == "paused")
            assert epochs(frames) == [1, 2, 3]


def test_without_ray_serve_says_how_to_install_it(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['ray'] = None; from app.cli import main; "
        "sys.exit(main(['serve', '--executor', 'ray', '--port', '1']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1, done.stderr
    assert "install backprop-lab[cluster]" in done.stderr and "Traceback" not in done.stderr


def test_without_a_cluster_auto_says_how_to_start_one(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_cluster(**_: Any) -> None:  # what ray.init(address="auto") raises with none running
        raise ConnectionError("Could not find any running Ray instance.")

    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", no_cluster)
    with pytest.raises(RayUnavailable) as caught:
        join("auto", 2)
    assert "cannot start Ray at --ray-address auto: Could not find" in str(caught.value)
    assert "ray start --head" in str(caught.value) and "--ray-address local" in str(caught.value)


def test_more_actors_than_the_cluster_has_cpus_is_refused_before_serving(
    ray_instance: str,
) -> None:
    executor = RayExecutor(ray_instance, actors=5)
    with pytest.raises(RayUnavailable, match=r"has 2 CPUs: too few for 5 actors of one CPU each"):
        executor.connect()
    assert ray.is_initialized(), "a Ray this executor did not start stays up"


def test_flags_and_environment_choose_the_executor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(WORKERS_ENV, raising=False)
    monkeypatch.setenv(EXECUTOR_ENV, "ray")
    monkeypatch.setenv(RAY_ADDRESS_ENV, "ray://head:10001")
    settings = Where().applied(Settings())
    assert (settings.executor, settings.ray_address, settings.ray_actors) == (
        "ray",
        "ray://head:10001",
        0,  # one actor per CPU of the cluster
    )
    settings = Where(workers=3, ray_address="local").applied(Settings())
    assert (settings.ray_address, settings.ray_actors) == ("local", 3)
    with pytest.raises(ValueError, match="needs at least one actor"):
        Where(workers=0).applied(Settings())
    monkeypatch.setenv(EXECUTOR_ENV, "threads")
    with pytest.raises(ValueError, match="BACKPROP_LAB_EXECUTOR must be one of process, thread"):
        Settings()
    monkeypatch.delenv(EXECUTOR_ENV)
    with pytest.raises(ValueError, match="--ray-address goes with --executor ray"):
        Where(ray_address="local").applied(Settings())
    assert Where(executor="thread").applied(Settings()).executor == "thread"
    assert Where().applied(Settings(room=True)).max_sessions == 48  # a room's default
    assert Where(max_sessions=200).applied(Settings(room=True)).max_sessions == 200
    with pytest.raises(ValueError, match="--max-sessions must be 1 or more"):
        Where(max_sessions=0).applied(Settings())


@pytest.mark.timeout(120)
def test_serve_with_a_local_ray_leaves_no_ray_process_behind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # short: Ray's unix sockets live there
    monkeypatch.setenv("RAY_TMPDIR", folder)
    with live_server("--executor", "ray", "--ray-address", "local", "--workers", "1") as server:
        status, health = server.request("GET", "/api/health")
        assert status == 200
        assert health["training"] == "training in a local Ray instance: 1 actor on 1 node"
        status, body = server.request("POST", "/api/sessions", {"config": SMALL})
        assert status == 201, body
        started = ray_processes(server.pid)
        assert any(b"SessionsActor" in Path(f"/proc/{p}/cmdline").read_bytes() for p in started)
        os.kill(server.pid, signal.SIGTERM)
        assert wait_gone([server.pid, *started]) == [], server.log()[-2000:]
        assert "Traceback" not in server.log()
    shutil.rmtree(folder, ignore_errors=True)
