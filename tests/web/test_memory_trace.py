"""The opt-in memory report names the lines whose memory grew since its first snapshot."""

from __future__ import annotations

import logging
import tracemalloc
from collections.abc import Iterator

import pytest

from app.web import memory_trace
from app.web.memory_trace import TRACE_MEMORY_ENV, MemoryTrace, rss_mib, trace_interval

kept: list[bytes] = []


def grow_by_a_few_mebibytes() -> None:
    kept.extend(bytes(64 * 1024) for _ in range(64))  # 4 MiB in 64 blocks


@pytest.fixture
def tracing() -> Iterator[None]:
    """tracemalloc stops and the kept blocks go once the test ends."""
    yield
    kept.clear()
    tracemalloc.stop()


def test_the_report_names_the_line_that_grew(tracing: None) -> None:
    trace = MemoryTrace(interval=3600)  # no tick during the test: reports on demand only
    try:
        trace.report()  # the first snapshot: the baseline
        grow_by_a_few_mebibytes()
        report = trace.report()
    finally:
        trace.stop()
    summary, top, *_ = report.splitlines()
    assert summary.startswith("memory: RSS ") and "traced" in summary
    assert "test_memory_trace.py" in top and "+64 blocks" in top
    assert 4000 <= float(top.split()[0]) < 4400  # KiB


def test_the_report_is_off_unless_asked_and_reads_seconds(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(TRACE_MEMORY_ENV, raising=False)
    assert trace_interval() == 0.0
    monkeypatch.setenv(TRACE_MEMORY_ENV, "30")
    assert trace_interval() == 30.0
    monkeypatch.setenv(TRACE_MEMORY_ENV, "often")
    with caplog.at_level(logging.WARNING, logger=memory_trace.__name__):
        assert trace_interval() == 0.0
    assert TRACE_MEMORY_ENV in caplog.text
    assert rss_mib() > 10
