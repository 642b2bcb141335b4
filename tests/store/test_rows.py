"""A chunk's record matrix stored in one go reads back exactly as the per-epoch dicts did.

The session hands the store a chunk's rows (`Recorder.records`) instead of a dict per epoch, so
that no per-epoch Python objects wait in the writer's queue; what is stored must not change.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from app.store import RunStore
from app.store.codec import layout_of
from app.training.history import LAYER_COLUMNS, SCALAR_COLUMNS, record_dicts, stored_rows

NAMES = ("dense0", "dense1", "output")


def chunk(first_epoch: int, n: int, seed: int) -> np.ndarray:
    """Record rows with NaN, +-inf and missing validation figures mixed in."""
    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(n, len(SCALAR_COLUMNS) + len(NAMES) * len(LAYER_COLUMNS)))
    rows[:, 0] = np.arange(first_epoch, first_epoch + n)
    rows[::3, 2] = np.nan  # val_loss not evaluated every epoch
    rows[1 % n, 3] = np.inf
    rows[2 % n, len(SCALAR_COLUMNS) + 1] = -np.inf
    rows[:, 4] = rng.uniform(0, 1, n)  # val_acc
    return rows


def both_ways(tmp_path: Path, chunks: list[tuple[int, np.ndarray, bool]]) -> tuple[dict, dict]:
    """The same chunks stored as dicts and as matrices: (records, run summary) of each."""
    out = []
    for way in ("dicts", "rows"):
        store = RunStore.open(tmp_path / way)
        try:
            store.create_run("r", "r", {}, "running")
            for segment, rows, stopped in chunks:
                if way == "dicts":
                    for record in record_dicts(rows, NAMES, stopped):
                        store.add_record("r", segment, record)
                else:
                    store.add_rows("r", segment, *stored_rows(rows, NAMES, stopped))
            store.flush()
            run = store.get_run("r")
            assert run is not None
            summary = {k: run[k] for k in ("epochs", "best_val_loss", "best_val_acc")}
            out.append(({"records": store.records("r")}, summary))
        finally:
            store.close()
    (dict_records, dict_run), (row_records, row_run) = out
    assert row_run == dict_run
    return dict_records, row_records


def test_rows_store_exactly_what_the_records_stored(tmp_path: Path) -> None:
    chunks = [(0, chunk(1, 7, 1), False), (0, chunk(8, 5, 2), False), (1, chunk(1, 4, 3), True)]
    dicts, rows = both_ways(tmp_path, chunks)
    assert json.dumps(rows, sort_keys=True) == json.dumps(dicts, sort_keys=True)
    records = [r for _, r in rows["records"]]
    assert len(records) == 16 and records[-1]["stopped"] is True
    assert records[0]["val_loss"] is None and records[1]["val_acc"] is not None
    assert records[1]["train_acc"] is None  # +inf, as the dicts had it
    assert records[2]["layers"][0][LAYER_COLUMNS[1]] is None
    assert all(isinstance(r["epoch"], int) for r in records)


def test_a_chunk_without_validation_figures_leaves_the_best_alone(tmp_path: Path) -> None:
    rows = chunk(1, 3, 4)
    rows[:, 2] = rows[:, 4] = np.nan
    dicts, _ = both_ways(
        tmp_path, [(0, chunk(1, 2, 5), False), (0, rows, False), (0, rows[:0], False)]
    )
    assert len(dicts["records"]) == 3  # epochs 1-2, then 1-3 again: replaced


def test_histograms_text_is_stored_as_the_layers_were(store: RunStore) -> None:
    layers = [{"name": "dense0", "weights": {"counts": [1, 2], "edges": [0.0, 0.5, math.pi]}}]
    store.create_run("r", "r", {}, "running")
    store.add_histograms("r", 0, 3, layers)
    frame = {"type": "histograms", "epoch": 5, "layers": layers}
    store.add_histograms_text("r", 0, json.dumps(frame))
    store.flush()
    assert store.histograms("r") == [(0, 3, layers), (0, 5, layers)]


@pytest.mark.parametrize("n_layers", [1, 4])
def test_the_stored_layout_is_the_records_layout(n_layers: int) -> None:
    names = tuple(f"dense{i}" for i in range(n_layers))
    rows = np.zeros((2, len(SCALAR_COLUMNS) + n_layers * len(LAYER_COLUMNS)))
    layout, values = stored_rows(rows, names, stopped_last=True)
    assert layout == layout_of(record_dicts(rows, names, True)[0])
    assert values.shape == (2, rows.shape[1] + 1)
    assert values[:, len(SCALAR_COLUMNS)].tolist() == [0, 1]  # the `stopped` flag
