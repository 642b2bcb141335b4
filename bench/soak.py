"""`python -m bench.soak`: a real server's memory while the largest allowed network trains.

Starts `backprop-lab serve` on a free 127.0.0.1 port, creates two sessions, each watched by a
JSON websocket client, and plays them for --seconds: the largest network the config allows
(hidden layers of MAX_UNITS while MAX_PARAMETERS allows, then one as wide as still fits) and a
3x64 tanh net at full speed, which piles up many epochs. Samples the resident set size of the web
process and of each of its children (the workers), and prints RSS at the start, every minute and
at the end, the second half's growth per minute, and the epochs each session trained (issue 11).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.engine.from_config import model_spec
from app.engine.model import count_parameters
from app.schemas.config import MAX_HIDDEN_LAYERS, MAX_PARAMETERS, MAX_UNITS, ModelConfig
from app.training.history import HISTORY_CAPACITY, LAYER_COLUMNS, SCALAR_COLUMNS
from app.training.session import LOG_BYTES
from bench.loadclient import Client, Server, descendants, rss_mib

MID: dict[str, Any] = {"model": {"layers": [{"units": 64, "activation": "tanh"}] * 3}}
SETTLE_SAMPLES = 3  # RSS at a moment: the median of this many samples around it (noise)


def parameters(units: list[int], inputs: int = 2, outputs: int = 1) -> int:
    """Parameters of relu hidden layers of `units` on the default (planar, binary) data."""
    layers = [{"units": u, "activation": "relu"} for u in units]
    model = ModelConfig.model_validate({"layers": layers}).model_dump()
    return count_parameters(model_spec(model, inputs, outputs, "binary"))


def largest_units() -> list[int]:
    """The widest hidden layers the limits allow: MAX_UNITS while they fit, then the widest that
    still fits."""
    units: list[int] = []
    while len(units) < MAX_HIDDEN_LAYERS:
        fits = [w for w in range(MAX_UNITS, 0, -1) if parameters([*units, w]) <= MAX_PARAMETERS]
        if not fits:
            break
        units.append(fits[0])
        if fits[0] < MAX_UNITS:
            break
    return units


def largest_config() -> dict[str, Any]:
    """A session config with the largest allowed network (relu, He init)."""
    layers = [{"units": u, "activation": "relu"} for u in largest_units()]
    return {"model": {"layers": layers, "init": "he"}}


@dataclass(frozen=True)
class Sample:
    """RSS (MiB) of the web process and of each of its child processes at `t` seconds, and the
    epochs each session trained."""

    t: float
    web: float
    children: tuple[float, ...]  # the forkserver, its workers, multiprocessing's helpers
    epochs: tuple[int, ...]

    @property
    def total(self) -> float:
        """The web process and its children together."""
        return self.web + sum(self.children)


@dataclass
class Soak:
    """What a soak saw: samples, and each session's layer count (for the history's row size)."""

    seconds: float
    dense_layers: tuple[int, ...]
    samples: list[Sample] = field(default_factory=list)

    def at(self, t: float, of: Callable[[Sample], float]) -> float:
        """`of` (e.g. web RSS) around `t` seconds: the median of the samples nearest to it."""
        nearest = sorted(self.samples, key=lambda s: abs(s.t - t))[:SETTLE_SAMPLES]
        return statistics.median(of(s) for s in nearest)

    def second_half_growth(self, of: Callable[[Sample], float]) -> float:
        """MiB that `of` grew from the middle of the run to its end."""
        return self.at(self.samples[-1].t, of) - self.at(self.seconds / 2, of)

    def per_minute(self, of: Callable[[Sample], float]) -> float:
        """The second half's growth of `of` in MiB per minute."""
        return self.second_half_growth(of) / max(self.samples[-1].t - self.seconds / 2, 1) * 60

    def expected_growth(self) -> float:
        """MiB the web process may still grow by design from the middle to the end: each
        session's history keeps up to HISTORY_CAPACITY rows (in a buffer that grows by doubling)
        and its event log up to LOG_BYTES of them, for readers that fall behind."""
        middle = min(self.samples, key=lambda s: abs(s.t - self.seconds / 2))
        end = self.samples[-1]
        total = 0.0
        for i, layers in enumerate(self.dense_layers):
            row = 8 * (len(SCALAR_COLUMNS) + layers * len(LAYER_COLUMNS))

            def held(epochs: int, row: int = row) -> int:
                return 2 * min(epochs, HISTORY_CAPACITY) * row + min(epochs * row, LOG_BYTES)

            total += max(0, held(end.epochs[i]) - held(middle.epochs[i]))
        return total / 2**20

    def lines(self) -> list[str]:
        """The figures, one line each."""
        out = []
        minute = 0.0
        for s in self.samples:
            if s is self.samples[0] or s is self.samples[-1] or s.t >= minute:
                out.append(
                    f"  {s.t:5.0f} s: web {s.web:6.1f} MiB, children "
                    f"{' + '.join(f'{w:.1f}' for w in s.children)} MiB, total {s.total:6.1f} MiB; "
                    f"epochs {' / '.join(f'{e:,}' for e in s.epochs)}"
                )
                minute = (s.t // 60 + 1) * 60
        web, total = (lambda s: s.web), (lambda s: s.total)
        out.append(
            f"  second half: web {self.second_half_growth(web):+.1f} MiB "
            f"({self.per_minute(web):+.2f} MiB/min), with children "
            f"{self.second_half_growth(total):+.1f} MiB ({self.per_minute(total):+.2f} MiB/min); "
            f"history growth expected by design {self.expected_growth():.2f} MiB"
        )
        return out


async def soak(server: Server, seconds: float, every: float = 5.0) -> Soak:
    """Train the largest network and a 3x64 net on `server` for `seconds`, sampling RSS."""
    configs = [largest_config(), MID]
    result = Soak(seconds, tuple(len(c["model"]["layers"]) + 1 for c in configs))
    clients: list[Client] = []
    try:
        for config in configs:
            session_id, token = await asyncio.to_thread(server.create, config)
            client = Client(f"{server.ws_base}/ws/sessions/{session_id}?token={token}")
            await client.open()
            clients.append(client)
            await client.timed({"type": "play"}, lambda f: f.get("state") == "running", 30)
        started = time.perf_counter()
        while True:
            elapsed = time.perf_counter() - started
            children = descendants(server.process.pid)
            result.samples.append(
                Sample(
                    elapsed,
                    rss_mib(server.process.pid),
                    tuple(m for pid in children if (m := rss_mib(pid)) > 0),
                    tuple(c.epoch for c in clients),
                )
            )
            if elapsed >= seconds:
                return result
            await asyncio.sleep(min(every, seconds - elapsed))
    finally:
        for client in clients:
            await client.close()


def main(argv: list[str] | None = None) -> None:
    """Run one soak and print its figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--every", type=float, default=5.0, help="seconds between RSS samples")
    args = parser.parse_args(argv)
    units = largest_units()
    print(
        f"largest allowed network: {'x'.join(map(str, units))} relu "
        f"({parameters(units):,} parameters, at most {MAX_PARAMETERS:,}) + 3x64 tanh, "
        f"{args.seconds:.0f} s",
        flush=True,
    )
    server = Server()
    try:
        result = asyncio.run(soak(server, args.seconds, args.every))
    finally:
        server.stop()
    print("\n".join(result.lines()))


if __name__ == "__main__":
    main()
