"""The sender of a compact connection: every epoch, and snapshots as the byte budget allows.

Metrics and control frames always go, in order. A snapshot or histograms frame goes when the
connection's token bucket (settings.compact_bytes_per_second) has bytes left; otherwise it waits,
and a newer one of its kind replaces it, so a slow client gets fewer of them, never a queue.
Time blocked in `send` (a client or network draining slower than we write) costs budget too.
A waiting frame goes out at the latest after OPTIONAL_MAX_WAIT, and always before the next
control frame (the final picture of a pause precedes its `state` frame).
"""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import WebSocket

from app.training.compact_wire import Encoded, encode_all_compact
from app.training.event_log import Subscriber
from app.training.session import TrainingSession

COMPACT = "compact"
ENCODINGS = ("json", COMPACT)
OPTIONAL_MAX_WAIT = 2.0  # seconds a snapshot or histograms frame may wait for the budget
BLOCKED_GRACE = 0.005  # seconds a send may take before the client counts as slow


class Budget:
    """A token bucket of bytes: refills at `rate` per second, up to one second's worth."""

    def __init__(self, rate: float, now: float) -> None:
        self.rate = rate
        self.tokens = rate
        self._at = now

    def refill(self, now: float) -> None:
        """Add what `now - last refill` earned."""
        self.tokens = min(self.rate, self.tokens + (now - self._at) * self.rate)
        self._at = now

    def wait(self) -> float:
        """Seconds until the bucket holds bytes again."""
        return max(0.0, -self.tokens / self.rate)


async def send_compact(
    websocket: WebSocket,
    session: TrainingSession,
    sub: Subscriber,
    interval: float,
    bytes_per_second: float,
) -> None:
    """Drain `sub` at most every `interval` and send in the compact encoding, within budget."""
    loop = asyncio.get_running_loop()
    budget = Budget(bytes_per_second, loop.time())
    waiting: dict[str, tuple[Encoded, float]] = {}  # kind -> (the newest frame, waiting since)

    async def send(message: Encoded) -> None:
        started = loop.time()
        if isinstance(message.data, bytes):
            await websocket.send_bytes(message.data)
        else:
            await websocket.send_text(message.data)
        blocked = loop.time() - started - BLOCKED_GRACE
        budget.tokens -= len(message.data) + max(0.0, blocked) * budget.rate

    async def flush_waiting() -> None:
        for key in sorted(waiting):  # histograms, then the snapshot
            await send(waiting.pop(key)[0])

    while True:
        timeout = min(budget.wait(), OPTIONAL_MAX_WAIT) if waiting else None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(sub.wake.wait(), timeout)
        sub.wake.clear()
        started = loop.time()
        for message in await encode_all_compact(session.drain(sub)):
            if message.optional:
                waiting[message.kind] = (message, waiting.get(message.kind, (message, started))[1])
                continue
            if message.kind == "hello":
                waiting.clear()  # older than the hello's own snapshot and histograms
            elif message.kind == "control":
                await flush_waiting()
            await send(message)
        budget.refill(loop.time())
        overdue = any(loop.time() - since >= OPTIONAL_MAX_WAIT for _, since in waiting.values())
        if waiting and (budget.tokens > 0 or overdue):
            await flush_waiting()
        # Frames coalesce while we wait: at most one burst per interval, however fast training runs.
        await asyncio.sleep(max(0.0, interval - (loop.time() - started)))
