"""The web process's event loop stays responsive: a heap the collector need not rescan, and an
opt-in report of what stalls the loop (`BACKPROP_DEBUG_LOOP=<ms>`).

The report is for finding a stall, not for production: a watchdog thread pings the loop every
few milliseconds and, when a ping waits longer than the threshold, logs where the loop's thread
was (its Python stack); every garbage collection that costs more CPU time than the threshold is
logged too.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import sys
import threading
import time
import traceback
from typing import Any

log = logging.getLogger(__name__)

DEBUG_LOOP_ENV = "BACKPROP_DEBUG_LOOP"  # milliseconds; unset or 0: no report
PING_SECONDS = 0.002  # how often the watchdog checks on the loop


def settle_heap() -> None:
    """Collect once, then take what the server holds from its start out of the collector's view.

    Modules, routes, schemas and the engine are some 200,000 objects that live as long as the
    process, and every full collection scanned them all: 50-110 ms with the event loop stopped,
    every few seconds while eight light sessions trained (their records churn through the young
    generations). Frozen, a full collection sees only what came since (about 10,000 objects).
    """
    gc.collect()
    gc.freeze()


def debug_threshold() -> float:
    """Seconds from $BACKPROP_DEBUG_LOOP (milliseconds); 0 when the report is off."""
    raw = os.environ.get(DEBUG_LOOP_ENV, "").strip()
    if not raw:
        return 0.0
    try:
        millis = float(raw)
    except ValueError:
        log.warning("%s must be milliseconds, got %r: no loop report", DEBUG_LOOP_ENV, raw)
        return 0.0
    return max(0.0, millis) / 1000


class LoopWatch:
    """Logs each event-loop stall and each garbage collection longer than `threshold` seconds."""

    def __init__(self, loop: asyncio.AbstractEventLoop, threshold: float) -> None:
        self.loop = loop
        self.threshold = threshold
        self.loop_thread = threading.get_ident()
        self._stop = threading.Event()
        self._gc_started = 0.0
        gc.callbacks.append(self._on_gc)
        self._thread = threading.Thread(target=self._watch, name="loop-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching."""
        self._stop.set()
        with contextlib.suppress(ValueError):
            gc.callbacks.remove(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        # CPU time of the collecting thread: what the collection itself cost, however busy the
        # machine (a collection holds the GIL, so the loop waits at least this long).
        if phase == "start":
            self._gc_started = time.thread_time()
            return
        took = time.thread_time() - self._gc_started
        if took >= self.threshold:
            log.warning(
                "garbage collection of generation %s took %.1f ms of CPU (%s objects left)",
                info["generation"],
                took * 1000,
                len(gc.get_objects(info["generation"])),
            )

    def _watch(self) -> None:
        while not self._stop.wait(PING_SECONDS):
            answered = threading.Event()
            try:
                self.loop.call_soon_threadsafe(answered.set)
            except RuntimeError:  # the loop closed
                return
            if answered.wait(self.threshold):
                continue
            frame = sys._current_frames().get(self.loop_thread)
            where = "".join(traceback.format_stack(frame, limit=12)) if frame else "(unknown)\n"
            started = time.perf_counter()
            while not answered.wait(0.5) and not self._stop.is_set():
                pass
            stalled = self.threshold + time.perf_counter() - started
            log.warning("event loop stalled %.0f ms; its thread was at:\n%s", stalled * 1000, where)


def watch_loop() -> LoopWatch | None:
    """Start the report on the running loop if $BACKPROP_DEBUG_LOOP asks for it."""
    threshold = debug_threshold()
    if not threshold:
        return None
    log.warning("reporting event-loop stalls over %.0f ms (%s)", threshold * 1000, DEBUG_LOOP_ENV)
    return LoopWatch(asyncio.get_running_loop(), threshold)
