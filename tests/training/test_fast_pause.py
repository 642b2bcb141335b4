"""A pause lands between two batches unless the epoch is about to end; its checkpoint still
resumes exactly: at that epoch's end after play, or, when the session closes paused mid-epoch,
after the server finishes the epoch first."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from app.engine.checkpoint import from_bytes, restore
from app.schemas.config import SessionConfig, merge_config
from app.store import DB_NAME, RunStore
from app.training import session as session_module
from app.training.cadence import Cadence
from app.training.executors.host import RunHost
from app.training.recorder import Recorder
from app.training.run import Run
from app.training.session import TrainingSession
from tests.training.test_session import (
    LONG_EPOCH,
    collect,
    pace,
    run_isolated,
    send,
    until,
)

BATCH_LONG = {**LONG_EPOCH, "training": {**LONG_EPOCH["training"], "histogram_every": 0}}


def long_host() -> RunHost:
    return RunHost(Run(merge_config(SessionConfig(), BATCH_LONG)), Cadence(3, 10, 6))


def into_epoch(h: RunHost, seconds: float = 0.005) -> None:
    """Train a slice that ends inside the first epoch (the first slice may be a snapshot)."""
    for _ in range(3):
        h.chunk(0, seconds)
        if h.run.trainer.in_epoch:
            return
    raise AssertionError("no slice ended inside the epoch")


def test_a_pause_far_from_the_epochs_end_stops_between_batches() -> None:
    h = long_host()
    into_epoch(h)  # a few batches: the rate is known, the epoch far from done
    estimate = h.epoch_seconds_left()
    assert h.run.trainer.in_epoch and 0 < estimate < float("inf")
    left = h.run.trainer.batches_left
    result, checkpoint = h.pause(estimate / 4)  # the epoch ends well after the pause's budget
    assert result is None and checkpoint is None, "nothing more trained, nothing to capture"
    assert h.run.trainer.batches_left == left
    finished = h.finish_epoch(60.0)  # play again: the epoch's end brings the postponed checkpoint
    assert finished is not None and [c.epoch for c in finished.checkpoints] == [1]


def test_a_pause_near_the_epochs_end_finishes_it_and_takes_its_checkpoint() -> None:
    h = long_host()
    into_epoch(h)
    assert h.epoch_seconds_left() < 30.0
    result, checkpoint = h.pause(30.0)  # any machine ends the epoch within this
    assert result is not None and result.rows is not None and result.epoch == 1
    assert not h.run.trainer.in_epoch
    assert checkpoint is not None and checkpoint.epoch == 1


def test_the_epoch_left_is_estimated_from_the_batch_rate() -> None:
    h = long_host()
    assert h.epoch_seconds_left() == 0.0, "between epochs nothing is left"
    into_epoch(h, 0.01)
    started = time.perf_counter()
    estimate = h.epoch_seconds_left()
    h.finish_epoch(60.0)
    took = time.perf_counter() - started
    assert 0.2 * took < estimate < 5 * took, (estimate, took)


def test_closing_a_session_paused_mid_epoch_stores_the_next_epochs_exact_checkpoint(
    tmp_path: Path, monkeypatch: object
) -> None:
    monkeypatch.setattr(session_module, "CHUNK_SECONDS", 0.001)  # type: ignore[attr-defined]
    monkeypatch.setattr(session_module, "FINISH_EPOCH_SECONDS", 0.0)  # type: ignore[attr-defined]
    config = merge_config(SessionConfig(), BATCH_LONG)
    store = RunStore(tmp_path / DB_NAME)
    recorder = Recorder(store, "run1", config.model_dump())

    async def scenario() -> None:
        session = TrainingSession.local("s1", "t1", Run(config), recorder)
        session.start()
        steps: list[int] = []
        session.local_run.trainer.add_step_hook(lambda info: (steps.append(info.batch), pace()))
        sub, _ = session.subscribe()
        send(session, sub, '{"type": "play"}')
        await until(lambda: len(steps) > 0)
        send(session, sub, '{"type": "pause"}')
        await collect(session, sub, lambda f: f.get("state") == "paused")
        assert session.local_run.trainer.in_epoch, "paused between two batches"
        await session.close()

    run_isolated(scenario())
    last = recorder.last
    assert last is not None and last.epoch == 1, "the epoch was finished and its state stored"
    # The stored checkpoint continues exactly as an uninterrupted run: epoch 2 alike.
    straight = Run(config)
    straight.train_epoch()
    expected = straight.train_epoch()
    resumed = Run(config)
    restore(resumed.trainer, from_bytes(last.data))
    again = resumed.train_epoch()
    assert again["epoch"] == expected["epoch"] == 2
    assert np.isclose(again["train_loss"], expected["train_loss"], rtol=1e-9, atol=0)
    store.close()
