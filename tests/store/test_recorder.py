"""A session records into the store: every epoch, its events with old -> new values, checkpoints."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from app.engine.checkpoint import from_bytes, restore
from app.schemas.config import SessionConfig, merge_config
from app.schemas.messages import parse_command
from app.store import RunStore
from app.training.executors.host import RunHost
from app.training.recorder import CADENCE, Cadence, Recorder, config_changes
from app.training.run import Run
from app.training.session import SessionState, TrainingSession
from tests.training.test_session import run_isolated


async def wait_for(condition: Any, timeout: float = 20.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


def test_config_changes_lists_each_leaf_with_old_and_new() -> None:
    old = SessionConfig().model_dump()
    new = merge_config(SessionConfig(), {"training": {"learning_rate": 0.1}}).model_dump()
    assert config_changes(old, new) == [{"path": "training.learning_rate", "old": 0.01, "new": 0.1}]
    assert config_changes(old, old) == []


def test_a_session_records_epochs_events_and_checkpoints(tmp_path: Path) -> None:
    store = RunStore.open(tmp_path)
    config = merge_config(SessionConfig(), {"dataset": {"samples": 100}})

    async def scenario() -> None:
        recorder = Recorder(store, "r1", config.model_dump(), cadence=Cadence(40, 10, 40))
        session = TrainingSession.local("r1", "t", Run(config), recorder)
        session.start()

        def send(text: str) -> None:
            session.submit(parse_command(text))

        send('{"type": "play"}')
        await wait_for(lambda: session.local_run.epoch >= 200)
        send('{"type": "configure", "config": {"training": {"learning_rate": 0.05}}}')
        send('{"type": "pause"}')
        await wait_for(lambda: session.state is SessionState.PAUSED)
        paused_at = session.local_run.epoch
        finished_epoch = session.local_run.trainer.in_epoch
        if finished_epoch:  # paused mid-epoch: the checkpoint waits for its end
            send('{"type": "step", "epochs": 1}')
            await wait_for(
                lambda: (
                    session.state is SessionState.PAUSED and not session.local_run.trainer.in_epoch
                )
            )
            paused_at = session.local_run.epoch
        # The host of the Run captures the pause's checkpoint just after the state changes.
        await wait_for(lambda: recorder.last is not None and recorder.last.epoch == paused_at)
        store.flush()
        latest = store.latest_checkpoint("r1")
        assert latest is not None and from_bytes(latest[3]).epoch == paused_at
        send('{"type": "configure", "config": {"model": {"layers": [{"units": 3}]}}}')
        send('{"type": "step", "epochs": 5}')
        edited_at = paused_at + 5  # a network edit keeps the epoch count
        await wait_for(
            lambda: session.state is SessionState.PAUSED and session.local_run.epoch == edited_at
        )
        send('{"type": "reset"}')
        send('{"type": "regenerate"}')
        send('{"type": "add_point", "x": 0.5, "y": 0.5, "label": 1}')
        await wait_for(lambda: len(session.local_run.data.y_train) == 71)  # the point is in
        await asyncio.sleep(0.1)
        await session.close()
        store.flush()

        records = store.records("r1")
        first = [r["epoch"] for s, r in records if s == 0]
        assert first == list(range(1, edited_at + 1)), "every epoch, across the edit, in order"
        assert [r["epoch"] for s, r in records if s == 1] == []
        events = store.events("r1")
        if finished_epoch:  # the step that finished the paused epoch
            assert [e["kind"] for e in events[3:5]] == ["play", "pause"]
            events = events[:3] + events[5:]
        kinds = [e["kind"] for e in events]
        assert kinds[:3] == ["play", "configure", "pause"]
        assert kinds[3:] == [
            "architecture",
            "play",
            "pause",
            "reset",
            "idle",
            "regenerate",
            "points",
            "closed",
        ]
        assert events[1]["payload"]["changes"] == [
            {"path": "training.learning_rate", "old": 0.01, "new": 0.05}
        ]
        assert events[3]["segment"] == 0 and events[3]["payload"]["changes"][0]["path"] == (
            "model.layers"
        )
        assert events[3]["payload"]["kept_history"] is True
        assert events[3]["payload"]["layer_sources"] == [0, 2]  # hidden 0 and the output
        assert events[6]["segment"] == 1, "a reset starts a new segment"
        histograms = [(s, e) for s, e, _ in store.histograms("r1")]
        assert [e for s, e in histograms if s == 0] == list(range(10, edited_at + 1, 10))
        checkpoints = store.checkpoints("r1")
        periodic = [e for s, e in checkpoints if s == 0 and e < paused_at]
        assert periodic[:3] == [0, 40, 80], "one when it first plays, then every 40 epochs"
        assert (0, paused_at) in checkpoints
        assert (0, edited_at) in checkpoints, "the step ends paused: a checkpoint"
        assert events[-2]["payload"] == {"train": 71, "val": 30}
        run = store.get_run("r1")
        assert run is not None and run["state"] == "idle"
        assert run["config"]["dataset"]["seed"] == config.dataset.seed + 1

    try:
        run_isolated(scenario())
    finally:
        store.close()


def test_a_checkpoint_continues_the_run_exactly(tmp_path: Path) -> None:
    store = RunStore.open(tmp_path)
    config = merge_config(SessionConfig(), {"dataset": {"samples": 100}})
    try:
        run = Run(config)
        recorder = Recorder(store, "r1", config.model_dump())
        for _ in range(12):
            run.train_epoch()
        checkpoint = RunHost(run, CADENCE).checkpoint()
        assert checkpoint is not None
        recorder.saved(checkpoint)
        expected = [run.train_epoch()["train_loss"] for _ in range(4)]
        store.flush()
        segment, epoch, saved_config, data = store.latest_checkpoint("r1")  # type: ignore[misc]
        resumed = Run(SessionConfig.model_validate(saved_config))
        restore(resumed.trainer, from_bytes(data))
        assert (segment, epoch) == (0, 12)
        assert [resumed.train_epoch()["train_loss"] for _ in range(4)] == expected
    finally:
        store.close()


def test_a_failing_store_never_stops_training(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = RunStore.open(tmp_path)
    config = merge_config(SessionConfig(), {"dataset": {"samples": 100}})

    async def scenario() -> None:
        recorder = Recorder(store, "r1", config.model_dump())
        store.close()  # every later write now fails
        session = TrainingSession.local("r1", "t", Run(config), recorder)
        session.start()
        session.submit(parse_command('{"type": "step", "epochs": 30}'))
        await wait_for(
            lambda: session.state is SessionState.PAUSED and session.local_run.epoch == 30
        )
        await session.close()

    run_isolated(scenario())
    assert "training goes on" in caplog.text
