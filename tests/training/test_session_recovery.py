"""A lost worker whose session cannot be rebuilt elsewhere stops the session with a reason; its
driver goes on taking commands (it must never end)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from app.training.executors.messages import OpenSpec, View, WorkerLost
from app.training.run import ConfigError
from tests.training.test_session import collect, make_session, run_isolated, send


class Failing:
    """Wraps a runtime: the next chunk finds its worker gone, and no rebuild succeeds."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.lost = False
        self.local_run = inner.local_run

    async def open(self, spec: OpenSpec) -> View:
        raise ConfigError("the uploaded table is gone", "bad_config")

    async def call(self, method: str, *args: Any) -> Any:
        if method == "chunk" and not self.lost:
            self.lost = True
            raise WorkerLost("it was killed by SIGKILL")
        return await self.inner.call(method, *args)

    def hurry(self) -> None:
        self.inner.hurry()

    async def close(self) -> None:
        await self.inner.close()


def test_a_session_that_cannot_be_rebuilt_stops_and_still_answers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> None:
        session = make_session({"dataset": {"samples": 60}})
        session.runtime = Failing(session.runtime)
        session.start()
        try:
            sub, _ = session.subscribe()
            send(session, sub, '{"type": "play"}')
            frames = await collect(session, sub, lambda f: f.get("state") == "stopped")
            assert "could not be rebuilt" in frames[-1]["reason"], frames[-1]
            send(session, sub, '{"type": "step", "epochs": 2}')  # the driver is alive
            frames = await collect(session, sub, lambda f: f.get("state") == "paused")
            assert [e for f in frames if f["type"] == "metrics" for e in f["epoch"]][-1] >= 2
        finally:
            await session.close()

    with caplog.at_level(logging.CRITICAL):  # the failure is logged on purpose
        run_isolated(scenario())
