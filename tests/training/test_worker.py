"""A worker's scheduler in a thread of this process, driven over a real pipe: commands go before
queued training slices, a hurried slice is answered untrained, running sessions take fair turns.
As sessions do, each session has at most one request waiting (hurry and close aside)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing import Pipe
from multiprocessing.connection import Connection
from typing import Any

from app.schemas.config import SessionConfig, merge_config
from app.training.executors.messages import ChunkResult, OpenSpec, RemoteError, View
from app.training.executors.worker import (
    MIN_SLICE_SECONDS,
    SHARED_GAP,
    Scheduler,
    slice_seconds,
)

SPEC = OpenSpec(merge_config(SessionConfig(), {"dataset": {"samples": 100}}).model_dump())
WAIT = 30.0


@contextmanager
def scheduler() -> Iterator[Connection]:
    ours, theirs = Pipe()
    thread = threading.Thread(target=Scheduler(theirs).run, daemon=True)
    thread.start()
    try:
        yield ours
    finally:
        ours.send(("exit", "", 0, None))
        thread.join(WAIT)
        assert not thread.is_alive()


def answer(conn: Connection) -> tuple[int, bool, Any]:
    assert conn.poll(WAIT), "the worker did not answer"
    rid, ok, value = conn.recv()
    return rid, ok, value


def test_slices_shorten_as_more_sessions_run_but_never_below_the_floor() -> None:
    assert slice_seconds(1) >= slice_seconds(4) > slice_seconds(16)
    assert slice_seconds(1000) == MIN_SLICE_SECONDS


def test_commands_go_first_and_a_hurried_slice_gives_way() -> None:
    with scheduler() as conn:
        for rid, session in enumerate(("a", "b"), start=1):
            conn.send(("open", session, rid, SPEC))
            _, ok, view = answer(conn)
            assert ok and isinstance(view, View) and view.epoch == 0
        # While b trains a long slice, a queues a slice, hurries it, then sends a command.
        conn.send(("call", "b", 3, ("chunk", (0, 0.5))))
        conn.send(("call", "a", 4, ("chunk", (0, 0.5))))
        conn.send(("hurry", "a", 0, None))
        conn.send(("call", "a", 5, ("reset", ())))
        answers = [answer(conn) for _ in range(3)]
        order = [rid for rid, _, _ in answers]
        assert order.index(4) < order.index(5), "a's slice is answered before its command"
        hurried = next(value for rid, _, value in answers if rid == 4)
        assert isinstance(hurried, ChunkResult) and hurried.rows is None, "answered untrained"
        trained = next(value for rid, _, value in answers if rid == 3)
        assert trained.rows is not None or trained.snapshot is not None


def test_running_sessions_take_turns_and_errors_come_back_as_data() -> None:
    with scheduler() as conn:
        for rid, session in enumerate(("a", "b"), start=1):
            conn.send(("open", session, rid, SPEC))
            answer(conn)
        owner = {10: "a", 11: "b"}
        conn.send(("call", "a", 10, ("chunk", (0, 0.01))))
        conn.send(("call", "b", 11, ("chunk", (0, 0.01))))
        turns = []
        for rid in range(12, 20):  # each session asks again once answered, as sessions do
            session = owner.pop(answer(conn)[0])
            turns.append(session)
            owner[rid] = session
            conn.send(("call", session, rid, ("chunk", (0, 0.01))))
        # Turns go to whoever has used the least CPU: they alternate, but a cheap slice (one
        # that only drew a snapshot) may earn its session the next turn too.
        assert 3 <= turns.count("a") <= 5, turns
        assert all(turns[i : i + 3] not in (["a"] * 3, ["b"] * 3) for i in range(6)), turns
        for _ in owner:
            answer(conn)
        conn.send(("call", "a", 20, ("inspect", (10_000,))))
        rid, ok, error = answer(conn)
        assert rid == 20 and not ok and isinstance(error, RemoteError)
        assert error.kind == "inspect" and error.code == "bad_index"
        conn.send(("call", "a", 21, ("no_such_request", ())))
        assert answer(conn)[1:] == (
            False,
            RemoteError("value", "unknown host request 'no_such_request'"),
        )


def test_a_shared_session_gets_a_turn_every_shared_gap_among_many() -> None:
    sessions = [f"s{i}" for i in range(24)]  # "s0" is watched by many: a room's live run
    with scheduler() as conn:
        for rid, session in enumerate(sessions, start=1):
            conn.send(("open", session, rid, SPEC))
            answer(conn)
        owner: dict[int, str] = {}
        rid = 100

        def ask(session: str) -> None:
            nonlocal rid
            rid += 1
            owner[rid] = session
            conn.send(("call", session, rid, ("chunk", (0, 0.02, session == "s0"))))

        for session in sessions:
            ask(session)
        turns: list[str] = []
        started = time.perf_counter()
        while len(turns) < 240:  # slices of ~5 ms (the round's share): over a second in all
            session = owner.pop(answer(conn)[0])
            turns.append(session)
            ask(session)
        elapsed = time.perf_counter() - started
        for _ in owner:
            answer(conn)
    # Round robin alone gives s0 one turn in 24; it gets one about every SHARED_GAP instead,
    # and every other session still gets its turns.
    fair = len(turns) // len(sessions)
    assert turns.count("s0") >= max(0.75 * elapsed / SHARED_GAP, 1.3 * fair), (
        turns.count("s0"),
        fair,
        elapsed,
    )
    assert all(turns.count(s) >= fair // 2 for s in sessions[1:]), turns
