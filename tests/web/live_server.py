"""A real `python -m app serve` on a free loopback port, its log captured (hardening tests)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60.0


@dataclass
class LiveServer:
    """A running server: where it listens and what it has logged so far."""

    host: str
    port: int
    log_path: Path
    pid: int = 0  # the server process

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:8123."""
        return f"http://{self.host}:{self.port}"

    def log(self) -> str:
        """Everything the server wrote to stdout and stderr."""
        return self.log_path.read_text(errors="replace")

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30.0,
    ) -> tuple[int, Any]:
        """One JSON request; returns (status, decoded body)."""
        data = None if body is None else json.dumps(body).encode()
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        req = urllib.request.Request(self.url + path, data, all_headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as reply:
                return reply.status, json.loads(reply.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(*extra: str) -> Iterator[LiveServer]:
    """Start the server as `make run` does (with `extra` arguments), wait for /api/health, stop
    it afterwards."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="backprop-hardening-") as folder:
        log_path = Path(folder) / "server.log"
        with log_path.open("w") as log:
            proc = subprocess.Popen(
                [
                    *(sys.executable, "-m", "app", "serve", "--host", "127.0.0.1"),
                    *("--port", str(port), *extra),
                ],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            server = LiveServer("127.0.0.1", port, log_path, proc.pid)
            try:
                _wait_healthy(proc, server)
                yield server
            finally:
                if proc.poll() is None:  # a test may have stopped it already
                    proc.terminate()
                    try:
                        proc.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait(timeout=5)


def _wait_healthy(proc: subprocess.Popen[bytes], server: LiveServer) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{server.log()[-3000:]}")
        try:
            with urllib.request.urlopen(server.url + "/api/health", timeout=1) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise RuntimeError(
        f"server not healthy within {STARTUP_SECONDS:.0f} s:\n{server.log()[-3000:]}"
    )
