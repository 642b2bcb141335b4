"""Chunk slots: at most as many sessions run a training chunk at once as the machine has cores.

Sessions' engine threads share one GIL. More threads than cores add no speed, but each one makes
the event loop wait longer for the GIL (a thread holds it for up to the switch interval, 5 ms),
so sixteen busy sessions stalled every request. Sessions take turns for a slot, first come first
served, one chunk (about 30 ms) at a time, so a heavy session never starves a light one; a
command that arrives while its session waits for a slot is handled at once.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from typing import Literal, TypeVar

T = TypeVar("T")

CONCURRENT_CHUNKS = max(1, os.cpu_count() or 1)
_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def chunk_slots() -> asyncio.Semaphore:
    """The running event loop's slots (a loop-bound semaphore per loop, e.g. one per test)."""
    loop = asyncio.get_running_loop()
    slots = _slots.get(loop)
    if slots is None:
        slots = _slots[loop] = asyncio.Semaphore(CONCURRENT_CHUNKS)
    return slots


async def slot_or_item(slots: asyncio.Semaphore, queue: asyncio.Queue[T]) -> T | None:
    """Take a slot (None: the caller must release it) or, if one arrives first, the next item."""
    if not slots.locked():
        await slots.acquire()
        return None
    acquire = asyncio.ensure_future(slots.acquire())
    get = asyncio.ensure_future(queue.get())
    try:
        await asyncio.wait({acquire, get}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        _drop(slots, acquire)
        get.cancel()  # an item got but not taken is lost with the session being closed
        raise
    if get.done():
        _drop(slots, acquire)
        return get.result()
    get.cancel()  # not done, and nothing ran since the check: no item is lost
    return None


def _drop(slots: asyncio.Semaphore, acquire: asyncio.Future[Literal[True]]) -> None:
    """Give back a slot that was granted, or stop waiting for one."""
    if acquire.done() and not acquire.cancelled():
        slots.release()
    else:
        acquire.cancel()
