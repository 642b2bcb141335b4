"""The Ray actor's plumbing without Ray: requests wait on the actor's loop while its scheduler
thread trains, and `hurry` and `close` posted meanwhile reach the scheduler (tests/web has the
actor in a real Ray)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from app.schemas.config import SessionConfig, merge_config
from app.training.executors.messages import ChunkResult, OpenSpec, RemoteError, View
from app.training.executors.ray_actor import QueuePipe, SessionsActor
from tests.training.test_session import run_isolated

SPEC = OpenSpec(merge_config(SessionConfig(), {"dataset": {"samples": 100}}).model_dump())
WAIT = 30.0


class Blocking:
    """A host whose every request blocks until released: the scheduler is busy meanwhile."""

    def __init__(self) -> None:
        self.entered, self.release = threading.Event(), threading.Event()

    def handle(self, method: str, args: tuple[Any, ...]) -> str:
        self.entered.set()
        assert self.release.wait(WAIT)
        return method


async def scenario() -> None:
    actor = SessionsActor()
    try:
        ok, view = await asyncio.wait_for(actor.request("open", "b", SPEC), WAIT)
        assert ok and isinstance(view, View) and view.epoch == 0
        blocking = Blocking()
        actor.scheduler.hosts["a"] = blocking  # type: ignore[assignment]
        busy = asyncio.ensure_future(actor.request("call", "a", ("view", ())))
        assert await asyncio.to_thread(blocking.entered.wait, WAIT)
        # b's slice queues behind a's request; hurried, it is answered without training.
        queued = asyncio.ensure_future(actor.request("call", "b", ("chunk", (0, 0.5))))
        await asyncio.sleep(0)
        await actor.post("hurry", "b")
        blocking.release.set()
        assert await asyncio.wait_for(busy, WAIT) == (True, "view")
        ok, hurried = await asyncio.wait_for(queued, WAIT)
        assert ok and isinstance(hurried, ChunkResult)
        assert hurried.rows is None and hurried.epoch == 0, "answered untrained"

        trained = 0
        for _ in range(50):  # not hurried, a slice trains (or first takes a due snapshot)
            ok, result = await asyncio.wait_for(
                actor.request("call", "b", ("chunk", (1, 0.5))), WAIT
            )
            assert ok
            trained = result.epoch
            if trained:
                break
        assert trained == 1

        await actor.post("close", "b")
        ok, error = await asyncio.wait_for(actor.request("call", "b", ("view", ())), WAIT)
        assert not ok and isinstance(error, RemoteError) and "no Run for session b" in error.message
    finally:
        await actor.post("exit", "")


def test_the_actor_answers_requests_and_hurry_and_close_reach_its_scheduler() -> None:
    before = {t.name for t in threading.enumerate()}
    run_isolated(scenario())
    for thread in threading.enumerate():
        if thread.name == "sessions-scheduler" and "sessions-scheduler" not in before:
            thread.join(WAIT)
            assert not thread.is_alive(), "the scheduler ends on exit"


def test_the_queue_pipe_polls_and_receives_as_a_connection_does() -> None:
    answers: list[Any] = []
    pipe = QueuePipe(answers.append)
    assert not pipe.poll() and not pipe.poll(0.01)
    pipe.inbox.put(("hurry", "a", 0, None))
    pipe.inbox.put(("close", "a", 0, None))
    assert pipe.poll(1.0) and pipe.poll()  # a message held by poll is still there
    assert [pipe.recv(), pipe.recv()] == [("hurry", "a", 0, None), ("close", "a", 0, None)]
    assert not pipe.poll()
    pipe.send((7, True, "done"))
    assert answers == [(7, True, "done")]
