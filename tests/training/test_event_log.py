"""The session event log: coalescing order and readers that fall behind."""

from __future__ import annotations

from typing import Any

from app.training.event_log import EventLog, Subscriber, coalesce


def record(epoch: int) -> dict[str, Any]:
    return {"epoch": epoch, "train_loss": 0.5, "layers": [{"name": "dense0", "grad_norm": 1.0}]}


def test_records_coalesce_and_a_stale_snapshot_stays_before_the_rebuild() -> None:
    old_snap = {"type": "snapshot", "epoch": 2, "tag": "old"}
    new_snap = {"type": "snapshot", "epoch": 0, "tag": "new"}
    config = {"type": "config", "rebuilt": True}
    frames = coalesce(
        [
            ("record", record(1)),
            ("snapshot", {"type": "snapshot", "epoch": 1, "tag": "older"}),
            ("record", record(2)),
            ("histograms", {"type": "histograms", "epoch": 1}),
            ("histograms", {"type": "histograms", "epoch": 2}),
            ("snapshot", old_snap),
            ("frame", config),
            ("snapshot", new_snap),
        ]
    )
    assert [f["type"] for f in frames] == [
        "metrics",
        "histograms",
        "snapshot",
        "config",
        "snapshot",
    ]
    assert frames[0]["epoch"] == [1, 2]
    assert frames[1]["epoch"] == 2, "only the newest histograms of a burst"
    assert frames[2] is old_snap and frames[4] is new_snap


def test_a_reader_that_fell_off_the_front_is_told_so() -> None:
    log = EventLog(capacity=3)
    sub = Subscriber(cursor=log.end)
    for epoch in range(1, 3):
        log.append("record", record(epoch))
    assert log.read(sub) is not None and sub.cursor == 2
    for epoch in range(3, 8):
        log.append("record", record(epoch))
    assert log.read(sub) is None, "epochs 3 and 4 were dropped unread"
    assert sub.cursor == log.end
    log.append("record", record(8))
    frames = log.read(sub)
    assert frames is not None and frames[0]["epoch"] == [8]
