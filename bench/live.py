"""`python -m bench.live`: end-to-end speed of a session through uvicorn and a real websocket.

Starts `backprop-lab serve` on a free loopback port, then for each preset opens a session, plays
it for a few seconds while reading every frame as a browser would, and prints epochs/s, frames/s
by type and bytes/s. One session runs at a time (each is paused before the next). Figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter

import websockets

DEFAULT_PRESETS = ("spiral", "vanishing-gradients", "overfitting", "exploding-gradients-clipped")


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, seconds: float = 20.0) -> None:
    """Poll until the server answers."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


async def measure(base: str, preset: str, seconds: float) -> str:
    """Play one preset for `seconds` and describe what arrived."""
    body = json.dumps({"preset": preset}).encode()
    request = urllib.request.Request(
        f"{base}/api/sessions", data=body, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request) as reply:
        session = json.load(reply)
    url = f"ws{base[4:]}/ws/sessions/{session['id']}?token={session['token']}"
    counts: Counter[str] = Counter()
    size = last_epoch = 0
    async with websockets.connect(url, max_size=None) as ws:
        await ws.recv()  # hello
        await ws.send(json.dumps({"type": "play"}))
        started = time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds:
            text = await ws.recv()
            size += len(text)
            frame = json.loads(text)
            counts[frame["type"]] += 1
            if frame["type"] == "metrics":
                last_epoch = frame["epoch"][-1]
        await ws.send(json.dumps({"type": "pause"}))
    per_second = ", ".join(f"{kind} {n / elapsed:.1f}" for kind, n in sorted(counts.items()))
    return (
        f"{preset:<30} {last_epoch / elapsed:7.0f} epochs/s   frames/s: {per_second}   "
        f"{size / elapsed / 1024:,.0f} KiB/s"
    )


def main() -> None:
    """Run the server, measure each preset, stop the server."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("presets", nargs="*", default=DEFAULT_PRESETS)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    port = free_port()
    data = tempfile.TemporaryDirectory(prefix="backprop-bench-")  # not the user's runs
    command = [sys.executable, "-m", "app", "serve", "--port", str(port), "--data-dir", data.name]
    server = subprocess.Popen([*command, "--log-level", "warning"])
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/api/health")
        for preset in args.presets:
            sys.stdout.write(asyncio.run(measure(base, preset, args.seconds)) + "\n")
    finally:
        server.terminate()
        server.wait(timeout=10)
        data.cleanup()


if __name__ == "__main__":
    main()
