"""Pieces of `python -m bench.loadtest`: a real server process, websocket clients, a lag probe.

Everything talks to 127.0.0.1 only. The lag probe runs in its own process so that the load
driver's own work (decoding frames) does not count as the server's event-loop lag.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets

from app.training.compact_decode import decode_message
from bench.live import free_port, wait_for

Frame = dict[str, Any]
# Frames whose body the driver decodes; snapshots, histograms and datasets are only counted.
PARSED = ('{"type":"metrics"', '{"type":"state"', '{"type":"config"', '{"type":"error"')


class Server:
    """`python -m app serve` on a free loopback port, with its resident memory from /proc."""

    def __init__(self, *extra: str, ready: str = "/api/health", workers: int | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.ws_base = f"ws://127.0.0.1:{self.port}"
        self._data = tempfile.TemporaryDirectory(prefix="backprop-loadtest-")  # not the user's runs
        cmd = [sys.executable, "-m", "app", "serve", "--port", str(self.port)]
        cmd += ["--data-dir", self._data.name, "--log-level", "warning", *extra]
        if workers is not None:
            cmd += ["--workers", str(workers)]
        self.log_path = Path(self._data.name) / "server.log"
        with open(self.log_path, "wb") as out:  # the child keeps its own copy of the file
            self.process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for(f"{self.base}{ready}", 30.0)
        except BaseException:
            self.stop()
            raise

    def log(self) -> str:
        """Everything the server printed so far."""
        return self.log_path.read_text(errors="replace")

    def rss_mib(self) -> float:
        """The server's resident set size in MiB (VmRSS), its worker processes included."""
        return sum(rss_mib(pid) for pid in [self.process.pid, *descendants(self.process.pid)])

    def cpu_seconds(self, workers: bool = False) -> float:
        """CPU time the web process (and, if asked, its worker processes) has used."""
        pids = [self.process.pid, *(descendants(self.process.pid) if workers else [])]
        return sum(cpu_seconds(pid) for pid in pids)

    def create(self, config: dict[str, Any] | None = None) -> tuple[str, str]:
        """POST /api/sessions; returns (id, token)."""
        body = json.dumps({"config": config or {}}).encode()
        request = urllib.request.Request(
            f"{self.base}/api/sessions", data=body, headers={"content-type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as reply:
            session = json.load(reply)
        return session["id"], session["token"]

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not exit."""
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self._data.cleanup()


def rss_mib(pid: int) -> float:
    """Resident set size of a process in MiB, from /proc/<pid>/status (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:
        return 0.0
    return 0.0  # a zombie has no VmRSS line


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (Linux /proc)."""
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for task in Path(f"/proc/{parent}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                kids = [int(k) for k in task.read_text().split()]
                found += kids
                frontier += kids
    return found


@dataclass
class Client:
    """One websocket connection to a session: reads every frame, answers command timings."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)  # e.g. a room cookie
    epoch: int = 0
    epochs_seen: int = 0  # epochs received in metrics frames (a reset does not lower it)
    state: str = "idle"
    frames: int = 0
    bytes: int = 0
    hello_bytes: int = 0
    binary_bytes: int = 0  # of `bytes`: the compact encoding's binary messages
    metrics_bytes: int = 0  # of those: metrics messages
    gaps: int = 0  # metrics frames that did not start at the epoch after the last one seen
    resyncs: int = 0  # hellos after the first: the connection fell so far behind it was reset
    _ws: Any = None
    _reader: asyncio.Task[None] | None = None
    _waiters: list[tuple[Callable[[Frame], bool], asyncio.Future[float]]] = field(
        default_factory=list
    )

    async def open(self) -> float:
        """Connect and wait for the hello; returns seconds from connect to a decoded hello."""
        started = time.perf_counter()
        self._ws = await websockets.connect(
            self.url, max_size=None, open_timeout=60, additional_headers=self.headers
        )
        hello = await asyncio.wait_for(self._ws.recv(), 60)
        self.hello_bytes = len(hello)
        frame = decode_message(hello)[0] if isinstance(hello, bytes) else json.loads(hello)
        elapsed = time.perf_counter() - started
        self.state = frame["state"]
        epochs = frame["history"]["epoch"]
        self.epoch = epochs[-1] if epochs else 0
        self._reader = asyncio.create_task(self._read())
        return elapsed

    async def close(self) -> None:
        """Close the socket and stop reading."""
        if self._reader is not None:
            self._reader.cancel()
        if self._ws is not None:
            await self._ws.close()

    async def send(self, message: Frame) -> None:
        """Send one command."""
        await self._ws.send(json.dumps(message))

    async def timed(self, message: Frame, done: Callable[[Frame], bool], limit: float) -> float:
        """Send a command; seconds until a frame satisfies `done` (inf if `limit` passes)."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters.append((done, future))
        started = time.perf_counter()
        await self.send(message)
        try:
            return await asyncio.wait_for(future, limit) - started
        except TimeoutError:
            return float("inf")
        finally:
            self._waiters = [(d, f) for d, f in self._waiters if f is not future]

    async def _read(self) -> None:
        async for message in self._ws:
            now = time.perf_counter()
            self.frames += 1
            self.bytes += len(message)
            if isinstance(message, bytes):
                self.binary_bytes += len(message)
                if b'"type":"hello"' in message[:40]:
                    self.resyncs += 1
                elif b'"type":"metrics"' in message[:40]:  # only metrics are decoded
                    self.metrics_bytes += len(message)
                    for frame in decode_message(message):
                        self._saw(frame, now)
                continue
            if message.startswith('{"type":"hello"'):
                self.resyncs += 1
            if message.startswith(PARSED):
                self._saw(json.loads(message), now)

    def _saw(self, frame: Frame, now: float) -> None:
        if frame["type"] == "metrics" and frame["epoch"]:
            if frame["epoch"][0] != self.epoch + 1:
                self.gaps += 1
            self.epochs_seen += len(frame["epoch"])
            self.epoch = frame["epoch"][-1]
        elif frame["type"] == "state":
            self.state = frame["state"]
        for done, future in self._waiters:
            if not future.done() and done(frame):
                future.set_result(now)


class LagProbe:
    """GET /api/health in a loop from another process; the round trips show event-loop stalls."""

    def __init__(self, base: str, interval: float = 0.05) -> None:
        code = (
            "import sys, time, http.client\n"
            "c = http.client.HTTPConnection('127.0.0.1', int(sys.argv[1]), timeout=30)\n"
            "while True:\n"
            "    t = time.perf_counter()\n"
            "    c.request('GET', '/api/health')\n"
            "    c.getresponse().read()\n"
            "    print(f'{time.perf_counter() - t:.6f}', flush=True)\n"
            "    time.sleep(float(sys.argv[2]))\n"
        )
        port = base.rsplit(":", 1)[1]
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, port, str(interval)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self._samples: list[float] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._lock:
                self._samples.append(float(line))

    def take(self) -> list[float]:
        """Round trips (seconds) since the last take."""
        with self._lock:
            samples, self._samples = self._samples, []
        return samples

    def stop(self) -> None:
        """End the probe process."""
        self.process.terminate()
        self.process.wait(timeout=5)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) of `values`, by nearest rank; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)  # nearest rank: a timeout (inf) stays inf instead of turning NaN
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def ms(values: list[float]) -> str:
    """'p50 / p95 ms' of durations in seconds (a timeout counts as inf)."""
    if not values:
        return "n/a"
    return f"p50 {percentile(values, 50) * 1000:,.0f} / p95 {percentile(values, 95) * 1000:,.0f} ms"
