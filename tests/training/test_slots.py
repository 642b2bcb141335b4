"""Chunk slots: turns for training, and a command that arrives while a session waits for one."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from app.training.slots import chunk_slots, slot_or_item


def run(coro: Coroutine[Any, Any, None]) -> None:
    async def bounded() -> None:
        async with asyncio.timeout(10):
            await coro

    with ThreadPoolExecutor(max_workers=1) as pool:  # e2e fixtures may own this thread's loop
        pool.submit(asyncio.run, bounded()).result(timeout=20)


def test_a_free_slot_is_taken_and_a_waiting_session_gets_its_command_first() -> None:
    async def scenario() -> None:
        slots = asyncio.Semaphore(1)
        queue: asyncio.Queue[str] = asyncio.Queue()
        assert await slot_or_item(slots, queue) is None and slots.locked()
        waiting = asyncio.create_task(slot_or_item(slots, queue))
        await asyncio.sleep(0.01)
        queue.put_nowait("pause")
        assert await waiting == "pause", "the command is not stuck behind the busy slot"
        slots.release()
        assert not slots.locked(), "the abandoned wait took no slot"
        queue.put_nowait("later")
        assert await slot_or_item(slots, queue) is None, "a free slot comes before the queue"
        assert queue.qsize() == 1

    run(scenario())


def test_a_slot_released_while_waiting_goes_to_the_waiter_and_cancelling_leaks_nothing() -> None:
    async def scenario() -> None:
        slots = asyncio.Semaphore(1)
        queue: asyncio.Queue[str] = asyncio.Queue()
        await slots.acquire()
        waiting = asyncio.create_task(slot_or_item(slots, queue))
        await asyncio.sleep(0.01)
        slots.release()
        assert await waiting is None and slots.locked()
        other = asyncio.create_task(slot_or_item(slots, queue))
        await asyncio.sleep(0.01)
        other.cancel()
        await asyncio.gather(other, return_exceptions=True)
        slots.release()
        assert not slots.locked()
        assert chunk_slots() is chunk_slots(), "one set of slots per event loop"

    run(scenario())
