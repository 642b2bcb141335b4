"""`python -m bench.loadtest`: drive a real server as a crowded workshop would, print its figures.

Starts `backprop-lab serve` on a free 127.0.0.1 port and runs, in order: one, two and sixteen
light sessions (epochs/s against one alone and against cores x one alone); one light session alone;
N light sessions together; heavy sessions (5,000 samples, batch 1, 3x256) next to a light one;
a long run (many epochs) that clients keep reconnecting to while every session trains; then, on
a fresh server, the largest allowed network and a 3x64 net playing for --memory-seconds while the
server's RSS is sampled. Prints epochs/s (aggregate vs alone), command->effect times (a
learning-rate change until its `config` acknowledgement, a pause until its `state` frame),
event-loop lag (GET /api/health round trips from a separate process: p50/p99) and RSS.
Bounded in time; talks to loopback only; figures, never pass/fail.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import time
from typing import Any

from bench import roomload
from bench.loadclient import Client, LagProbe, Server, ms, percentile
from bench.soak import MID, largest_config

LIGHT: dict[str, Any] = {}  # the default config: 400 spiral points, 2x8 tanh, batch 10
HEAVY = {
    "dataset": {"samples": 5000},
    "model": {"layers": [{"units": 256, "activation": "relu"}] * 3, "init": "he"},
    "training": {"batch_size": 1, "learning_rate": 0.001},
}
LONG = {  # as many epochs per second as a session can record: one tiny batch per epoch
    "dataset": {"name": "gaussian", "samples": 20},
    "model": {"layers": [{"units": 2, "activation": "tanh"}]},
    "training": {"batch_size": 64},
}
LARGEST = largest_config()  # 4x256 + 1x200 relu: the most parameters the limits allow
COMMAND_LIMIT = 30.0  # seconds before a command counts as never obeyed (shown as inf)


class Driver:
    """The sessions and clients of one server, with helpers that time what they see."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.clients: list[Client] = []

    async def open(self, config: dict[str, Any], play: bool = True) -> Client:
        """Create a session, connect to it, and press play."""
        session_id, token = await asyncio.to_thread(self.server.create, config)
        client = Client(f"{self.server.ws_base}/ws/sessions/{session_id}?token={token}")
        await client.open()
        self.clients.append(client)
        if play:
            await client.timed({"type": "play"}, is_state("running"), COMMAND_LIMIT)
        return client

    async def close(self) -> None:
        """Close every connection."""
        for client in self.clients:
            await client.close()


def is_state(state: str) -> Any:
    """A predicate: a `state` frame saying `state`."""
    return lambda f: f["type"] == "state" and f["state"] == state


async def throughput(clients: list[Client], seconds: float) -> float:
    """Epochs per second summed over `clients`, over `seconds` of listening."""
    before = [c.epochs_seen for c in clients]
    started = time.perf_counter()
    await asyncio.sleep(seconds)
    elapsed = time.perf_counter() - started
    return sum(c.epochs_seen - b for c, b in zip(clients, before, strict=True)) / elapsed


async def commands(client: Client, rounds: int) -> tuple[list[float], list[float]]:
    """Timings of `rounds` learning-rate changes and pause/play cycles on one running session."""
    lr_times: list[float] = []
    pause_times: list[float] = []
    for i in range(rounds):
        lr = 0.01 if i % 2 else 0.005
        patch = {"type": "configure", "config": {"training": {"learning_rate": lr}}}
        lr_times.append(await client.timed(patch, lambda f: f["type"] == "config", COMMAND_LIMIT))
        await asyncio.sleep(0.2)
        pause_times.append(await client.timed({"type": "pause"}, is_state("paused"), COMMAND_LIMIT))
        await client.timed({"type": "play"}, is_state("running"), COMMAND_LIMIT)
        await asyncio.sleep(0.2)
    return lr_times, pause_times


async def all_commands(clients: list[Client], rounds: int) -> tuple[list[float], list[float]]:
    """`commands` on every client at once."""
    results = await asyncio.gather(*(commands(c, rounds) for c in clients))
    return [t for lr, _ in results for t in lr], [t for _, p in results for t in p]


def lag(probe: LagProbe) -> str:
    """Event-loop lag since the last call, as /api/health round-trip percentiles."""
    rtts = probe.take()
    return (
        f"health RTT p50 {percentile(rtts, 50) * 1000:.1f} / p99 {percentile(rtts, 99) * 1000:.1f}"
        f" / max {max(rtts, default=float('nan')) * 1000:.0f} ms ({len(rtts)} probes)"
    )


def say(text: str) -> None:
    """Print a figure line at once."""
    print(text, flush=True)


async def crowd(args: argparse.Namespace, server: Server) -> None:
    """Phases 1-4 on one server."""
    driver, probe = Driver(server), LagProbe(server.base)
    try:
        light = await driver.open(LIGHT)
        probe.take()
        alone = await throughput([light], args.seconds)
        lr_t, pause_t = await commands(light, args.rounds)
        say(
            f"[1 alone] 1 light session: {alone:,.0f} epochs/s; lr change {ms(lr_t)}; "
            f"pause {ms(pause_t)}; {lag(probe)}; RSS {server.rss_mib():.0f} MiB"
        )

        lights = [light] + [await driver.open(LIGHT) for _ in range(args.sessions - 1)]
        probe.take()
        together = await throughput(lights, args.seconds)
        lr_t, pause_t = await all_commands(lights, 1)
        say(
            f"[2 crowd] {len(lights)} light sessions: {together:,.0f} epochs/s aggregate "
            f"({together / alone:.2f}x alone, {together / len(lights):,.0f} each); "
            f"lr change {ms(lr_t)}; pause {ms(pause_t)}; {lag(probe)}; "
            f"RSS {server.rss_mib():.0f} MiB"
        )

        for other in lights[1:]:
            await other.timed({"type": "pause"}, is_state("paused"), COMMAND_LIMIT)
        started = time.perf_counter()
        heavies = [await driver.open(HEAVY) for _ in range(args.heavy)]
        create_s = (time.perf_counter() - started) / max(1, args.heavy)
        probe.take()
        beside = await throughput([light], args.seconds)
        h_lr, h_pause = await all_commands(heavies, 1)
        l_lr, l_pause = await commands(light, args.rounds)
        say(
            f"[3 heavy] {args.heavy} heavy sessions (5000 samples, batch 1, 3x256) + 1 light: "
            f"light {beside:,.0f} epochs/s ({beside / alone:.2f}x alone); create+play "
            f"{create_s:.2f} s each; heavy lr change {ms(h_lr)}, pause {ms(h_pause)}; light lr "
            f"change {ms(l_lr)}, pause {ms(l_pause)}; {lag(probe)}; "
            f"RSS {server.rss_mib():.0f} MiB"
        )
        for heavy in heavies:
            await heavy.timed({"type": "pause"}, is_state("paused"), COMMAND_LIMIT)

        rss0 = server.rss_mib()
        long = await driver.open(LONG)
        deadline = time.perf_counter() + args.history_seconds
        while long.epoch < args.history_epochs and time.perf_counter() < deadline:
            await asyncio.sleep(0.5)
        await long.timed({"type": "pause"}, is_state("paused"), COMMAND_LIMIT)
        grown = server.rss_mib() - rss0
        say(
            f"[4 history] long run: {long.epoch:,} epochs; server RSS +{grown:.0f} MiB for it "
            f"({server.rss_mib():.0f} MiB)"
        )

        for other in lights[1:] + heavies:
            await other.timed({"type": "play"}, is_state("running"), COMMAND_LIMIT)
        extra = [await driver.open(LIGHT) for _ in range(max(0, 16 - len(driver.clients)))]
        probe.take()
        hellos: list[float] = []
        sizes: list[int] = []

        async def reconnect() -> None:
            end = time.perf_counter() + args.seconds
            while time.perf_counter() < end:
                client = Client(long.url)
                hellos.append(await client.open())
                sizes.append(client.hello_bytes)
                await client.close()

        rate = asyncio.create_task(throughput(lights + heavies + extra, args.seconds))
        await asyncio.gather(*(reconnect() for _ in range(args.reconnectors)))
        busy = await rate
        say(
            f"[5 reconnect] {len(driver.clients)} sessions, {len(driver.clients) - 1} training "
            f"({busy:,.0f} epochs/s aggregate), {args.reconnectors} clients reconnecting to the "
            f"{long.epoch:,}-epoch run: {len(hellos)} hellos of "
            f"{max(sizes, default=0) / 1e6:.2f} MB, connect->hello {ms(hellos)}; {lag(probe)}; "
            f"RSS {server.rss_mib():.0f} MiB"
        )
    finally:
        probe.stop()
        await driver.close()


class Usage:
    """Epochs/s of some sessions, with the CPU the server (web process and workers) used."""

    def __init__(self, server: Server) -> None:
        self.server = server

    async def measure(self, clients: list[Client], seconds: float) -> tuple[float, float, float]:
        """(epochs/s, cores busy in the server's processes, web process alone in cores)."""
        cpu, web, started = self._cpu(), self.server.cpu_seconds(), time.perf_counter()
        rate = await throughput(clients, seconds)
        elapsed = time.perf_counter() - started
        return (
            rate,
            (self._cpu() - cpu) / elapsed,
            (self.server.cpu_seconds() - web) / elapsed,
        )

    def _cpu(self) -> float:
        return self.server.cpu_seconds(workers=True)


async def scaling(args: argparse.Namespace, server: Server) -> None:
    """Phase 0: one light session alone, two together, sixteen together; commands under load.

    On a machine other work also loads, epochs/s per busy core (epochs per CPU-second of the
    server's processes) tells the overhead apart from the share of the machine the server got."""
    driver, probe, usage = Driver(server), LagProbe(server.base), Usage(server)
    cores = os.cpu_count() or 1
    try:
        first = await driver.open(LIGHT)
        probe.take()
        alone, busy1, _ = await usage.measure([first], args.seconds)
        say(
            f"[0 scaling] {cores} cores; 1 light session: {alone:,.0f} epochs/s on {busy1:.2f} "
            f"busy cores ({alone / busy1:,.0f} per busy core); {lag(probe)}"
        )
        pair = [first, await driver.open(LIGHT)]
        probe.take()
        two, busy2, _ = await usage.measure(pair, args.seconds)
        say(
            f"[0 scaling] 2 light sessions: {two:,.0f} epochs/s in all ({two / alone:.2f}x one "
            f"alone) on {busy2:.2f} busy cores ({two / busy2:,.0f} per busy core)"
        )
        crowd = pair + [await driver.open(LIGHT) for _ in range(14)]
        probe.take()
        sixteen, busy16, web = await usage.measure(crowd, args.seconds)
        lr_t, pause_t = await all_commands(crowd, args.rounds)
        say(
            f"[0 scaling] 16 light sessions: {sixteen:,.0f} epochs/s in all ("
            f"{sixteen / (cores * alone):.2f}x cores x one alone, {sixteen / 16:,.0f} each) on "
            f"{busy16:.2f} busy cores ({sixteen / busy16:,.0f} per busy core, web process "
            f"{web:.2f}); lr change {ms(lr_t)}; pause {ms(pause_t)}; {lag(probe)}; "
            f"RSS {server.rss_mib():.0f} MiB"
        )
    finally:
        probe.stop()
        await driver.close()


async def memory(args: argparse.Namespace, server: Server) -> None:
    """Phase 6: RSS while the largest allowed network and a 3x64 net train, watched."""
    driver = Driver(server)
    try:
        rss = [(0.0, server.rss_mib())]
        big, mid = await driver.open(LARGEST), await driver.open(MID)
        started = time.perf_counter()
        while (elapsed := time.perf_counter() - started) < args.memory_seconds:
            await asyncio.sleep(min(10.0, args.memory_seconds - elapsed))
            rss.append((time.perf_counter() - started, server.rss_mib()))
        half = next(i for i, (t, _) in enumerate(rss) if t >= args.memory_seconds / 2)
        (t0, r0), (t1, r1) = rss[half], rss[-1]
        slope = (r1 - r0) / max(t1 - t0, 1e-9) * 60
        say(
            f"[6 memory] largest net ({big.epoch:,} epochs) + 3x64 tanh ({mid.epoch:,} epochs), "
            f"{args.memory_seconds:.0f} s: RSS {rss[0][1]:.0f} -> {rss[-1][1]:.0f} MiB (max "
            f"{max(r for _, r in rss):.0f}); second half {slope:+.1f} MiB/min"
        )
    finally:
        await driver.close()


def main(argv: list[str] | None = None) -> None:
    """Run every phase and print one line of figures per phase."""
    parser = argparse.ArgumentParser(prog="python -m bench.loadtest", description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0, help="measuring time per phase")
    parser.add_argument(
        "--sessions", type=int, default=8, help="light sessions in phase 2 (+ --heavy + 1 <= 16)"
    )
    parser.add_argument("--heavy", type=int, default=4, help="heavy sessions in phase 3")
    parser.add_argument("--rounds", type=int, default=4, help="command rounds per timing")
    parser.add_argument("--history-epochs", type=int, default=100_000)
    parser.add_argument("--history-seconds", type=float, default=120.0)
    parser.add_argument("--reconnectors", type=int, default=4)
    parser.add_argument("--memory-seconds", type=float, default=600.0)
    parser.add_argument(
        "--workers", type=int, help="the server's --workers (default: its own, the cores)"
    )
    parser.add_argument(
        "--server-args",
        default="",
        help='more `serve` arguments, e.g. "--executor ray --ray-address local"',
    )
    parser.add_argument(
        "--phases",
        default="scaling,crowd,memory",
        help="comma-separated phases to run, each on a fresh server (scaling, crowd, memory)",
    )
    parser.add_argument(
        "--room", action="store_true", help="only the workshop room scenario (bench/roomload.py)"
    )
    parser.add_argument("--attendees", type=int, default=30, help="room: attendees training")
    parser.add_argument("--watchers", type=int, default=30, help="room: watchers of the live run")
    args = parser.parse_args(argv)
    if args.room:
        roomload.main(args)
        return
    say(__doc__.splitlines()[0])
    phases = {"scaling": scaling, "crowd": crowd, "memory": memory}
    for name in args.phases.split(","):
        if name not in phases:
            parser.error(f"unknown phase {name!r}; expected some of {', '.join(phases)}")
    for name in args.phases.split(","):
        phase = phases[name]
        server = Server(*shlex.split(args.server_args), workers=args.workers)
        try:
            asyncio.run(phase(args, server))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
