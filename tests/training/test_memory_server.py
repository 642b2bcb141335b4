"""Memory of a real server stays flat while the largest allowed network trains (issue 11).

A `backprop-lab serve` subprocess on 127.0.0.1 trains the largest network the config allows and a
3x64 tanh net at full speed, each watched by a JSON websocket client (bench/soak.py), for
$BACKPROP_SOAK_SECONDS (default 60; `make soak` runs 600 and prints the figures). Over the run's
second half the resident set size of the web process and its workers together may grow only by
what the sessions' histories still keep by design (capped at HISTORY_CAPACITY rows each) plus a
margin for the allocator. Before sessions bounded their logs in bytes this server grew by about
150 MiB a minute; before records reached the store as matrices, by ~5 MiB a minute.
"""

from __future__ import annotations

import asyncio
import math
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.loadclient import Server
from bench.soak import Sample, largest_units, soak

SOAK_ENV = "BACKPROP_SOAK_SECONDS"
DEFAULT_SECONDS = 60.0
MARGIN_MIB = 12.0  # allocator noise: frames in flight, SQLite's page caches, thread stacks

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def soak_seconds() -> float:
    """The run's length from $BACKPROP_SOAK_SECONDS; NaN when it is not a number."""
    raw = os.environ.get(SOAK_ENV, "").strip()
    try:
        return float(raw) if raw else DEFAULT_SECONDS
    except ValueError:
        return math.nan


SECONDS = soak_seconds()


def total(sample: Sample) -> float:
    return sample.total


@pytest.mark.timeout(max(300, SECONDS + 180) if math.isfinite(SECONDS) else 300)
def test_rss_stays_flat_while_the_largest_network_trains() -> None:
    seconds = SECONDS
    assert seconds >= 20, f"{SOAK_ENV} must be at least 20 seconds (a warm half, a measured half)"
    server = Server()
    try:
        # On a thread of its own: Playwright's e2e fixtures may own this thread's event loop.
        with ThreadPoolExecutor(max_workers=1) as pool:
            run = asyncio.wait_for(
                soak(server, seconds, every=min(10.0, seconds / 12)), seconds + 90
            )
            result = pool.submit(asyncio.run, run).result()
    finally:
        server.stop()
    print(f"\nsoak of {'x'.join(map(str, largest_units()))} relu + 3x64 tanh, {seconds:.0f} s:")
    print("\n".join(result.lines()))
    end = result.samples[-1]
    assert all(e > 0 for e in end.epochs), "both sessions trained"
    assert len(end.children) >= 3, "the forkserver and two workers were sampled"
    growth, bound = result.second_half_growth(total), result.expected_growth() + MARGIN_MIB
    assert growth < bound, (
        f"RSS (web + children) grew {growth:.1f} MiB in the second half "
        f"({result.per_minute(total):+.1f} MiB/min); at most {bound:.1f} MiB expected"
    )
