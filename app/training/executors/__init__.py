"""Where sessions' Runs live: the seam between a session and the host of its engine.

A session talks to a `Runtime`: `open` builds its Run from an `OpenSpec`, `call` sends a request
by name with plain arguments (see host.HOST_METHODS), `hurry` asks for a queued training slice to
be answered at once (a command is waiting), `close` forgets the Run. An `Executor` hands out
runtimes: `ThreadExecutor` keeps each Run in a thread of this process (`--workers 0`, tests),
`ProcessExecutor` spreads them over a pool of worker processes, `RayExecutor` over actors on a
Ray cluster. Requests and answers are plain picklable data, so each carries them unchanged.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from app.training.executors.messages import OpenSpec, View, WorkerLost
from app.training.run import Run


class ExecutorUnavailable(RuntimeError):
    """Sessions cannot train where the settings say (Ray missing, no cluster); the message says
    what to do."""


class Runtime(Protocol):
    """One session's handle on the host of its Run."""

    async def open(self, spec: OpenSpec) -> View:
        """Build the Run (again, after a lost worker) and return what to show of it."""
        ...

    async def call(self, method: str, *args: Any) -> Any:
        """A request to the host; raises the host's error, or WorkerLost."""
        ...

    def hurry(self) -> None:
        """A command waits: answer this session's queued training slice now, untrained."""
        ...

    async def close(self) -> None:
        """Forget the Run (an unfinished request's answer is dropped)."""
        ...

    @property
    def local_run(self) -> Run | None:
        """The Run itself when it lives in this process (tests), else None."""
        ...


@runtime_checkable
class Movable(Protocol):
    """A runtime whose Run can move to a less crowded host (a pool of several)."""

    def crowded(self) -> bool:
        """True when the Run, about to play, would get a fairer share on another host."""
        ...

    async def move(self, spec: OpenSpec) -> View:
        """Reopen the Run elsewhere from `spec` (a capture of it), forgetting it here."""
        ...


class Executor(Protocol):
    """Hands out runtimes; started and stopped with the server."""

    def runtime(self, session_id: str) -> Runtime:
        """A runtime for a new session (not opened yet)."""
        ...

    async def start(self) -> None:
        """Start whatever hosts the Runs."""
        ...

    async def stop(self) -> None:
        """Stop it; no process is left behind."""
        ...

    def describe(self) -> str:
        """Where sessions train, in a few words (GET /api/health)."""
        ...


def make_executor(
    workers: int, kind: str = "process", ray_address: str = "auto", ray_actors: int = 0
) -> Executor:
    """Where sessions train: threads of this process (`thread`, or 0 workers), a pool of
    `workers` processes (`process`), or Ray actors on a cluster (`ray`: needs Ray installed,
    else RayUnavailable)."""
    if kind == "ray":
        from app.training.executors.ray_executor import RayExecutor

        return RayExecutor(ray_address, ray_actors)
    if kind == "thread" or workers <= 0:
        from app.training.executors.thread import ThreadExecutor

        return ThreadExecutor()
    from app.training.executors.process import ProcessExecutor

    return ProcessExecutor(workers)


__all__ = [
    "Executor",
    "ExecutorUnavailable",
    "Movable",
    "OpenSpec",
    "Runtime",
    "View",
    "WorkerLost",
    "make_executor",
]
