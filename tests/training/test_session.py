"""TrainingSession alone: coalescing, resync, stepping, stopping, data edits, reaping."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from app.schemas.config import SessionConfig, merge_config
from app.schemas.messages import parse_command
from app.training import session as session_module
from app.training.event_log import Subscriber
from app.training.manager import SessionManager
from app.training.run import Run
from app.training.session import SessionState, TrainingSession

Frame = dict[str, Any]


def make_session(patch: dict[str, Any] | None = None) -> TrainingSession:
    config = merge_config(SessionConfig(), patch or {})
    return TrainingSession("s1", "t1", Run(config))


def run_isolated(coro: Coroutine[Any, Any, None]) -> None:
    """Run a scenario on a loop in its own thread: Playwright's e2e fixtures own this thread's."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coro).result()


def send(session: TrainingSession, sub: Subscriber, text: str) -> None:
    session.submit(parse_command(text), sub)


async def collect(
    session: TrainingSession, sub: Subscriber, done: Callable[[Frame], bool], timeout: float = 20
) -> list[Frame]:
    """Drain frames until one satisfies `done`."""
    frames: list[Frame] = []
    async with asyncio.timeout(timeout):
        while True:
            await sub.wake.wait()
            sub.wake.clear()
            for frame in session.drain(sub):
                frames.append(frame)
                if done(frame):
                    return frames


def epochs_of(frames: list[Frame]) -> list[int]:
    return [e for f in frames if f["type"] == "metrics" for e in f["epoch"]]


def test_a_slow_client_gets_one_coalesced_frame_with_every_epoch() -> None:
    async def scenario() -> None:
        session = make_session()
        session.start()
        sub, _ = session.subscribe()
        send(session, sub, '{"type": "play"}')
        while len(session.history.records) < 60:  # published epochs; the client reads nothing
            await asyncio.sleep(0.02)
        frames = session.drain(sub)
        metrics = [f for f in frames if f["type"] == "metrics"]
        assert len(metrics) == 1, "records between two control frames travel as one frame"
        assert metrics[0]["epoch"] == list(range(1, len(metrics[0]["epoch"]) + 1))
        assert len(metrics[0]["epoch"]) >= 60
        snapshots = [f for f in frames if f["type"] == "snapshot"]
        assert len(snapshots) <= 1, "only the newest snapshot is sent"
        await session.close()

    run_isolated(scenario())


def test_a_client_that_falls_off_the_log_is_resynchronised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session_module, "LOG_CAPACITY", 20)

    async def scenario() -> None:
        session = make_session()
        session.start()
        sub, _ = session.subscribe()
        send(session, sub, '{"type": "play"}')
        while len(session.history.records) < 100:
            await asyncio.sleep(0.02)
        frames = session.drain(sub)
        hello = [f for f in frames if f["type"] == "hello"]
        assert hello, "a fresh hello replaces the records that no longer fit"
        assert hello[0]["history"]["epoch"][:3] == [1, 2, 3]
        await session.close()

    run_isolated(scenario())


def test_step_runs_exactly_n_epochs_then_pauses() -> None:
    async def scenario() -> None:
        session = make_session()
        session.start()
        sub, _ = session.subscribe()
        send(session, sub, '{"type": "step", "epochs": 7}')
        frames = await collect(session, sub, lambda f: f.get("state") == "paused")
        assert epochs_of(frames) == list(range(1, 8))
        assert session.run.epoch == 7
        await session.close()

    run_isolated(scenario())


def test_early_stopping_stops_with_a_reason_and_play_starts_a_new_run() -> None:
    patch = {
        "dataset": {"name": "gaussian", "samples": 60, "noise": 0.8},
        "model": {"layers": [{"units": 32, "activation": "relu"}] * 2, "init": "he"},
        "training": {"optimizer": "adam", "early_stopping": {"enabled": True, "patience": 5}},
    }

    async def scenario() -> None:
        session = make_session(patch)
        session.start()
        sub, _ = session.subscribe()
        send(session, sub, '{"type": "play"}')
        frames = await collect(session, sub, lambda f: f.get("state") == "stopped")
        assert "Early stopping at epoch" in frames[-1]["reason"]
        assert session.state is SessionState.STOPPED
        send(session, sub, '{"type": "play"}')
        frames = await collect(session, sub, lambda f: f["type"] == "metrics")
        assert any(f["type"] == "config" and f["rebuilt"] for f in frames)
        assert epochs_of(frames)[0] == 1
        await session.close()

    run_isolated(scenario())


def test_regenerate_keeps_weights_and_history_but_draws_new_points() -> None:
    async def scenario() -> None:
        session = make_session()
        session.start()
        sub, hello = session.subscribe()
        send(session, sub, '{"type": "step", "epochs": 3}')
        await collect(session, sub, lambda f: f.get("state") == "paused")
        weights = session.run.model.theta.copy()
        send(session, sub, '{"type": "regenerate"}')
        frames = await collect(session, sub, lambda f: f["type"] == "snapshot")
        config = next(f for f in frames if f["type"] == "config")
        assert config["rebuilt"] is False
        assert config["config"]["dataset"]["seed"] == hello["config"]["dataset"]["seed"] + 1
        dataset = next(f for f in frames if f["type"] == "dataset")
        assert dataset["train"]["x"] != hello["dataset"]["train"]["x"]
        assert (session.run.model.theta == weights).all()
        send(session, sub, '{"type": "step", "epochs": 1}')
        frames = await collect(session, sub, lambda f: f.get("state") == "paused")
        assert epochs_of(frames) == [4]
        await session.close()

    run_isolated(scenario())


def test_points_can_be_added_and_removed_on_planar_data_only() -> None:
    async def scenario() -> None:
        session = make_session()
        session.start()
        sub, hello = session.subscribe()
        before = len(hello["dataset"]["train"]["x"])
        send(session, sub, '{"type": "add_point", "x": 5.5, "y": 5.5, "label": 1}')
        frames = await collect(session, sub, lambda f: f["type"] == "dataset")
        assert len(frames[-1]["train"]["x"]) == before + 1
        send(session, sub, '{"type": "remove_point", "x": 5.5, "y": 5.5}')
        frames = await collect(session, sub, lambda f: f["type"] == "dataset")
        assert len(frames[-1]["train"]["x"]) == before
        await session.close()

        tabular = make_session({"dataset": {"name": "iris"}})
        tabular.start()
        sub, _ = tabular.subscribe()
        other, _ = tabular.subscribe()
        send(tabular, sub, '{"type": "add_point", "x": 0, "y": 0, "label": 1}')
        frames = await collect(tabular, sub, lambda f: f["type"] == "error")
        assert frames[-1]["code"] == "not_planar"
        assert not [f for f in tabular.drain(other) if f["type"] == "error"], (
            "errors go to the sender only"
        )
        await tabular.close()

    run_isolated(scenario())


def test_reaper_pauses_unwatched_sessions_then_closes_them() -> None:
    async def scenario() -> None:
        manager = SessionManager(pause_after=0.0, expire_after=3600)
        session = await manager.create(SessionConfig())
        sub, _ = session.subscribe()
        send(session, sub, '{"type": "play"}')
        await collect(session, sub, lambda f: f["type"] == "metrics")
        session.unsubscribe(sub)
        await manager.reap()
        async with asyncio.timeout(10):
            while session.state is not SessionState.PAUSED:
                await asyncio.sleep(0.01)
        manager.expire_after = 0.0
        await manager.reap()
        assert manager.sessions == {}
        await manager.stop()

    run_isolated(scenario())
