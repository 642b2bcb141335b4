"""The session event log: coalescing, bounds in entries and bytes, readers that fall behind."""

from __future__ import annotations

import numpy as np

from app.training.event_log import EventLog, RecordRows, Subscriber, coalesce
from app.training.wire import Metrics

NAMES = ("dense0",)


def rows(*epochs: int) -> RecordRows:
    matrix = np.zeros((len(epochs), 18))
    matrix[:, 0] = epochs
    return RecordRows(matrix, NAMES)


def test_records_coalesce_and_a_stale_snapshot_stays_before_the_rebuild() -> None:
    config = {"type": "config", "rebuilt": True}
    frames = coalesce(
        [
            ("records", rows(1), 100),
            ("snapshot", "older", 5),
            ("records", rows(2, 3), 100),
            ("histograms", "h1", 2),
            ("histograms", "h2", 2),
            ("snapshot", "old", 3),
            ("frame", config, 10),
            ("snapshot", "new", 3),
        ]
    )
    assert isinstance(frames[0], Metrics) and frames[0].rows[:, 0].tolist() == [1, 2, 3]
    assert frames[1:] == ["h2", "old", config, "new"], "only the newest of a burst, in order"


def test_a_newer_snapshot_replaces_the_older_one_unless_a_control_frame_lies_between() -> None:
    log = EventLog(capacity=100, max_bytes=10_000)
    for i in range(50):
        log.append("snapshot", f"s{i}", 1000)
        log.append("histograms", f"h{i}", 100)
    assert log.bytes == 1100, "one snapshot and one histograms entry are held, not fifty"
    log.append("frame", {"type": "state"}, 10)
    log.append("snapshot", "after", 1000)
    assert log.bytes == 2110, "the snapshot before the control frame stays"


def test_the_log_is_bounded_in_bytes_and_a_reader_left_behind_is_told_so() -> None:
    log = EventLog(capacity=1000, max_bytes=1000)
    sub = Subscriber(cursor=log.end)
    log.append("records", rows(1, 2), 300)
    assert log.read(sub) is not None and sub.cursor == 1
    for epoch in range(3, 10):
        log.append("records", rows(epoch), 300)
        assert log.bytes <= 1000
    assert log.read(sub) is None, "epochs 3 to 6 were dropped unread"
    assert sub.cursor == log.end
    log.append("records", rows(10), 300)
    frames = log.read(sub)
    assert frames is not None and isinstance(frames[0], Metrics)
    assert frames[0].rows[:, 0].tolist() == [10]


def test_the_log_is_bounded_in_entries() -> None:
    log = EventLog(capacity=3, max_bytes=10**9)
    sub = Subscriber(cursor=log.end)
    for epoch in range(1, 6):
        log.append("records", rows(epoch), 1)
    assert log.read(sub) is None
