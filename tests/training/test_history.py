"""Record rows, columns (as lists and as JSON text) and the decimated histories."""

from __future__ import annotations

import itertools
import json
import math
from typing import Any

import numpy as np

from app.engine.trainer import LAYER_KEYS
from app.training.history import (
    DecimatedList,
    RecordHistory,
    columns_json,
    record_rows,
    to_columns,
)


def record(epoch: int) -> dict[str, Any]:
    layer = {"name": "dense0", **dict.fromkeys(LAYER_KEYS, 1.0), "grad_norm": epoch * 0.1}
    return {"epoch": epoch, "train_loss": 1.0 / epoch, "lr": 0.1, "layers": [layer]}


def test_records_become_rows_then_columns_with_none_for_missing_and_non_finite() -> None:
    second = record(2)
    second["train_loss"] = math.inf
    matrix = record_rows([record(1), second])
    assert matrix.dtype == np.float64 and matrix.shape == (2, 10 + len(LAYER_KEYS))
    columns = to_columns(matrix, ["dense0"])
    assert columns["epoch"] == [1, 2] and all(type(e) is int for e in columns["epoch"])
    assert columns["train_loss"] == [1.0, None]
    assert columns["val_loss"] == [None, None]
    assert columns["layers"][0]["name"] == "dense0"
    assert columns["layers"][0]["grad_norm"] == [0.1, 0.2]
    assert json.loads(columns_json(matrix, ["dense0"])) == columns


def test_history_stays_bounded_and_spans_the_whole_run() -> None:
    history = RecordHistory(capacity=100)
    for start in range(1, 1001, 7):  # chunks of records, as sessions add them
        chunk = record_rows([record(e) for e in range(start, min(start + 7, 1001))])
        history.add(chunk, ("dense0",))
    epochs = history.rows()[:, 0].astype(int).tolist()
    assert len(epochs) <= 100
    assert epochs[0] <= 16 and epochs[-1] >= 990, "old and recent epochs are both kept"
    steps = {b - a for a, b in itertools.pairwise(epochs)}
    assert steps == {history.stride}, "evenly spaced"
    history.clear()
    assert len(history) == 0 and history.stride == 1


def two_layer_record(epoch: int) -> dict[str, Any]:
    one = record(epoch)
    hidden = {"name": "dense0", **dict.fromkeys(LAYER_KEYS, 2.0)}
    out = {**one["layers"][0], "name": "dense1"}
    return {**one, "layers": [hidden, out]}


def test_history_continues_across_a_network_edit_with_layers_rekeyed() -> None:
    history = RecordHistory()
    history.add(record_rows([record(e) for e in (1, 2)]), ("dense0",))
    history.add(record_rows([two_layer_record(3)]), ("dense0", "dense1"))  # a layer added
    columns = to_columns(history.rows(), history.layer_names)
    assert columns["epoch"] == [1, 2, 3], "the epochs before the edit are kept"
    hidden, out = columns["layers"]
    assert hidden["grad_norm"] == [None, None, 2.0], "the new hidden layer starts at the edit"
    assert out["grad_norm"] == [0.1, 0.2, 0.30000000000000004], "the output layer goes on"
    history.add(record_rows([record(4)]), ("dense0",))  # and removed again
    columns = to_columns(history.rows(), history.layer_names)
    assert [layer["name"] for layer in columns["layers"]] == ["dense0"]
    assert columns["layers"][0]["grad_norm"][:2] == [0.1, 0.2]
    assert len(history) == 4


def test_decimated_list_keeps_items_spread_over_the_run() -> None:
    kept: DecimatedList[str] = DecimatedList(capacity=10)
    for epoch in range(10, 1001, 10):
        kept.add(epoch, f"h{epoch}")
    epochs = [e for e, _ in kept.items]
    assert len(epochs) <= 10 and epochs[-1] >= 900
    assert len({b - a for a, b in itertools.pairwise(epochs)}) == 1
