"""Columns for metrics frames and the decimated history."""

from __future__ import annotations

import itertools
from typing import Any

from app.training.history import DecimatedHistory, to_columns


def record(epoch: int) -> dict[str, Any]:
    layer = {"name": "dense0", "grad_norm": epoch * 0.1, "weight_norm": 1.0}
    return {"epoch": epoch, "train_loss": 1.0 / epoch, "lr": 0.1, "layers": [layer]}


def test_records_become_columns() -> None:
    columns = to_columns([record(1), record(2)], ["dense0"])
    assert columns["epoch"] == [1, 2]
    assert columns["train_loss"] == [1.0, 0.5]
    assert columns["val_loss"] == [None, None]
    assert columns["layers"][0]["name"] == "dense0"
    assert columns["layers"][0]["grad_norm"] == [0.1, 0.2]


def test_history_stays_bounded_and_spans_the_whole_run() -> None:
    history = DecimatedHistory(capacity=100)
    for epoch in range(1, 1001):
        history.add(record(epoch))
    epochs = [r["epoch"] for r in history.records]
    assert len(epochs) <= 100
    assert epochs[0] <= 16 and epochs[-1] >= 990, "old and recent epochs are both kept"
    steps = {b - a for a, b in itertools.pairwise(epochs)}
    assert steps == {history.stride}, "evenly spaced"
    history.clear()
    assert history.records == [] and history.stride == 1
