"""`python -m bench.loadtest --room`: a workshop room on one server, and what each client costs.

Phase 1, a plain server: one default spiral session at full speed with one JSON and one compact
client: bytes/s and frames/s of each. Phase 2, `serve --room` on 127.0.0.1: the instructor's
session goes live, N attendees join by code and train their own sessions (compact, as the page
does), N watchers follow the live run (compact) beside one JSON watcher. Prints frames/s and
bytes/s per watcher, command -> effect (the instructor's and attendees' lr changes and pauses),
event-loop lag (/api/health round trips), epochs missed or resynced, and errors in the log.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookies import SimpleCookie
from typing import Any

from bench.loadclient import Client, LagProbe, Server, ms, percentile

COOKIE = "backprop_room"
FASTEST = {  # as many epochs per second as a session records: every byte is metrics
    "dataset": {"name": "gaussian", "samples": 20},
    "model": {"layers": [{"units": 2, "activation": "tanh"}]},
    "training": {"batch_size": 64},
}
DEEPER = {"model": {"layers": [{"units": 16, "activation": "tanh"}] * 6}}  # 7 layers' columns
ERROR_LINE = re.compile(r"\b(ERROR|CRITICAL|Traceback)\b")


def say(text: str) -> None:
    """Print a figure line at once."""
    print(text, flush=True)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Keep a 303 as the answer: its Set-Cookie is what we came for."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _cookie(response: Any) -> str:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_all("set-cookie") or []:
        jar.load(header)
    return jar[COOKIE].value


def http(
    server: Server, method: str, path: str, cookie: str = "", body: Any = None, form: bool = False
) -> tuple[int, Any, str]:
    """One request with a room cookie; returns (status, JSON body or None, new cookie or '')."""
    headers = {"cookie": f"{COOKIE}={cookie}"} if cookie else {}
    data = None
    if body is not None:
        data = (urllib.parse.urlencode(body) if form else json.dumps(body)).encode()
        headers["content-type"] = (
            "application/x-www-form-urlencoded" if form else "application/json"
        )
    request = urllib.request.Request(server.base + path, data, headers, method=method)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        response = opener.open(request, timeout=60)
    except urllib.error.HTTPError as exc:  # a 303 without redirecting lands here
        response = exc
    raw = response.read()
    fresh = _cookie(response) if COOKIE in (response.headers.get("set-cookie") or "") else ""
    parsed = (
        json.loads(raw)
        if raw and response.headers.get_content_type() == "application/json"
        else None
    )
    return response.status, parsed, fresh


def is_state(state: str) -> Any:
    """A predicate: a `state` frame saying `state`."""
    return lambda f: f["type"] == "state" and f["state"] == state


async def lr_and_pause(client: Client, rounds: int) -> list[float]:
    """Command -> effect times: lr changes (until `config`) and pauses (until `state`)."""
    times: list[float] = []
    for i in range(rounds):
        patch = {
            "type": "configure",
            "config": {"training": {"learning_rate": 0.01 - i % 2 * 0.005}},
        }
        times.append(await client.timed(patch, lambda f: f["type"] == "config", 30.0))
        await asyncio.sleep(0.3)
        times.append(await client.timed({"type": "pause"}, is_state("paused"), 30.0))
        await client.timed({"type": "play"}, is_state("running"), 30.0)
        await asyncio.sleep(0.3)
    return times


async def per_second(clients: list[Client], seconds: float) -> list[tuple[float, float]]:
    """(frames/s, bytes/s) of each client over `seconds`."""
    before = [(c.frames, c.bytes) for c in clients]
    started = time.perf_counter()
    await asyncio.sleep(seconds)
    elapsed = time.perf_counter() - started
    return [
        ((c.frames - f) / elapsed, (c.bytes - b) / elapsed)
        for c, (f, b) in zip(clients, before, strict=True)
    ]


async def alone(args: argparse.Namespace) -> None:
    """Phase 1: bytes/s of a JSON and a compact client of one session at full speed."""
    cases: tuple[tuple[str, dict[str, Any]], ...] = (
        ("default spiral", {}),
        ("six hidden layers", DEEPER),
        ("fastest (20 points, 1x2)", FASTEST),
    )
    for name, config in cases:
        await _alone(args, name, config)


async def _alone(args: argparse.Namespace, name: str, config: dict[str, Any]) -> None:
    server = Server(workers=args.workers)
    try:
        sid, token = await asyncio.to_thread(server.create, config)
        url = f"{server.ws_base}/ws/sessions/{sid}?token={token}"
        plain, compact = Client(url), Client(url + "&encoding=compact")
        for client in (plain, compact):
            await client.open()
        await plain.timed({"type": "play"}, is_state("running"), 30.0)
        epochs, started = compact.epochs_seen, time.perf_counter()
        metric_bytes = compact.metrics_bytes
        (pf, pb), (cf, cb) = await per_second([plain, compact], args.seconds)
        elapsed = time.perf_counter() - started
        rate, seen = (compact.epochs_seen - epochs) / elapsed, compact.epochs_seen - epochs
        metrics = compact.metrics_bytes - metric_bytes
        say(
            f"[room 1 alone] {name} at full speed (~{rate:,.0f} epochs/s): JSON "
            f"{pb / 1e3:,.0f} kB/s in {pf:.0f} frames/s; compact {cb / 1e3:,.0f} kB/s in "
            f"{cf:.0f} frames/s ({pb / max(cb, 1):.1f}x less), of which metrics "
            f"{metrics / elapsed / 1e3:,.0f} kB/s ({metrics / max(seen, 1):.0f} bytes/epoch); "
            f"epochs missed: JSON {plain.gaps}, compact {compact.gaps}"
        )
        await plain.close()
        await compact.close()
    finally:
        server.stop()


async def room(args: argparse.Namespace) -> None:
    """Phase 2: attendees training, watchers of the live run, the instructor commanding it."""
    server = Server("--room", "--host", "127.0.0.1", ready="/join", workers=args.workers)
    clients: list[Client] = []
    probe = None
    try:
        token = re.search(r"/room/instructor\?token=([\w-]+)", await _greeting(server))
        assert token, "no instructor link in the server's greeting"
        _, _, teacher = http(server, "GET", f"/room/instructor?token={token.group(1)}")
        _, created, _ = http(server, "POST", "/api/sessions", teacher, {"config": {}})
        ws = f"{server.ws_base}/ws/sessions/{created['id']}?token={created['token']}"
        own = Client(ws + "&encoding=compact", {"cookie": f"{COOKIE}={teacher}"})
        await own.open()
        clients.append(own)
        http(
            server,
            "PUT",
            "/api/room/live",
            teacher,
            {"id": created["id"], "token": created["token"]},
        )
        code = http(server, "GET", "/api/room", teacher)[1]["code"]

        attendees: list[Client] = []
        watchers: list[Client] = []
        for i in range(args.attendees):
            status, _, cookie = http(
                server, "POST", "/join", body={"code": code, "name": f"a{i}"}, form=True
            )
            assert status == 303 and cookie, status
            head = {"cookie": f"{COOKIE}={cookie}"}
            _, mine, _ = http(server, "POST", "/api/sessions", cookie, {"config": {}})
            attendee = Client(
                f"{server.ws_base}/ws/sessions/{mine['id']}?token={mine['token']}&encoding=compact",
                head,
            )
            await attendee.open()
            await attendee.timed({"type": "play"}, is_state("running"), 30.0)
            attendees.append(attendee)
            if i < args.watchers:
                watchers.append(Client(f"{server.ws_base}/ws/room/watch?encoding=compact", head))
                await watchers[-1].open()
        plain = Client(f"{server.ws_base}/ws/room/watch", attendees[0].headers)
        await plain.open()
        clients += attendees + watchers + [plain]
        await own.timed({"type": "play"}, is_state("running"), 30.0)
        probe = LagProbe(server.base)
        probe.take()
        rates_task = asyncio.create_task(per_second([*watchers, plain], args.seconds))
        commands = asyncio.gather(
            lr_and_pause(own, args.rounds),
            *(lr_and_pause(a, 1) for a in attendees[:: max(1, len(attendees) // 6)]),
        )
        rates = await rates_task
        timings = await commands
        lag = probe.take()
        frames = [f for f, _ in rates[:-1]]
        sizes = [b for _, b in rates[:-1]]
        errors = [line for line in server.log().splitlines() if ERROR_LINE.search(line)]
        say(
            f"[room 2 room] {len(attendees)} attendees training + the live run, {len(watchers)} "
            f"compact watchers: frames/s per watcher min {min(frames):.1f} / p50 "
            f"{percentile(frames, 50):.1f}; bytes/s per watcher p50 "
            f"{percentile(sizes, 50) / 1e3:,.0f} / max {max(sizes) / 1e3:,.0f} kB/s (a JSON "
            f"watcher beside them: {rates[-1][1] / 1e3:,.0f} kB/s, {rates[-1][0]:.1f} frames/s); "
            f"live run {own.epoch:,} epochs"
        )
        say(
            f"[room 2 room] command -> effect: instructor {ms(timings[0])}, attendees "
            f"{ms([t for ts in timings[1:] for t in ts])}; event-loop lag (health RTT) p50 "
            f"{percentile(lag, 50) * 1000:.0f} / p99 {percentile(lag, 99) * 1000:.0f} ms; epochs "
            f"missed {sum(c.gaps for c in clients)}, resyncs {sum(c.resyncs for c in clients)}; "
            f"errors in the server log {len(errors)}{': ' + errors[0] if errors else ''}"
        )
    finally:
        if probe is not None:
            probe.stop()
        for client in clients:
            await client.close()
        server.stop()


async def _greeting(server: Server, limit: float = 30.0) -> str:
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        if "/room/instructor?token=" in (log := server.log()):
            return log
        await asyncio.sleep(0.2)
    raise RuntimeError("the room server printed no instructor link")


def main(args: argparse.Namespace) -> None:
    """Both phases, one line of figures each (two for the room)."""
    say(__doc__.splitlines()[0])
    asyncio.run(alone(args))
    asyncio.run(room(args))
