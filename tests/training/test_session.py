"""TrainingSession alone: coalescing, resync, stepping, stopping, data edits, pre-emption, reaping.

Every scenario runs under a time limit, and every session it opens is closed however it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from app.schemas.config import SessionConfig, merge_config
from app.schemas.messages import parse_command
from app.training import session as session_module
from app.training.compact_decode import decode_message
from app.training.compact_wire import hello_message
from app.training.event_log import Subscriber
from app.training.history import record_rows, to_columns
from app.training.manager import SessionManager
from app.training.run import Run
from app.training.session import SessionState, TrainingSession
from app.training.wire import Outgoing, encode_one

Frame = dict[str, Any]
SCENARIO_SECONDS = 60.0  # a whole scenario, however it hangs
WAIT_SECONDS = 20.0  # one condition


def make_session(patch: dict[str, Any] | None = None) -> TrainingSession:
    config = merge_config(SessionConfig(), patch or {})
    return TrainingSession.local("s1", "t1", Run(config))


@contextlib.asynccontextmanager
async def running(patch: dict[str, Any] | None = None) -> AsyncIterator[TrainingSession]:
    """A started session, closed when the block ends, even by a failed assertion."""
    session = make_session(patch)
    session.start()
    try:
        yield session
    finally:
        await session.close()


def run_isolated(coro: Coroutine[Any, Any, None]) -> None:
    """Run a scenario on a loop in its own thread (Playwright's e2e fixtures own this thread's),
    failing it after SCENARIO_SECONDS."""

    async def bounded() -> None:
        async with asyncio.timeout(SCENARIO_SECONDS):
            await coro

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, bounded()).result(timeout=SCENARIO_SECONDS + 10)


def send(session: TrainingSession, sub: Subscriber, text: str) -> None:
    session.submit(parse_command(text), sub)


def decode(items: list[Outgoing]) -> list[Frame]:
    """What a client would receive."""
    return [json.loads(encode_one(item)) for item in items]


def hello_of(session: TrainingSession) -> tuple[Subscriber, Frame]:
    sub, hello = session.subscribe()
    return sub, json.loads(hello.encode())


async def until(condition: Callable[[], bool], timeout: float = WAIT_SECONDS) -> None:
    """Poll `condition` until it holds; fail after `timeout` seconds."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def collect(
    session: TrainingSession, sub: Subscriber, done: Callable[[Frame], bool], timeout: float = 20
) -> list[Frame]:
    """Drain frames until one satisfies `done`."""
    frames: list[Frame] = []
    async with asyncio.timeout(timeout):
        while True:
            await sub.wake.wait()
            sub.wake.clear()
            for frame in decode(session.drain(sub)):
                frames.append(frame)
                if done(frame):
                    return frames


def epochs_of(frames: list[Frame]) -> list[int]:
    return [e for f in frames if f["type"] == "metrics" for e in f["epoch"]]


def test_a_slow_client_gets_one_coalesced_frame_with_every_epoch() -> None:
    async def scenario() -> None:
        async with running() as session:
            sub, _ = session.subscribe()
            send(session, sub, '{"type": "play"}')
            await until(lambda: len(session.history) >= 60)  # published; the client reads nothing
            frames = decode(session.drain(sub))
            metrics = [f for f in frames if f["type"] == "metrics"]
            assert len(metrics) == 1, "records between two control frames travel as one frame"
            assert metrics[0]["epoch"] == list(range(1, len(metrics[0]["epoch"]) + 1))
            assert len(metrics[0]["epoch"]) >= 60
            snapshots = [f for f in frames if f["type"] == "snapshot"]
            assert len(snapshots) <= 1, "only the newest snapshot is sent"

    run_isolated(scenario())


def test_a_client_that_falls_off_the_log_is_resynchronised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session_module, "LOG_BYTES", 2000)  # a few chunks of records

    async def scenario() -> None:
        async with running() as session:
            sub, _ = session.subscribe()
            send(session, sub, '{"type": "play"}')
            await until(lambda: len(session.history) >= 100)
            frames = decode(session.drain(sub))
            hello = [f for f in frames if f["type"] == "hello"]
            assert hello, "a fresh hello replaces the records that no longer fit"
            assert hello[0]["history"]["epoch"][:3] == [1, 2, 3]

    run_isolated(scenario())


def test_step_runs_exactly_n_epochs_then_pauses() -> None:
    async def scenario() -> None:
        async with running() as session:
            sub, _ = session.subscribe()
            send(session, sub, '{"type": "step", "epochs": 7}')
            frames = await collect(session, sub, lambda f: f.get("state") == "paused")
            assert epochs_of(frames) == list(range(1, 8))
            assert session.local_run.epoch == 7

    run_isolated(scenario())


def test_early_stopping_stops_with_a_reason_and_play_starts_a_new_run() -> None:
    patch = {
        "dataset": {"name": "gaussian", "samples": 60, "noise": 0.8},
        "model": {"layers": [{"units": 32, "activation": "relu"}] * 2, "init": "he"},
        "training": {"optimizer": "adam", "early_stopping": {"enabled": True, "patience": 5}},
    }

    async def scenario() -> None:
        async with running(patch) as session:
            sub, _ = session.subscribe()
            send(session, sub, '{"type": "play"}')
            frames = await collect(session, sub, lambda f: f.get("state") == "stopped")
            assert "Early stopping at epoch" in frames[-1]["reason"]
            assert session.state is SessionState.STOPPED
            send(session, sub, '{"type": "play"}')
            frames = await collect(session, sub, lambda f: f["type"] == "metrics")
            assert any(f["type"] == "config" and f["rebuilt"] for f in frames)
            assert epochs_of(frames)[0] == 1

    run_isolated(scenario())


def test_regenerate_keeps_weights_and_history_but_draws_new_points() -> None:
    async def scenario() -> None:
        async with running() as session:
            sub, hello = hello_of(session)
            send(session, sub, '{"type": "step", "epochs": 3}')
            await collect(session, sub, lambda f: f.get("state") == "paused")
            weights = session.local_run.model.theta.copy()
            send(session, sub, '{"type": "regenerate"}')
            frames = await collect(session, sub, lambda f: f["type"] == "snapshot")
            config = next(f for f in frames if f["type"] == "config")
            assert config["rebuilt"] is False
            assert config["config"]["dataset"]["seed"] == hello["config"]["dataset"]["seed"] + 1
            dataset = next(f for f in frames if f["type"] == "dataset")
            assert dataset["train"]["x"] != hello["dataset"]["train"]["x"]
            assert (session.local_run.model.theta == weights).all()
            send(session, sub, '{"type": "step", "epochs": 1}')
            frames = await collect(session, sub, lambda f: f.get("state") == "paused")
            assert epochs_of(frames) == [4]

    run_isolated(scenario())


def test_points_can_be_added_and_removed_on_planar_data_only() -> None:
    async def scenario() -> None:
        async with running() as session:
            sub, hello = hello_of(session)
            before = len(hello["dataset"]["train"]["x"])
            send(session, sub, '{"type": "add_point", "x": 5.5, "y": 5.5, "label": 1}')
            frames = await collect(session, sub, lambda f: f["type"] == "dataset")
            assert len(frames[-1]["train"]["x"]) == before + 1
            send(session, sub, '{"type": "remove_point", "x": 5.5, "y": 5.5}')
            frames = await collect(session, sub, lambda f: f["type"] == "dataset")
            assert len(frames[-1]["train"]["x"]) == before

        async with running({"dataset": {"name": "iris"}}) as tabular:
            sub, _ = tabular.subscribe()
            other, _ = tabular.subscribe()
            send(tabular, sub, '{"type": "add_point", "x": 0, "y": 0, "label": 1}')
            frames = await collect(tabular, sub, lambda f: f["type"] == "error")
            assert frames[-1]["code"] == "not_planar"
            assert not [f for f in decode(tabular.drain(other)) if f["type"] == "error"], (
                "errors go to the sender only"
            )

    run_isolated(scenario())


def test_reaper_pauses_unwatched_sessions_then_closes_them() -> None:
    async def scenario() -> None:
        manager = SessionManager(pause_after=0.0, expire_after=3600)
        try:
            session = await manager.create(SessionConfig())
            sub, _ = session.subscribe()
            send(session, sub, '{"type": "play"}')
            await collect(session, sub, lambda f: f["type"] == "metrics")
            session.unsubscribe(sub)
            await manager.reap()
            await until(lambda: session.state is SessionState.PAUSED)
            manager.expire_after = 0.0
            await manager.reap()
            assert manager.sessions == {}
        finally:
            await manager.stop()

    run_isolated(scenario())


# ---- pre-emption within an epoch ------------------------------------------------------------

LONG_EPOCH = {  # 700 steps of batch 1 per epoch: many chunks of SHORT_CHUNK on any machine
    "dataset": {"samples": 1000},
    "model": {"layers": [{"units": 64, "activation": "relu"}] * 2, "init": "he"},
    "training": {"batch_size": 1, "learning_rate": 0.001, "histogram_every": 0},
}
STEPS = 700
SHORT_CHUNK = 0.001


def pace() -> None:
    """A step hook's brake: 700 steps take over a second, so a pause surely lands mid-epoch on
    any machine (unbraked, a fast one finishes the epoch before the pause is handled)."""
    time.sleep(0.002)


@pytest.fixture
def short_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks far shorter than an epoch, so commands land between batches of one epoch, and a
    pause that never finishes the epoch first."""
    monkeypatch.setattr(session_module, "CHUNK_SECONDS", SHORT_CHUNK)
    monkeypatch.setattr(session_module, "FINISH_EPOCH_SECONDS", 0.0)


def test_a_pause_finishes_an_epoch_that_ends_within_its_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Between epochs is where a checkpoint resumes exactly, so a pause lands there when it can."""
    monkeypatch.setattr(session_module, "CHUNK_SECONDS", SHORT_CHUNK)
    monkeypatch.setattr(session_module, "FINISH_EPOCH_SECONDS", 30.0)  # any machine finishes

    async def scenario() -> None:
        async with running(LONG_EPOCH) as session:
            steps: list[int] = []
            session.local_run.trainer.add_step_hook(lambda info: steps.append(info.batch))
            sub, _ = session.subscribe()
            send(session, sub, '{"type": "play"}')
            await until(lambda: len(steps) > 0)
            send(session, sub, '{"type": "pause"}')
            frames = await collect(session, sub, lambda f: f.get("state") == "paused")
            assert not session.local_run.trainer.in_epoch, "the pause waited for the epoch's end"
            assert epochs_of(frames)[-1] == session.local_run.epoch >= 1

    run_isolated(scenario())


@pytest.mark.usefixtures("short_chunks")
def test_pause_is_obeyed_within_an_epoch_and_step_finishes_it_as_the_cli_would() -> None:
    async def scenario() -> None:
        async with running(LONG_EPOCH) as session:
            steps: list[int] = []
            session.local_run.trainer.add_step_hook(lambda info: (steps.append(info.batch), pace()))
            sub, _ = session.subscribe()
            send(session, sub, '{"type": "play"}')
            await until(lambda: len(steps) > 0)
            send(session, sub, '{"type": "pause"}')
            frames = await collect(session, sub, lambda f: f.get("state") == "paused")
            assert session.local_run.epoch == 0 and session.local_run.trainer.in_epoch, (
                "paused between two batches of the first epoch, not at its end"
            )
            assert not epochs_of(frames)
            paused_at = len(steps)
            await asyncio.sleep(0.1)
            assert len(steps) == paused_at, "no batch runs while paused"
            send(session, sub, '{"type": "step", "epochs": 1}')
            frames = await collect(session, sub, lambda f: f.get("state") == "paused", 60)
            assert epochs_of(frames) == [1]
            assert steps == list(range(STEPS)), "the epoch resumed where it stopped"
            metrics = next(f for f in frames if f["type"] == "metrics")
            cli = Run(session.local_run.config)
            expected = to_columns(record_rows([cli.train_epoch()]), metrics_names(metrics))
            assert {k: v for k, v in metrics.items() if k != "type"} == expected

    run_isolated(scenario())


def metrics_names(frame: Frame) -> list[str]:
    return [layer["name"] for layer in frame["layers"]]


@pytest.mark.usefixtures("short_chunks")
def test_a_setting_changed_mid_epoch_applies_from_the_next_batch_and_a_rebuild_drops_it() -> None:
    async def scenario() -> None:
        async with running(LONG_EPOCH) as session:
            rates: list[float] = []
            session.local_run.trainer.add_step_hook(lambda info: (rates.append(info.lr), pace()))
            sub, _ = session.subscribe()
            send(session, sub, '{"type": "play"}')
            await until(lambda: len(rates) > 0)
            send(session, sub, '{"type": "pause"}')
            await collect(session, sub, lambda f: f.get("state") == "paused")
            before = len(rates)
            patch = '{"type": "configure", "config": {"training": {"learning_rate": 0.005}}}'
            send(session, sub, patch)
            await collect(session, sub, lambda f: f["type"] == "config")
            send(session, sub, '{"type": "step", "epochs": 1}')
            frames = await collect(session, sub, lambda f: f.get("state") == "paused", 60)
            assert rates == [0.001] * before + [0.005] * (STEPS - before)
            assert next(f for f in frames if f["type"] == "metrics")["lr"] == [0.005]

            send(session, sub, '{"type": "play"}')
            await until(lambda: session.local_run.trainer.in_epoch)
            send(session, sub, '{"type": "configure", "config": {"model": {"layers": []}}}')
            frames = await collect(session, sub, lambda f: f["type"] == "config")
            assert frames[-1]["rebuilt"] and frames[-1]["kept_history"]
            # The edit kept the finished epoch and dropped the half-done one: the network goes on
            # from epoch 1 (the host trains on at once, so the Run itself is not read here).
            assert session.epoch == 1 and frames[-1]["config"]["model"]["layers"] == []
            send(session, sub, '{"type": "pause"}')
            frames = await collect(session, sub, lambda f: f.get("state") == "paused")
            later = epochs_of(frames)
            assert later == list(range(2, 2 + len(later))), "epoch 1 is not trained again"

    run_isolated(scenario())


def test_a_hello_reuses_the_encoded_history_until_the_history_changes() -> None:
    async def scenario() -> None:
        async with running() as session:
            sub, _ = session.subscribe()
            send(session, sub, '{"type": "step", "epochs": 5}')
            await collect(session, sub, lambda f: f.get("state") == "paused")
            first = session.hello()
            text = first.encode()
            again = session.hello()
            assert again.rows.size == 0, "the encoded history is reused, not copied again"
            assert again.encode() == text
            assert json.loads(text)["history"]["epoch"] == [1, 2, 3, 4, 5]
            send(session, sub, '{"type": "step", "epochs": 1}')
            await collect(session, sub, lambda f: f.get("state") == "paused")
            assert json.loads(session.hello().encode())["history"]["epoch"][-1] == 6
            # The compact encoding keeps its own: a JSON hello's cache does not spare its rows.
            compact = session.hello(compact=True)
            assert compact.rows.shape[0] == 6
            data = hello_message(compact)
            reused = session.hello(compact=True)
            assert reused.rows.size == 0 and hello_message(reused) == data
            assert decode_message(data)[0]["history"]["epoch"] == list(range(1, 7))

    run_isolated(scenario())
