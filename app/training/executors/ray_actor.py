"""The Ray actor that hosts several sessions' Runs: a worker process's scheduler behind actor calls.

The actor is asynchronous: each `request` waits on the actor's event loop for its answer, so
`hurry`, `close` and new requests arrive while a training slice runs in the scheduler's thread
(the same `Scheduler` as a worker process's, fed through an in-process stand-in for its pipe).
Ray is imported only where an actor runs; this module is plain Python.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import queue
import threading
from typing import Any

from threadpoolctl import threadpool_limits

from app import __version__
from app.training.executors.process import WORKER_NICE
from app.training.executors.worker import Message, Scheduler


class QueuePipe:
    """The scheduler's end of a pipe, in this process: messages in by a queue, answers out by a
    callback (the actor's event loop resolves the waiting request). `poll` and `recv` behave as
    a multiprocessing Connection's."""

    def __init__(self, answer: Any) -> None:
        self.inbox: queue.SimpleQueue[Message] = queue.SimpleQueue()
        self._answer = answer
        self._held: Message | None = None  # taken by a waiting poll, for the next recv

    def poll(self, timeout: float | None = 0.0) -> bool:
        """Whether a message waits, after waiting up to `timeout` seconds (None: until one does)."""
        if self._held is None:
            try:
                self._held = self.inbox.get(timeout is None or timeout > 0, timeout)
            except queue.Empty:
                return False
        return True

    def recv(self) -> Message:
        """The next message, waiting for one."""
        if self._held is not None:
            message, self._held = self._held, None
            return message
        return self.inbox.get()

    def send(self, answer: tuple[int, bool, Any]) -> None:
        """An answer to a request."""
        self._answer(answer)


class SessionsActor:
    """Hosts several sessions' Runs; its scheduler trains them in turns in one thread."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: dict[int, asyncio.Future[tuple[bool, Any]]] = {}
        self._ids = itertools.count(1)
        self._pipe = QueuePipe(self._answered)
        self.scheduler = Scheduler(self._pipe)  # type: ignore[arg-type]
        threading.Thread(target=self._serve, name="sessions-scheduler", daemon=True).start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError, AttributeError):
            os.nice(WORKER_NICE)  # on Linux this thread only: the actor's calls stay prompt
        with threadpool_limits(limits=1):  # one BLAS thread per actor: actors are the parallelism
            self.scheduler.run()

    async def ready(self) -> dict[str, Any]:
        """Where this actor runs: its pid, node and address, and the app's version here."""
        import ray

        context = ray.get_runtime_context()
        return {
            "pid": os.getpid(),
            "node": context.get_node_id(),
            "ip": ray.util.get_node_ip_address(),
            "version": __version__,
        }

    async def request(self, kind: str, session: str, payload: Any) -> tuple[bool, Any]:
        """An `open` or `call` for a session: (True, answer) or (False, RemoteError)."""
        loop = self._loop = asyncio.get_running_loop()
        rid = next(self._ids)
        future: asyncio.Future[tuple[bool, Any]] = loop.create_future()
        self._waiting[rid] = future
        self._pipe.inbox.put((kind, session, rid, payload))
        try:
            return await future
        finally:
            self._waiting.pop(rid, None)

    async def post(self, kind: str, session: str) -> None:
        """A message needing no answer: `hurry` or `close`."""
        self._pipe.inbox.put((kind, session, 0, None))

    async def until_stopped(self) -> None:
        """Never answers while the actor lives: the caller learns of its death by this call."""
        await asyncio.get_running_loop().create_future()

    def _answered(self, answer: tuple[int, bool, Any]) -> None:
        """From the scheduler's thread: hand an answer to its waiting request."""
        rid, ok, value = answer
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed: the actor is ending
                loop.call_soon_threadsafe(self._resolve, rid, ok, value)

    def _resolve(self, rid: int, ok: bool, value: Any) -> None:
        future = self._waiting.get(rid)
        if future is not None and not future.done():
            future.set_result((ok, value))
