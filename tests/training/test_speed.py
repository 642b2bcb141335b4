"""Slow motion and "stop at epoch N": enforced by the session, obeyed live, commands still quick."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from app.training.session import SessionState
from tests.training.test_session import (
    collect,
    decode,
    epochs_of,
    run_isolated,
    running,
    send,
    until,
)


def configure(training: dict[str, Any]) -> str:
    """A configure command that changes training settings."""
    return json.dumps({"type": "configure", "config": {"training": training}})


SMALL = {"dataset": {"samples": 100}}  # epochs far shorter than a slow-motion interval


def test_five_epochs_per_second_holds_the_rate_with_a_snapshot_every_epoch() -> None:
    async def scenario() -> None:
        async with running({**SMALL, "training": {"epochs_per_second": 5}}) as session:
            sub, _ = session.subscribe()
            send(session, sub, '{"type": "play"}')
            await asyncio.sleep(1.0)
            send(session, sub, '{"type": "pause"}')
            await until(lambda: session.state is SessionState.PAUSED)
            epochs = epochs_of(decode(session.drain(sub)))
            assert 2 <= len(epochs) <= 8, epochs  # 5 in a second, within a wide margin

    run_isolated(scenario())


def test_slow_motion_sends_the_boundary_of_every_epoch() -> None:
    async def scenario() -> None:
        async with running({**SMALL, "training": {"epochs_per_second": 4}}) as session:
            sub, _ = session.subscribe()
            send(session, sub, '{"type": "play"}')
            seen: list[int] = []
            for _ in range(3):  # read as they come: 250 ms apart, so none coalesce
                frames = await collect(session, sub, lambda f: f["type"] == "snapshot")
                seen.append(frames[-1]["epoch"])
            assert seen == list(range(seen[0], seen[0] + 3)), seen

    run_isolated(scenario())


def test_full_speed_is_far_faster_than_slow_motion() -> None:
    async def scenario() -> None:
        async with running(SMALL) as session:
            sub, _ = session.subscribe()
            send(session, sub, '{"type": "play"}')
            await until(lambda: session.local_run.epoch > 20)  # 2 epochs/s would need 10 s

    run_isolated(scenario())


def test_stop_at_epoch_pauses_exactly_there_and_play_continues_past_it() -> None:
    async def scenario() -> None:
        async with running({**SMALL, "training": {"stop_at_epoch": 30}}) as session:
            sub, _ = session.subscribe()
            send(session, sub, '{"type": "play"}')
            frames = await collect(session, sub, lambda f: f.get("state") == "paused")
            assert epochs_of(frames)[-1] == 30
            assert session.local_run.epoch == 30
            assert session.reason is not None and "Stopped at epoch 30" in session.reason
            send(session, sub, '{"type": "play"}')
            await until(lambda: session.local_run.epoch > 31)
            assert session.state is SessionState.RUNNING

    run_isolated(scenario())


def test_stop_at_epoch_set_live_stops_a_running_session() -> None:
    async def scenario() -> None:
        async with running(SMALL) as session:
            sub, _ = session.subscribe()
            send(session, sub, '{"type": "play"}')
            await until(lambda: session.local_run.epoch >= 1)
            limit = session.local_run.epoch + 300  # far enough ahead for the command to land first
            send(session, sub, configure({"stop_at_epoch": limit}))
            await until(lambda: session.state is SessionState.PAUSED)
            assert session.local_run.epoch == limit

    run_isolated(scenario())


def test_a_pause_in_slow_motion_is_obeyed_without_waiting_for_the_next_epoch() -> None:
    async def scenario() -> None:
        async with running({**SMALL, "training": {"epochs_per_second": 0.5}}) as session:
            sub, _ = session.subscribe()
            send(session, sub, '{"type": "play"}')
            await until(lambda: session.local_run.epoch >= 1)  # now a 2 s wait for the next epoch
            started = time.monotonic()
            send(session, sub, '{"type": "pause"}')
            await until(lambda: session.state is SessionState.PAUSED)
            assert time.monotonic() - started < 1.0  # far less than the 2 s interval
            assert session.local_run.epoch == 1

    run_isolated(scenario())


def test_speed_changes_live_without_a_rebuild() -> None:
    async def scenario() -> None:
        async with running({**SMALL, "training": {"epochs_per_second": 1}}) as session:
            sub, _ = session.subscribe()
            send(session, sub, '{"type": "play"}')
            await until(lambda: session.local_run.epoch >= 1)
            assert session.local_run.epoch <= 3
            send(session, sub, configure({"epochs_per_second": None}))
            await until(
                lambda: session.local_run.epoch > 40, timeout=10
            )  # 1 epoch/s would need 40 s
            frames = decode(session.drain(sub))
            configs = [f for f in frames if f["type"] == "config"]
            assert configs and not any(f["rebuilt"] for f in configs)
            assert configs[-1]["config"]["training"]["epochs_per_second"] is None

    run_isolated(scenario())
