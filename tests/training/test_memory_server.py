"""Memory of a real server process stays flat while big networks train and stream (issue 11).

A uvicorn subprocess on 127.0.0.1 trains the largest allowed network (4x256) and a 3x64 net, each
watched by a websocket client; its resident set size (from /proc) must stop growing once warm.
Before sessions bounded their logs in bytes, this server grew by about 150 MiB a minute.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.loadclient import Client, Server
from bench.loadtest import LARGEST, MID, is_state

WARM_UP_SECONDS = 10.0
MEASURE_SECONDS = 30.0
MAX_GROWTH_MIB = 30.0  # allocator noise and the histories still filling; the leak was ~75

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


@pytest.fixture
def server() -> Iterator[Server]:
    """A server process, stopped however the test ends."""
    process = Server()
    try:
        yield process
    finally:
        process.stop()


def test_rss_stays_flat_while_the_largest_network_trains(server: Server) -> None:
    async def scenario() -> tuple[float, float]:
        clients = []
        try:
            for config in (LARGEST, MID):
                session_id, token = await asyncio.to_thread(server.create, config)
                client = Client(f"{server.ws_base}/ws/sessions/{session_id}?token={token}")
                await client.open()
                clients.append(client)
                assert await client.timed({"type": "play"}, is_state("running"), 20) < 20
            await asyncio.sleep(WARM_UP_SECONDS)
            warm = server.rss_mib()
            await asyncio.sleep(MEASURE_SECONDS)
            assert all(c.epochs_seen > 0 for c in clients), "both sessions trained"
            return warm, server.rss_mib()
        finally:
            for client in clients:
                await client.close()

    limit = WARM_UP_SECONDS + MEASURE_SECONDS + 60
    # On a thread of its own: Playwright's e2e fixtures may own this thread's event loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        warm, end = pool.submit(asyncio.run, asyncio.wait_for(scenario(), limit)).result()
    assert end - warm < MAX_GROWTH_MIB, f"RSS grew from {warm:.0f} to {end:.0f} MiB in 30 s"
