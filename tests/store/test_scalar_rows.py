"""Scalar columns straight from the stored bytes match the decoded records, across layouts."""

from __future__ import annotations

import math

import numpy as np

from app.store import RunStore


def record(epoch: int, loss: float | None, layers: int, extra: bool = False) -> dict[str, object]:
    base: dict[str, object] = {"epoch": epoch, "train_loss": loss, "val_acc": 0.5 + epoch / 100}
    if extra:
        base["lr"] = 0.1
    base["layers"] = [{"name": f"dense{i}", "grad_norm": float(i)} for i in range(layers)]
    return base


def test_scalar_rows_read_every_layout_in_order_with_none_and_missing_as_nan(
    store: RunStore,
) -> None:
    store.create_run("r", "r", {}, "paused")
    store.add_record("r", 0, record(1, 0.9, layers=2))
    store.add_record("r", 0, record(2, None, layers=2))
    store.add_record("r", 1, record(1, 0.7, layers=3, extra=True))  # another layout
    store.add_record("r", 1, record(2, 0.6, layers=3, extra=True))
    store.add_record("r", 0, record(3, math.nan, layers=2))  # stored before segment 1's rows
    store.flush()
    segments, rows = store.scalar_rows("r", ["epoch", "train_loss", "lr", "nope"])
    assert segments.tolist() == [0, 0, 0, 1, 1]
    assert rows[:, 0].tolist() == [1, 2, 3, 1, 2]
    loss = rows[:, 1]
    assert loss[0] == 0.9 and math.isnan(loss[1]) and math.isnan(loss[2])
    assert loss[3:].tolist() == [0.7, 0.6]
    assert np.isnan(rows[:3, 2]).all() and rows[3:, 2].tolist() == [0.1, 0.1]
    assert np.isnan(rows[:, 3]).all()
    decoded = [r["val_acc"] for _, r in store.records("r")]
    assert store.scalar_rows("r", ["val_acc"])[1][:, 0].tolist() == decoded
    empty_segments, empty = store.scalar_rows("none", ["epoch"])
    assert empty_segments.shape == (0,) and empty.shape == (0, 1)
