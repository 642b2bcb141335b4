"""An opt-in report of what grows in the web process's memory (`BACKPROP_TRACE_MEMORY=<s>`).

For finding a leak, not for production (tracing every allocation slows Python down): every
`<s>` seconds a thread takes a tracemalloc snapshot and logs the source lines whose live memory
grew most since the first of them, with the total traced memory and the process's RSS.
"""

from __future__ import annotations

import logging
import os
import threading
import tracemalloc
from pathlib import Path

log = logging.getLogger(__name__)

TRACE_MEMORY_ENV = "BACKPROP_TRACE_MEMORY"  # seconds between reports; unset or 0: no report
FRAMES = 8  # of each allocation's traceback kept: enough to see who called the allocator
TOP_LINES = 12


def rss_mib() -> float:
    """This process's resident set size in MiB (Linux; NaN elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def trace_interval() -> float:
    """Seconds from $BACKPROP_TRACE_MEMORY; 0 when the report is off."""
    raw = os.environ.get(TRACE_MEMORY_ENV, "").strip()
    if not raw:
        return 0.0
    try:
        return max(0.0, float(raw))
    except ValueError:
        log.warning("%s must be seconds, got %r: no memory report", TRACE_MEMORY_ENV, raw)
        return 0.0


class MemoryTrace:
    """Logs, every `interval` seconds, the lines whose memory grew since the first report."""

    def __init__(self, interval: float, top: int = TOP_LINES) -> None:
        self.interval = interval
        self.top = top
        self._stop = threading.Event()
        if not tracemalloc.is_tracing():
            tracemalloc.start(FRAMES)
        self._first: tracemalloc.Snapshot | None = None  # taken at the first tick: after warm-up
        self._thread = threading.Thread(target=self._run, name="memory-trace", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop reporting (tracing goes on until the process ends)."""
        self._stop.set()

    def report(self) -> str:
        """The biggest growths since the first snapshot, one line each, under a summary line."""
        now = self._snapshot()
        if self._first is None:
            self._first = now
        stats = now.compare_to(self._first, "traceback")[: self.top]
        traced, peak = tracemalloc.get_traced_memory()
        lines = [
            f"memory: RSS {rss_mib():.1f} MiB, traced {traced / 2**20:.1f} MiB "
            f"(peak {peak / 2**20:.1f}); largest growths since the first snapshot:"
        ]
        for stat in stats:
            where = " <- ".join(
                f"{Path(f.filename).name}:{f.lineno}" for f in reversed(stat.traceback)
            )
            lines.append(
                f"  {stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks  {where}"
            )
        return "\n".join(lines)

    def _snapshot(self) -> tracemalloc.Snapshot:
        ignored = [tracemalloc.Filter(False, tracemalloc.__file__)]
        return tracemalloc.take_snapshot().filter_traces(ignored)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            log.warning("%s", self.report())


def trace_memory() -> MemoryTrace | None:
    """Start the report if $BACKPROP_TRACE_MEMORY asks for it."""
    interval = trace_interval()
    if not interval:
        return None
    log.warning("reporting memory growth every %.0f s (%s)", interval, TRACE_MEMORY_ENV)
    return MemoryTrace(interval)
