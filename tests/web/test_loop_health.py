"""The web process's loop health: a frozen startup heap and the opt-in stall report."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Iterator

import pytest

from app.web import loop_health
from app.web.loop_health import DEBUG_LOOP_ENV, LoopWatch, debug_threshold, settle_heap
from bench.loadclient import Server
from bench.loadtest import Driver
from tests.training.test_session import run_isolated


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """Whatever a test freezes goes back to the collector afterwards."""
    yield
    gc.unfreeze()


def test_settle_heap_takes_the_startup_objects_out_of_full_collections(unfrozen: None) -> None:
    before = len(gc.get_objects(2))
    settle_heap()
    assert before > 1000 and gc.get_freeze_count() >= 0.9 * before  # less what was garbage
    assert len(gc.get_objects(2)) < before / 10


def test_the_report_is_off_unless_asked_and_reads_milliseconds(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(DEBUG_LOOP_ENV, raising=False)
    assert debug_threshold() == 0.0
    monkeypatch.setenv(DEBUG_LOOP_ENV, "25")
    assert debug_threshold() == pytest.approx(0.025)
    monkeypatch.setenv(DEBUG_LOOP_ENV, "soon")
    with caplog.at_level(logging.WARNING, logger=loop_health.__name__):
        assert debug_threshold() == 0.0
    assert DEBUG_LOOP_ENV in caplog.text and "'soon'" in caplog.text


def stall_the_loop_for_a_while() -> None:
    time.sleep(0.15)


def test_a_stall_is_reported_with_where_the_loop_was(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        watch = LoopWatch(asyncio.get_running_loop(), threshold=0.05)
        try:
            await asyncio.sleep(0.05)  # the watchdog is pinging
            stall_the_loop_for_a_while()
            await asyncio.sleep(0.1)  # its report is written once the loop answers again
        finally:
            watch.stop()

    with caplog.at_level(logging.WARNING, logger=loop_health.__name__):
        run_isolated(scenario())
    stalls = [r.getMessage() for r in caplog.records if "event loop stalled" in r.getMessage()]
    assert len(stalls) == 1, stalls
    assert "stall_the_loop_for_a_while" in stalls[0]
    millis = float(stalls[0].split("stalled ")[1].split(" ms")[0])
    assert 100 <= millis < 1000


def test_a_busy_server_never_pauses_for_a_long_collection(monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight light sessions at full speed churn through the collector's generations; before the
    startup heap was frozen, each full collection cost the loop 85-110 ms of CPU every few
    seconds. Measured as the collecting thread's CPU time, so a busy machine does not count."""
    monkeypatch.setenv(DEBUG_LOOP_ENV, "30")  # milliseconds; the server inherits it
    server = Server()
    try:

        async def scenario() -> None:
            driver = Driver(server)
            try:
                clients = [await driver.open({}) for _ in range(8)]
                await asyncio.sleep(12)
                assert all(c.epochs_seen > 0 for c in clients)
            finally:
                await driver.close()

        run_isolated(scenario())
        log = server.log()
    finally:
        server.stop()
    assert "reporting event-loop stalls over 30 ms" in log  # the report was on
    collections = [line for line in log.splitlines() if "garbage collection" in line]
    assert not collections, "\n".join(collections)
