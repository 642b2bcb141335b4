"""A worker process: hosts several sessions' Runs and gives their training fair turns.

Requests arrive over a pipe as (kind, session, request id, payload) and answers go back as
(request id, ok, value). Between two slices the worker reads everything that arrived; a request
other than training (a command) goes before every queued slice, and running sessions take
turns. Slices shorten as more sessions run here, so each one still reports
often and a command never waits long for the slice in progress. Whose slice runs next is the
running session that has used the least CPU time (fairness.Turns); after a `hurry` the worker
waits a moment for the command that follows it before starting anyone else's slice.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
import traceback
from collections import deque
from functools import partial
from multiprocessing.connection import Connection
from typing import Any

from threadpoolctl import threadpool_limits

from app.training.executors.fairness import ACTIVE_SECONDS, Turns
from app.training.executors.host import CHUNK_SECONDS, RunHost
from app.training.executors.messages import OpenSpec, RemoteError

ROUND_SECONDS = 0.12  # a worker's running sessions all get a slice within about this long
SHARED_GAP = 1 / 12  # a session several connections watch gets a turn at least this often
MIN_SLICE_SECONDS = 0.005
HOLD_SECONDS = 0.015  # after a hurry, how long other slices wait for the command it announced
Message = tuple[str, str, int, Any]  # kind, session id, request id, payload


def slice_seconds(running: int) -> float:
    """How long one session trains before the next one's turn, with `running` sessions here."""
    return min(CHUNK_SECONDS, max(MIN_SLICE_SECONDS, ROUND_SECONDS / max(running, 1)))


class Scheduler:
    """The worker's loop: commands first, then training slices in turn."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.hosts: dict[str, RunHost] = {}
        self.urgent: deque[Message] = deque()
        self.slices: dict[str, tuple[int, tuple[Any, ...]]] = {}  # session -> queued chunk request
        self.turns = Turns()
        self.shared_turns: dict[str, float] = {}  # shared session -> when its last slice began
        self.asked: dict[str, float] = {}  # session -> when it last asked for a slice
        self.hold_until = 0.0  # a hurried session's command is on its way until then

    def run(self) -> None:
        """Serve until told to exit or the web process goes away."""
        while self._receive(block=not (self.urgent or self.slices)):
            if self.urgent:
                self._answer(self.urgent.popleft())
            elif self.slices and not self._hold():
                self._run_slice()

    def _hold(self) -> bool:
        """Wait (a few ms at most) for a hurried session's command; True if it may still come."""
        left = self.hold_until - time.monotonic()
        if left <= 0:
            return False
        with contextlib.suppress(EOFError, OSError):  # the next _receive reports it
            if not self.conn.poll(left):
                self.hold_until = 0.0
        return True

    def _run_slice(self) -> None:
        now = time.monotonic()
        for gone in [s for s, t in self.asked.items() if now - t > ACTIVE_SECONDS]:
            del self.asked[gone]  # paused (or slow to ask): no turns, no credit
            self.turns.leave(gone)
        session = self._next()
        rid, (steps, asked, shared) = self.slices.pop(session)
        if shared:
            self.shared_turns[session] = time.perf_counter()
        seconds = min(asked, self.turns.seconds(session, slice_seconds(len(self.asked))))
        started = time.process_time()
        self._reply(rid, partial(self.hosts[session].chunk, steps, seconds))
        self.turns.charge(session, time.process_time() - started)

    def _next(self) -> str:
        """Whose slice is next: a shared session (a room's live run: thirty pages follow it)
        whose turn is SHARED_GAP overdue, else the one that has used the least CPU time."""
        now = time.perf_counter()
        for session, (_, (_, _, shared)) in self.slices.items():
            if shared and now - self.shared_turns.get(session, 0.0) >= SHARED_GAP:
                return session
        return self.turns.pick(self.slices)

    def _receive(self, block: bool) -> bool:
        """Take in every message that arrived (waiting for one if `block`); False: stop."""
        try:
            while block or self.conn.poll(0):
                block = False
                if not self._accept(self.conn.recv()):
                    return False
        except (EOFError, OSError):  # the web process is gone
            return False
        return True

    def _accept(self, message: Message) -> bool:
        kind, session, rid, payload = message
        if kind == "exit":
            return False
        if kind == "hurry":
            queued = self.slices.pop(session, None)
            if queued is not None:  # answered untrained: the session handles its command first
                host = self.hosts[session]
                self._reply(queued[0], partial(host.idle_result))
            self.hold_until = time.monotonic() + HOLD_SECONDS
        elif kind == "close":
            self.hosts.pop(session, None)
            self.slices.pop(session, None)
            self.asked.pop(session, None)
            self.shared_turns.pop(session, None)
            self.turns.leave(session)
        elif kind == "call" and payload[0] == "chunk":
            steps, seconds, *shared = payload[1]  # shared: several connections watch it
            self.slices[session] = (rid, (steps, seconds, bool(shared and shared[0])))
            self.asked[session] = time.monotonic()
        else:
            self.hold_until = 0.0  # the command came (or another did): no more waiting
            self.urgent.append(message)
        return True

    def _answer(self, message: Message) -> None:
        kind, session, rid, payload = message
        if kind == "open":
            self._reply(rid, partial(self._open, session, payload))
        else:
            method, args = payload
            self._reply(rid, partial(self._call, session, method, tuple(args)))

    def _call(self, session: str, method: str, args: tuple[Any, ...]) -> Any:
        host = self.hosts.get(session)
        if host is None:
            raise RuntimeError(f"no Run for session {session} in this worker")
        return host.handle(method, args)

    def _open(self, session: str, spec: OpenSpec) -> Any:
        host = RunHost.open(spec)
        self.hosts[session] = host
        return host.view()

    def _reply(self, rid: int, work: Any) -> None:
        try:
            answer: tuple[int, bool, Any] = (rid, True, work())
        except Exception as exc:
            error = RemoteError.of(exc)
            if error.kind == "internal":
                traceback.print_exc(file=sys.stderr)
            answer = (rid, False, error)
        with contextlib.suppress(OSError):  # the web process is gone: the next read ends us
            self.conn.send(answer)


def serve(conn: Connection, nice: int) -> None:
    """The worker process's entry point."""
    signal.signal(
        signal.SIGINT, signal.SIG_IGN
    )  # Ctrl-C reaches the whole group: the server stops us
    if nice:
        with contextlib.suppress(OSError, AttributeError):
            os.nice(nice)
    with threadpool_limits(limits=1):  # one BLAS thread per worker: the pool is the parallelism
        Scheduler(conn).run()
