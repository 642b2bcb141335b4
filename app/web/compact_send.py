"""The sender of a compact connection: every epoch, and snapshots as the byte budget allows.

Metrics and control frames always go, in order. A snapshot or histograms frame goes when the
connection's token bucket (settings.compact_bytes_per_second) holds its size; otherwise it waits,
and a newer one of its kind replaces it, so a slow client gets fewer of them, never a queue; the
same happens when the client drains slower than that, as `send` then waits before the next drain.
Of each kind at most one goes every OPTIONAL_MIN_GAP. A waiting frame goes out at the latest
after OPTIONAL_MAX_WAIT, and always before the next control frame (the final picture of a pause
precedes its `state` frame).
"""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import WebSocket

from app.training.compact_wire import Encoded, encode_all_compact, hello_message
from app.training.event_log import Subscriber
from app.training.session import TrainingSession
from app.training.wire import Hello, in_encoder

COMPACT = "compact"
ENCODINGS = ("json", COMPACT)
OPTIONAL_MIN_GAP = 0.25  # seconds between two snapshots (or two histograms) on one connection
OPTIONAL_MAX_WAIT = 2.0  # seconds a snapshot or histograms frame may wait for the budget
BURST_SECONDS = 0.25  # the bucket holds this many seconds of budget (two or three snapshots)


class Budget:
    """A token bucket of bytes: refills at `rate` per second, up to BURST_SECONDS' worth."""

    def __init__(self, rate: float, now: float) -> None:
        self.rate = rate
        self.tokens = rate * BURST_SECONDS
        self._at = now

    def refill(self, now: float) -> None:
        """Add what `now - last refill` earned."""
        self.tokens = min(self.rate * BURST_SECONDS, self.tokens + (now - self._at) * self.rate)
        self._at = now

    def wait(self, need: float = 0.0) -> float:
        """Seconds until the bucket holds `need` bytes."""
        return max(0.0, (need - self.tokens) / self.rate)

    def room_for(self, message: Encoded) -> float:
        """Bytes the bucket must hold before `message` may go (at most a full bucket)."""
        return min(len(message.data), self.rate * BURST_SECONDS)

    def spend(self, nbytes: int) -> None:
        """Take `nbytes` (the bucket may go below zero: metrics are never held back)."""
        self.tokens -= nbytes


async def send_compact_hello(websocket: WebSocket, hello: Hello) -> None:
    """A compact connection's first `hello`, as one binary message."""
    await websocket.send_bytes(await in_encoder(lambda: hello_message(hello)))


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
    last_sent: dict[str, float] = {}  # kind -> when one last went

    async def send(message: Encoded) -> None:
        if isinstance(message.data, bytes):
            await websocket.send_bytes(message.data)
        else:
            await websocket.send_text(message.data)
        budget.spend(len(message.data))
        last_sent[message.kind] = loop.time()

    async def flush_waiting(only_due: bool = False) -> None:
        for key in sorted(waiting):  # histograms, then the snapshot
            message, since = waiting[key]
            now = loop.time()
            due = now - last_sent.get(key, -OPTIONAL_MIN_GAP) >= OPTIONAL_MIN_GAP and (
                budget.tokens >= budget.room_for(message) or now - since >= OPTIONAL_MAX_WAIT
            )
            if due or not only_due:
                del waiting[key]
                await send(message)

    while True:
        timeout = None
        if waiting:
            need = min(budget.room_for(m) for m, _ in waiting.values())
            timeout = min(max(budget.wait(need), OPTIONAL_MIN_GAP), OPTIONAL_MAX_WAIT)
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that lands
        # as the wake-up does, and the sender then outlives its socket's close.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await sub.wake.wait()
        sub.wake.clear()
        sub.urgent.clear()  # before the drain: what it does not carry ends the next wait
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
        await flush_waiting(only_due=True)
        # Frames coalesce while we wait: at most one burst per interval, however fast training
        # runs; a control frame (a command's answer, a state change) ends the wait at once.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.0, interval - (loop.time() - started))):
                await sub.urgent.wait()
