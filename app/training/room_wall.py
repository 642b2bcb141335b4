"""The class wall's data: a small, bounded summary of each run (a few loss points, a boundary
thumbnail, a few settings), taken cheaply on the event loop and finished in a worker thread."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.training.history import SCALAR_COLUMNS
from app.training.session import TrainingSession

WALL_POINTS = 48  # loss points per run on the wall (the whole run, decimated)
THUMB_CELLS = 16  # the boundary thumbnail is THUMB_CELLS × THUMB_CELLS
THUMB_LEVELS = 99  # binary and regression cells are quantised to 0..THUMB_LEVELS
WALL_COLUMNS = ("epoch", "train_loss", "val_loss", "val_acc")
_COLUMN_INDEX = [SCALAR_COLUMNS.index(c) for c in WALL_COLUMNS]


@dataclass(frozen=True)
class Glimpse:
    """What the wall needs of one run, copied on the event loop (cheap: a few dozen rows)."""

    key: str
    name: str
    session: str
    epoch: int
    state: str
    rows: np.ndarray  # at most WALL_POINTS + 1 rows of WALL_COLUMNS
    snapshot: str  # the session's last encoded snapshot frame (immutable text)
    settings: dict[str, Any]


def settings_of(session: TrainingSession) -> dict[str, Any]:
    """The settings the wall can colour by."""
    config = session.config
    layers = config.model.layers
    return {
        "lr": config.training.learning_rate,
        "optimizer": config.training.optimizer,
        "depth": len(layers),
        "activation": layers[0].activation if layers else "none",
        "dataset": config.dataset.name,
    }


def glimpse(session: TrainingSession, key: str, name: str, branched: int | None = None) -> Glimpse:
    """Take a run's wall summary inputs (call on the event loop, between chunks). A branch of a
    reveal (`branched`: its epoch) is sampled mostly after that epoch, where the branches differ:
    the shared past gets at most a third of the chart."""
    # The last published record, not run.epoch: that one moves while a chunk trains.
    history = session.history
    epoch = int(history.sample([0], 1)[0, 0]) if len(history) else session.epoch
    since = 0.0 if branched is None else max(0.0, branched - (epoch - branched) / 2)
    return Glimpse(
        key=key,
        name=name,
        session=session.id,
        epoch=epoch,
        state=session.state.value,
        rows=history.sample(_COLUMN_INDEX, WALL_POINTS, since),
        snapshot=session.snapshot_text,
        settings=settings_of(session),
    )


def _short(value: float) -> float | None:
    """Four significant digits, or None when not finite (JSON has no NaN)."""
    return float(f"{value:.4g}") if math.isfinite(value) else None


def loss_columns(rows: np.ndarray) -> dict[str, list[Any]]:
    """The decimated loss curve: {epoch, train, val}."""
    return {
        "epoch": rows[:, 0].astype(np.int64).tolist() if len(rows) else [],
        "train": [_short(v) for v in rows[:, 1].tolist()] if len(rows) else [],
        "val": [_short(v) for v in rows[:, 2].tolist()] if len(rows) else [],
    }


def thumbnail(snapshot_text: str) -> dict[str, Any] | None:
    """The boundary at THUMB_CELLS² cells (row 0 at the top), or None off the plane."""
    try:
        boundary = json.loads(snapshot_text).get("boundary") or {}
    except ValueError:
        return None
    res, values, task = boundary.get("resolution"), boundary.get("values"), boundary.get("task")
    if not isinstance(res, int) or not isinstance(values, list) or len(values) != res * res:
        return None
    grid = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    picks = (np.arange(THUMB_CELLS) * res) // THUMB_CELLS + res // (2 * THUMB_CELLS)
    cells = grid.reshape(res, res)[np.ix_(picks, picks)].ravel()
    if task == "multiclass":
        classes = int(np.nanmax(cells)) + 1 if np.isfinite(cells).any() else 1
        return {"n": THUMB_CELLS, "task": task, "classes": classes, "cells": _ints(cells)}
    if task == "regression":
        lo, hi = np.nanmin(cells), np.nanmax(cells)
        cells = (cells - lo) / (hi - lo) if hi > lo else np.full_like(cells, 0.5)
    return {"n": THUMB_CELLS, "task": task, "cells": _ints(np.clip(cells, 0, 1) * THUMB_LEVELS)}


def _ints(values: np.ndarray) -> list[int | None]:
    return [round(v) if math.isfinite(v) else None for v in values.tolist()]


class Thumbnails:
    """Each run's thumbnail, recomputed only when its snapshot text changes (worker thread)."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[str, dict[str, Any] | None]] = {}

    def get(self, session_id: str, snapshot_text: str) -> dict[str, Any] | None:
        """The thumbnail of this snapshot."""
        cached = self._cache.get(session_id)
        if cached is None or cached[0] is not snapshot_text:
            cached = (snapshot_text, thumbnail(snapshot_text))
            self._cache[session_id] = cached
        return cached[1]

    def keep_only(self, session_ids: set[str]) -> None:
        """Forget runs that left the wall."""
        for gone in set(self._cache) - session_ids:
            del self._cache[gone]


def summary(g: Glimpse, thumbs: Thumbnails) -> dict[str, Any]:
    """One run on the wall (worker thread)."""
    last = g.rows[-1] if len(g.rows) else np.full(len(WALL_COLUMNS), np.nan)
    return {
        "id": g.key,
        "name": g.name,
        "session": g.session,
        "epoch": g.epoch,
        "state": g.state,
        "val_loss": _short(float(last[2])),
        "val_acc": _short(float(last[3])),
        "settings": g.settings,
        "loss": loss_columns(g.rows),
        "thumb": thumbs.get(g.session, g.snapshot),
    }
