"""A stopped session always has the epochs that made it stop (no stale state over empty history)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from app.schemas.config import SessionConfig, merge_config
from app.schemas.messages import Configure, Play, Step
from app.training.run import Run
from app.training.session import SessionState, TrainingSession

# Patience 1 and a min_delta no loss can beat: epoch 1 is the best, epoch 2 stops the run.
STOPS_AT_EPOCH_2 = {
    "training": {"early_stopping": {"enabled": True, "patience": 1, "min_delta": 1000.0}}
}


T = TypeVar("T")


def run_isolated(coro: Coroutine[Any, Any, T]) -> T:
    """Run on a loop in its own thread: Playwright's e2e fixtures own this thread's loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _wait_for(session: TrainingSession, state: SessionState) -> None:
    for _ in range(2000):
        if session.state is state:
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"session never reached {state}, still {session.state}")


async def _watch_hellos(session: TrainingSession) -> list[tuple[str, int]]:
    """What a client connecting at any moment would be told (state, epochs), until it restarts."""
    seen: list[tuple[str, int]] = []
    while True:
        hello = session.hello()  # what a client connecting now would be told
        seen.append((hello.head["state"], len(session.history)))
        if hello.head["state"] not in ("stopped", "diverged"):
            return seen
        await asyncio.sleep(0)  # every await of the restart gives a client a chance to connect


async def _scenario(restart: Play | Step | Configure) -> list[tuple[str, int]]:
    config = merge_config(SessionConfig(), STOPS_AT_EPOCH_2)
    session = TrainingSession.local("s", "t", Run(config))
    session.start()
    try:
        session.submit(Play(type="play"))
        await _wait_for(session, SessionState.STOPPED)
        assert session.history.rows()[:, 0].tolist() == [1, 2]
        session.submit(restart)
        return await asyncio.wait_for(_watch_hellos(session), timeout=30)
    finally:
        await session.close()


def test_restarting_a_stopped_session_never_shows_stopped_without_epochs() -> None:
    restarts = [
        Play(type="play"),
        Step(type="step", epochs=1),
        Configure(type="configure", config={"model": {"layers": [{"units": 3}]}}),  # rebuilds
    ]
    for restart in restarts:
        seen = run_isolated(_scenario(restart))
        stale = [s for s in seen if s[0] in ("stopped", "diverged") and s[1] == 0]
        assert not stale, f"{restart.type}: a client would see {stale[0][0]} with no epoch"
