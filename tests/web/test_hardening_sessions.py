"""The session cap holds under concurrent creation, in-process and against a real server."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from app.schemas.config import SessionConfig
from app.settings import Settings
from app.training.manager import SessionManager, TooManySessions
from tests.web.live_server import live_server

FORCED_REAP_IDLE = 5.0  # seconds an unwatched session must be idle before a full server reaps it


T = TypeVar("T")


def run_isolated(coro: Coroutine[Any, Any, T]) -> T:
    """Run on a loop in its own thread: Playwright's e2e fixtures own this thread's loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _create_many(manager: SessionManager, count: int) -> Counter[str]:
    async def one() -> str:
        try:
            await manager.create(SessionConfig())
        except TooManySessions:
            return "refused"
        return "created"

    return Counter(await asyncio.gather(*(one() for _ in range(count))))


def test_concurrent_creations_never_pass_the_cap_in_process() -> None:
    async def scenario() -> None:
        manager = SessionManager(max_sessions=4)
        try:
            assert await _create_many(manager, 10) == Counter(created=4, refused=6)
            assert len(manager.sessions) == 4
            for session in manager.sessions.values():  # every one abandoned long ago
                session.last_active -= 60.0
            # At the cap, each creation reaps; concurrent reaps must not close a session twice.
            assert await _create_many(manager, 10) == Counter(created=4, refused=6)
            assert len(manager.sessions) == 4
        finally:
            await manager.stop()

    run_isolated(scenario())


def test_concurrent_posts_to_a_real_server_respect_the_cap() -> None:
    cap = Settings().max_sessions
    with live_server() as server:

        def create(_: int) -> int:
            return server.request("POST", "/api/sessions", {})[0]

        with ThreadPoolExecutor(max_workers=cap + 8) as pool:
            first = Counter(pool.map(create, range(cap + 8)))
            assert first == Counter({201: cap, 503: 8}), first
            assert server.request("GET", "/api/health")[1]["sessions"] == cap
            # Nobody watches these sessions: once idle long enough, a full server may reap them.
            time.sleep(FORCED_REAP_IDLE + 0.5)
            second = Counter(pool.map(create, range(cap + 8)))
        assert second == Counter({201: cap, 503: 8}), second
        assert server.request("GET", "/api/health")[1]["sessions"] == cap
        log = server.log()
    assert "Traceback" not in log and " 500 " not in log, log[-3000:]
