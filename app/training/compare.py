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
from app.training.history import SCALAR_COLUMNS

MAX_COMPARE = 8  # runs overlaid at once; the page reads it from GET /api/runs/limits
DEFAULT_POINTS = 600  # rows per run returned by default (a chart is rarely wider in pixels)
MIN_POINTS, MAX_POINTS = 20, 4000
# The history's scalar columns but the epoch axis and the clipped norm (compare draws the raw one)
COLUMNS = tuple(c for c in SCALAR_COLUMNS if c not in ("epoch", "grad_norm_clipped"))
SHOWN = ("train_loss", "val_loss", "val_acc")  # figures a checkpoint carries (replay shows them)


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
    """Decimated metric columns of a stored run on one epoch axis, with its checkpoints (and the
    figures of the epoch each was taken at, when that epoch is stored)."""
    keys = ["epoch", *COLUMNS]
    segment_of, rows = store.scalar_rows(run_id, keys)
    segments, offsets = [], {}
    offset = 0
    for segment in np.unique(segment_of).tolist():
        epochs = rows[segment_of == segment, 0]
        first, last = int(epochs[0]), int(epochs[-1])
        segments.append({"segment": segment, "offset": offset, "first": first, "last": last})
        offsets[segment] = offset
        rows[segment_of == segment, 0] += offset
        offset += last
    col = {key: rows[:, j] for j, key in enumerate(keys)}
    kept = spread(len(rows), points)
    columns: dict[str, Any] = {"epoch": col["epoch"][kept].astype(np.int64).tolist()}
    columns.update({key: _column(col[key][kept]) for key in COLUMNS})
    final = {key: _finite(float(col[key][-1])) for key in COLUMNS} if len(rows) else {}
    best = {
        "train_loss": _best(col["train_loss"], largest=False),
        "val_loss": _best(col["val_loss"], largest=False),
        "train_acc": _best(col["train_acc"], largest=True),
        "val_acc": _best(col["val_acc"], largest=True),
        "val_mae": _best(col["val_mae"], largest=False),
    }
    checkpoints = []
    for s, e in sorted(store.checkpoints(run_id)):
        at = offsets.get(s, offset) + e
        found = np.flatnonzero((segment_of == s) & (col["epoch"] == at))
        figures = {k: _finite(float(col[k][found[0]])) if len(found) else None for k in SHOWN}
        checkpoints.append({"segment": s, "epoch": e, "at": at, **figures})
    return {
        "stored_epochs": len(rows),
        "segments": segments,
        "columns": columns,
        "final": final,
        "best": best,
        "checkpoints": checkpoints,
    }
