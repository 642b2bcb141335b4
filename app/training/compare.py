"""A stored run's metric columns for comparing runs: segments laid end to end, decimated, compact.

Every segment (a reset or an architecture edit starts the epoch count again) follows the one
before it on one epoch axis: a segment's epochs are offset by the last epoch of those before it,
so the axis counts every epoch the run trained. Long runs are thinned to at most `points` rows,
evenly spread, first and last kept; the best and final figures come from every stored row.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from app.store import RunStore
from app.training.history import SCALAR_COLUMNS, record_rows

MAX_COMPARE = 8  # runs overlaid at once; the page reads it from GET /api/runs/limits
DEFAULT_POINTS = 600  # rows per run returned by default (a chart is rarely wider in pixels)
MIN_POINTS, MAX_POINTS = 20, 4000
COLUMNS = (
    "train_loss",
    "val_loss",
    "train_acc",
    "val_acc",
    "train_mae",
    "val_mae",
    "lr",
    "grad_norm_global",
)
_INDEX = {key: j for j, key in enumerate(SCALAR_COLUMNS)}


def spread(n: int, points: int) -> np.ndarray:
    """Indices of at most `points` of `n` rows, evenly spread, first and last included."""
    if n <= points:
        return np.arange(n)
    return np.unique(np.round(np.linspace(0, n - 1, points)).astype(np.int64))


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _column(values: np.ndarray) -> list[float | None]:
    return [_finite(v) for v in values.tolist()]


def _best(values: np.ndarray, largest: bool) -> float | None:
    finite = values[np.isfinite(values)]
    if not len(finite):
        return None
    return float(finite.max() if largest else finite.min())


def metric_columns(store: RunStore, run_id: str, points: int = DEFAULT_POINTS) -> dict[str, Any]:
    """Decimated metric columns of a stored run on one epoch axis, with its checkpoints."""
    by_segment: dict[int, list[dict[str, Any]]] = {}
    for segment, record in store.records(run_id):
        by_segment.setdefault(segment, []).append(record)
    blocks, segments, offsets = [], [], {}
    offset = 0
    for segment in sorted(by_segment):
        rows = record_rows([{**r, "layers": []} for r in by_segment[segment]])
        rows = rows[:, : len(SCALAR_COLUMNS)]
        offsets[segment] = offset
        first, last = int(rows[0, 0]), int(rows[-1, 0])
        segments.append({"segment": segment, "offset": offset, "first": first, "last": last})
        rows[:, 0] += offset
        blocks.append(rows)
        offset += last
    rows = np.concatenate(blocks) if blocks else np.zeros((0, len(SCALAR_COLUMNS)))
    kept = rows[spread(len(rows), points)]
    columns: dict[str, Any] = {"epoch": kept[:, 0].astype(np.int64).tolist()}
    columns.update({key: _column(kept[:, _INDEX[key]]) for key in COLUMNS})
    final = {key: _finite(float(rows[-1, _INDEX[key]])) for key in COLUMNS} if len(rows) else {}
    best = {
        "train_loss": _best(rows[:, _INDEX["train_loss"]], largest=False),
        "val_loss": _best(rows[:, _INDEX["val_loss"]], largest=False),
        "train_acc": _best(rows[:, _INDEX["train_acc"]], largest=True),
        "val_acc": _best(rows[:, _INDEX["val_acc"]], largest=True),
        "val_mae": _best(rows[:, _INDEX["val_mae"]], largest=False),
    }
    checkpoints = [
        {"segment": s, "epoch": e, "at": offsets.get(s, offset) + e}
        for s, e in sorted(store.checkpoints(run_id))
    ]
    return {
        "stored_epochs": len(rows),
        "segments": segments,
        "columns": columns,
        "final": final,
        "best": best,
        "checkpoints": checkpoints,
    }
