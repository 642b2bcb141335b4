"""Runs in threads of this process: one thread per session, as before worker processes existed.

Sessions then share one interpreter (and its lock), so this suits `--workers 0`, the CLI and fast
unit tests; the host is the same as in a worker process, so the behaviour is too.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from app.training.cadence import Cadence
from app.training.executors.host import RunHost
from app.training.executors.messages import OpenSpec, View
from app.training.run import Run


class ThreadRuntime:
    """One session's Run in one thread of this process: its engine's single writer."""

    def __init__(self, session_id: str, host: RunHost | None = None) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix=f"session-{session_id}")
        self._host = host

    @classmethod
    def of_run(cls, session_id: str, run: Run, cadence: Cadence | None = None) -> ThreadRuntime:
        """A runtime around a Run built here (tests)."""
        return cls(session_id, RunHost(run, cadence))

    @property
    def local_run(self) -> Run | None:
        """The Run (it lives here)."""
        return None if self._host is None else self._host.run

    def view_now(self) -> View:
        """The view of the Run, computed on the caller's thread (before the session starts)."""
        assert self._host is not None
        return self._host.view()

    async def open(self, spec: OpenSpec) -> View:
        """Build the Run in the session's thread."""

        def build() -> View:
            self._host = RunHost.open(spec)
            return self._host.view()

        return await asyncio.get_running_loop().run_in_executor(self._pool, build)

    async def call(self, method: str, *args: Any) -> Any:
        """Run a host request in the session's thread."""
        host = self._host
        if host is None:
            raise RuntimeError("the runtime was not opened")
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, host.handle, method, args
        )

    def hurry(self) -> None:
        """Nothing queues here: each session has its own thread."""

    async def close(self) -> None:
        """Let a running request finish in the background; nothing more runs."""
        self._pool.shutdown(wait=False)


class ThreadExecutor:
    """Every session's Run in a thread of this process."""

    cores = 1  # one interpreter: its lock lets one session's Python run at a time

    def runtime(self, session_id: str) -> ThreadRuntime:
        """A thread for a new session."""
        return ThreadRuntime(session_id)

    async def start(self) -> None:
        """Nothing to start."""

    async def stop(self) -> None:
        """Nothing to stop: sessions shut their threads down."""

    def describe(self) -> str:
        """Where sessions train, in a few words (GET /api/health)."""
        return "training in threads of the web process (--workers 0)"
