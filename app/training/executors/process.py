"""Sessions' Runs in a pool of worker processes: every core trains, the web process only talks.

Each worker has a pipe; a writer thread sends requests (pickled off the event loop) and a reader
thread hands answers to the loop. A new session goes to the worker running the fewest sessions
(fairness.place; paused ones cost nothing), and one about to play moves first when, with it, its
worker would run two more than another (`crowded`). When a
worker dies, its sessions' requests fail with WorkerLost (they reopen elsewhere) and a fresh
worker takes its place; the other workers' sessions never notice.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import multiprocessing
import os
import queue
import signal
import threading
import time
from typing import Any

from app.training.executors.fairness import ACTIVE_SECONDS, Load, crowded, place
from app.training.executors.messages import OpenSpec, RemoteError, View, WorkerLost
from app.training.executors.worker import serve
from app.training.run import Run

log = logging.getLogger(__name__)

WORKER_NICE = 5  # workers yield the CPU to the web process, so its event loop stays responsive
STOP_SECONDS = 3.0  # a worker told to exit gets this long before it is killed
QUICK_DEATH_SECONDS = 5.0  # a worker dying this soon after its start ...
QUICK_DEATHS = 3  # ... this many times in a row is not started again (it cannot start)
START_METHOD = "forkserver"  # never plain fork from a process with threads; workers fork fast
_context: Any = None


def _mp_context() -> Any:
    global _context
    if _context is None:
        try:
            _context = multiprocessing.get_context(START_METHOD)
            _context.set_forkserver_preload(["app.training.executors.worker"])
        except ValueError:  # no forkserver (Windows)
            _context = multiprocessing.get_context("spawn")
    return _context


def exit_reason(exitcode: int | None) -> str:
    """How a worker process ended, in words."""
    if exitcode is None:
        return "it stopped answering"
    if exitcode < 0:
        with contextlib.suppress(ValueError):
            return f"it was killed by {signal.Signals(-exitcode).name}"
        return f"it was killed by signal {-exitcode}"
    return f"it exited with code {exitcode}"


class Worker:
    """One worker process, its pipe, and the requests waiting for its answers."""

    def __init__(
        self,
        index: int,
        loop: asyncio.AbstractEventLoop,
        pool: ProcessExecutor,
        quick_deaths: int = 0,  # of the workers that had this place before
    ) -> None:
        ctx = _mp_context()
        self.index = index
        self.started = time.monotonic()
        self.quick_deaths = quick_deaths
        self.loop = loop
        self.pool = pool
        self.sessions: set[str] = set()
        self.asked: dict[str, float] = {}  # session -> when it last asked for training
        self.pending: dict[int, tuple[str, asyncio.Future[Any]]] = {}
        self.alive = True
        self.stopping = False
        self._ids = itertools.count(1)
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=serve, args=(child, WORKER_NICE), name=f"backprop-worker-{index}", daemon=True
        )
        self.process.start()
        child.close()
        self._outbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        threading.Thread(target=self._write, name=f"worker-{index}-writer", daemon=True).start()
        threading.Thread(target=self._read, name=f"worker-{index}-reader", daemon=True).start()

    @property
    def pid(self) -> int | None:
        """The process id."""
        return self.process.pid

    def request(self, kind: str, session: str, payload: Any) -> asyncio.Future[Any]:
        """Send a request; its future gets the answer, the host's error or WorkerLost."""
        future: asyncio.Future[Any] = self.loop.create_future()
        if not self.alive:
            future.set_exception(WorkerLost("its worker process had stopped"))
            return future
        if kind == "call" and payload[0] == "chunk":
            self.asked[session] = time.monotonic()
        rid = next(self._ids)
        self.pending[rid] = (session, future)
        self._outbox.put((kind, session, rid, payload))
        return future

    def load(self, leaving: str | None = None) -> Load:
        """Sessions running (asked for training lately) and hosted here, less `leaving`."""
        now = time.monotonic()
        running = sum(
            1 for s, t in self.asked.items() if s != leaving and now - t <= ACTIVE_SECONDS
        )
        return Load(running, len(self.sessions - {leaving}))

    def forget(self, session: str) -> None:
        """The session's Run left this worker."""
        self.sessions.discard(session)
        self.asked.pop(session, None)

    def post(self, kind: str, session: str) -> None:
        """A message that needs no answer (hurry, close)."""
        if self.alive:
            self._outbox.put((kind, session, 0, None))

    def _write(self) -> None:
        while (message := self._outbox.get()) is not None:
            try:
                self.conn.send(message)
            except (OSError, ValueError):  # the pipe broke: the reader reports the loss
                return

    def _read(self) -> None:
        while True:
            try:
                answer = self.conn.recv()
            except (EOFError, OSError):
                break
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody is waiting
                self.loop.call_soon_threadsafe(self._resolve, *answer)
        self.process.join(timeout=1.0)  # for its exit code
        self._outbox.put(None)
        self.conn.close()  # here, once nothing reads it any more
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody is waiting any more
            self.loop.call_soon_threadsafe(self._lost, exit_reason(self.process.exitcode))

    def _resolve(self, rid: int, ok: bool, value: Any) -> None:
        entry = self.pending.pop(rid, None)
        if entry is None or entry[1].done():  # a cancelled request (its session closed)
            return
        if ok:
            entry[1].set_result(value)
        else:
            error = value.exception() if isinstance(value, RemoteError) else RuntimeError(value)
            entry[1].set_exception(error)

    def _lost(self, reason: str) -> None:
        self.alive = False
        if not self.stopping:
            log.error("worker process %s (pid %s) stopped: %s", self.index, self.pid, reason)
        for _, future in self.pending.values():
            if not future.done():
                future.set_exception(WorkerLost(reason))
        self.pending.clear()
        if not self.stopping:
            self.pool.replace(self)

    async def stop(self) -> None:
        """Ask the process to exit; kill it if it does not."""
        self.stopping = True
        if self.alive:
            self._outbox.put(("exit", "", 0, None))
        await asyncio.to_thread(self.process.join, STOP_SECONDS)
        if self.process.is_alive():
            self.process.kill()
            await asyncio.to_thread(self.process.join, STOP_SECONDS)
        self._outbox.put(None)


class ProcessRuntime:
    """One session's handle on its Run in a worker process."""

    def __init__(self, pool: ProcessExecutor, session_id: str) -> None:
        self.pool = pool
        self.session_id = session_id
        self.worker: Worker | None = None

    @property
    def local_run(self) -> Run | None:
        """Never here: the Run lives in a worker process."""
        return None

    async def open(self, spec: OpenSpec) -> View:
        """Build the Run on the least busy worker."""
        if self.worker is not None:
            self.worker.forget(self.session_id)
        self.worker = worker = self.pool.least_loaded()
        log.debug("session %s opens on worker %s, %s", self.session_id, worker.index, worker.load())
        worker.sessions.add(self.session_id)
        view: View = await worker.request("open", self.session_id, spec)
        return view

    async def call(self, method: str, *args: Any) -> Any:
        """A request to the host of this session's Run."""
        if self.worker is None:
            raise RuntimeError("the runtime was not opened")
        return await self.worker.request("call", self.session_id, (method, args))

    def crowded(self) -> bool:
        """True when this session, about to play, would make its worker run two more sessions
        than another: worth moving (its Run reopens there from a capture). Else it counts as
        running there from now on, before its first slice is asked for, so that sessions
        pressing play one after another see each other."""
        worker = self.worker
        if worker is None:
            return False
        others = [w.load() for w in self.pool.workers if w.alive and w is not worker]
        if crowded(worker.load(leaving=self.session_id), others):
            return True
        worker.asked[self.session_id] = time.monotonic()
        return False

    async def move(self, spec: OpenSpec) -> View:
        """Reopen the Run on the least busy other worker from `spec` (a capture of it)."""
        old = self.worker
        if old is not None:
            old.post("close", self.session_id)
            old.forget(self.session_id)
        self.worker = None
        view = await self.open(spec)
        if self.worker is not None:  # it runs there from now on (see `crowded`)
            self.worker.asked[self.session_id] = time.monotonic()
        return view

    def hurry(self) -> None:
        """Answer this session's queued slice now, untrained: a command waits."""
        if self.worker is not None:
            self.worker.post("hurry", self.session_id)

    async def close(self) -> None:
        """Forget the Run in its worker."""
        if self.worker is not None:
            self.worker.post("close", self.session_id)
            self.worker.forget(self.session_id)
            self.worker = None


class ProcessExecutor:
    """A pool of worker processes, each hosting several sessions' Runs."""

    def __init__(self, workers: int) -> None:
        self.size = workers
        self.workers: list[Worker] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    def runtime(self, session_id: str) -> ProcessRuntime:
        """A runtime for a new session."""
        return ProcessRuntime(self, session_id)

    async def start(self) -> None:
        """Start the workers (from the server's lifespan)."""
        self._loop = asyncio.get_running_loop()
        self.workers = await asyncio.to_thread(
            lambda: [Worker(i, self._require_loop(), self) for i in range(self.size)]
        )

    def _require_loop(self) -> asyncio.AbstractEventLoop:
        assert self._loop is not None, "start the executor first"
        return self._loop

    def least_loaded(self) -> Worker:
        """The live worker running the fewest sessions (then hosting the fewest)."""
        live = [w for w in self.workers if w.alive]
        if not live:
            raise WorkerLost("no worker process is running")
        return live[place([w.load() for w in live])]

    def replace(self, dead: Worker) -> None:
        """Start a fresh worker where a dead one was (unless workers there die as they start)."""
        if dead not in self.workers:
            return
        quick = time.monotonic() - dead.started < QUICK_DEATH_SECONDS
        deaths = dead.quick_deaths + 1 if quick else 0
        if deaths >= QUICK_DEATHS:
            log.error(
                "worker %s died %d times as it started; not starting it again", dead.index, deaths
            )
            return
        self.workers[self.workers.index(dead)] = Worker(
            dead.index, self._require_loop(), self, deaths
        )

    async def stop(self) -> None:
        """Stop every worker; none is left behind."""
        workers, self.workers = self.workers, []
        await asyncio.gather(*(w.stop() for w in workers))

    @property
    def cores(self) -> int:
        """Cores the sessions share: one per worker, at most the machine's."""
        return max(1, min(self.size, os.cpu_count() or self.size))

    def describe(self) -> str:
        """Where sessions train, in a few words (GET /api/health)."""
        return f"training in {self.size} worker process{'es' if self.size != 1 else ''}"
