"""Epoch records as compact float64 rows, chart columns from them, and bounded decimated histories.

A record row is [SCALAR_COLUMNS..., then LAYER_COLUMNS of layer 0, of layer 1, ...]; None is
stored as NaN (both travel as JSON null). Rows cost 8 bytes per number instead of a dict of Python
floats, so a 100,000-epoch run's history stays a few MB.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from itertools import groupby
from typing import Any, Generic, TypeVar

import numpy as np

from app.engine.trainer import LAYER_KEYS
from app.engine.transplant import dense_sources
from app.store.codec import layout_of

SCALAR_COLUMNS = (
    "epoch",
    "train_loss",
    "val_loss",
    "train_acc",
    "val_acc",
    "train_mae",
    "val_mae",
    "lr",
    "grad_norm_global",
    "grad_norm_clipped",
)
LAYER_COLUMNS = LAYER_KEYS  # per-layer instruments, as the trainer names them
HISTORY_CAPACITY = 4000  # records kept per session (decimated beyond)
HISTOGRAM_CAPACITY = 200  # histogram frames kept per session, spread over the whole run

T = TypeVar("T")


def record_rows(records: Sequence[dict[str, Any]]) -> np.ndarray:
    """Records (all with the same layers) as a (len(records), width) float64 matrix."""
    if not records:
        return np.zeros((0, len(SCALAR_COLUMNS)))
    values = [
        [r.get(k) for k in SCALAR_COLUMNS]
        + [layer.get(k) for layer in r["layers"] for k in LAYER_COLUMNS]
        for r in records
    ]
    nan = math.nan
    return np.array([[nan if v is None else v for v in row] for row in values], dtype=np.float64)


def record_dicts(
    rows: np.ndarray, layer_names: Sequence[str], stopped_last: bool = False
) -> list[dict[str, Any]]:
    """Rows back as the trainer's records (NaN as None), for the diagnoses and the store."""
    n_scalar, width = len(SCALAR_COLUMNS), len(LAYER_COLUMNS)
    records = []
    for row in rows.tolist():
        values = [v if math.isfinite(v) else None for v in row]
        record: dict[str, Any] = dict(zip(SCALAR_COLUMNS, values[:n_scalar], strict=True))
        record["epoch"] = int(row[0])
        record["stopped"] = False
        record["layers"] = [
            {
                "name": name,
                **dict(
                    zip(
                        LAYER_COLUMNS,
                        values[n_scalar + i * width : n_scalar + (i + 1) * width],
                        strict=True,
                    )
                ),
            }
            for i, name in enumerate(layer_names)
        ]
        records.append(record)
    if records and stopped_last:
        records[-1]["stopped"] = True
    return records


@functools.lru_cache(maxsize=64)
def _stored_layout(layer_names: tuple[str, ...]) -> str:
    """The store's layout of `record_dicts` records of these layers."""
    return layout_of(record_dicts(np.zeros((1, _width(len(layer_names)))), layer_names)[0])


def stored_rows(
    rows: np.ndarray, layer_names: tuple[str, ...], stopped_last: bool = False
) -> tuple[str, np.ndarray]:
    """(layout, values) of `record_dicts(rows, layer_names, stopped_last)` as the store keeps
    them, in NumPy: the scalars, the `stopped` flag, then each layer's columns."""
    n_scalar = len(SCALAR_COLUMNS)
    values = np.empty((len(rows), rows.shape[1] + 1))
    values[:, :n_scalar] = rows[:, :n_scalar]
    values[:, n_scalar] = 0.0
    if stopped_last and len(rows):
        values[-1, n_scalar] = 1.0
    values[:, n_scalar + 1 :] = rows[:, n_scalar:]
    return _stored_layout(tuple(layer_names)), values


def _width(n_layers: int) -> int:
    return len(SCALAR_COLUMNS) + n_layers * len(LAYER_COLUMNS)


def _column_list(values: np.ndarray, integer: bool = False) -> list[Any]:
    if integer:
        return values.astype(np.int64).tolist()
    return [v if math.isfinite(v) else None for v in values.tolist()]


def _shaped(rows: np.ndarray, n_layers: int) -> np.ndarray:
    """No rows yet: an empty matrix of the width `n_layers` layers need."""
    return rows if len(rows) else np.zeros((0, _width(n_layers)))


def to_columns(rows: np.ndarray, layer_names: Sequence[str]) -> dict[str, Any]:
    """Rows as column lists (None for non-finite): the body of a `metrics` frame."""
    rows = _shaped(rows, len(layer_names))
    n_scalar = len(SCALAR_COLUMNS)
    columns: dict[str, Any] = {
        key: _column_list(rows[:, j], integer=key == "epoch")
        for j, key in enumerate(SCALAR_COLUMNS)
    }
    width = len(LAYER_COLUMNS)
    columns["layers"] = [
        {
            "name": name,
            **{
                key: _column_list(rows[:, n_scalar + i * width + j])
                for j, key in enumerate(LAYER_COLUMNS)
            },
        }
        for i, name in enumerate(layer_names)
    ]
    return columns


def _json_column(values: np.ndarray) -> str:
    # One short C call per column, so a thread encoding a long history hands the GIL back often.
    text = json.dumps(values.tolist(), separators=(",", ":"))
    return text.replace("-Infinity", "null").replace("Infinity", "null").replace("NaN", "null")


def columns_json(rows: np.ndarray, layer_names: Sequence[str]) -> str:
    """`to_columns(rows, layer_names)` as strict JSON text, built column by column."""
    rows = _shaped(rows, len(layer_names))
    n_scalar = len(SCALAR_COLUMNS)
    parts = [f'"epoch":{json.dumps(rows[:, 0].astype(np.int64).tolist())}']
    parts += [f'"{key}":{_json_column(rows[:, j])}' for j, key in enumerate(SCALAR_COLUMNS) if j]
    width = len(LAYER_COLUMNS)
    layers = []
    for i, name in enumerate(layer_names):
        cols = [
            f'"{key}":{_json_column(rows[:, n_scalar + i * width + j])}'
            for j, key in enumerate(LAYER_COLUMNS)
        ]
        layers.append("{" + f'"name":{json.dumps(name)},' + ",".join(cols) + "}")
    return "{" + ",".join(parts) + ',"layers":[' + ",".join(layers) + "]}"


class RecordHistory:
    """At most `capacity` record rows spread over the whole run: when full, every other one goes."""

    def __init__(self, capacity: int = HISTORY_CAPACITY) -> None:
        self.capacity = capacity
        self.stride = 1
        self.layer_names: tuple[str, ...] = ()  # the layers the rows describe
        self.version = 0  # changes whenever the kept rows do
        self._rows = np.zeros((0, 0))
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def add(self, rows: np.ndarray, layer_names: tuple[str, ...]) -> None:
        """Keep the rows (of `layer_names`) whose epoch falls on the current stride.

        Rows of other layers continue the history across a network edit: the kept rows are
        re-keyed to the new layers (`remap`); a fresh start clears the history first."""
        if layer_names != self.layer_names:
            self.remap(layer_names)
        rows = rows[rows[:, 0] % self.stride == 0]
        if not len(rows):
            return
        need = self._n + len(rows)
        if need > len(self._rows):
            size = max(need, min(2 * len(self._rows), self.capacity), 64)
            grown = np.empty((size, rows.shape[1]))
            grown[: self._n] = self._rows[: self._n]
            self._rows = grown
        self._rows[self._n : need] = rows
        self._n = need
        self.version += 1
        while self._n > self.capacity:
            self.stride *= 2
            kept = self._rows[: self._n][self._rows[: self._n, 0] % self.stride == 0]
            self._n = len(kept)
            self._rows[: self._n] = kept

    def remap(self, layer_names: tuple[str, ...]) -> None:
        """Re-key the kept rows to the dense layers `layer_names` after a network edit: each
        layer takes the columns of the old layer it continues (`dense_sources`: hidden layers by
        position, output to output); a new layer has no values (NaN) before the edit, and the
        per-layer columns of a removed layer go (the store keeps them)."""
        n_scalar, width = len(SCALAR_COLUMNS), len(LAYER_COLUMNS)
        kept = self._rows[: self._n]
        remapped = np.full((len(kept), n_scalar + width * len(layer_names)), np.nan)
        if self._n and self.layer_names and layer_names:
            remapped[:, :n_scalar] = kept[:, :n_scalar]
            for i, j in enumerate(dense_sources(len(self.layer_names), len(layer_names))):
                if j is not None:
                    dst = n_scalar + i * width
                    src = n_scalar + j * width
                    remapped[:, dst : dst + width] = kept[:, src : src + width]
        self._rows, self.layer_names = remapped, layer_names
        self._n = len(remapped)
        self.version += 1

    def rows(self) -> np.ndarray:
        """A copy of the kept rows, oldest first."""
        return self._rows[: self._n].copy()

    def truncate(self, epoch: int) -> None:
        """Forget the rows after `epoch` (a run continued from an earlier checkpoint)."""
        if self._n:
            kept = self._rows[: self._n][self._rows[: self._n, 0] <= epoch]
            self._n = len(kept)
            self._rows[: self._n] = kept
        self.version += 1

    def sample(self, columns: Sequence[int], count: int, since: float = 0) -> np.ndarray:
        """About `count` kept rows from epoch `since` on, evenly spread (the last always), only
        `columns`."""
        first = int(np.searchsorted(self._rows[: self._n, 0], since)) if self._n else 0
        if first >= self._n:
            return np.zeros((0, len(columns)))
        picks = np.linspace(first, self._n - 1, min(self._n - first, count)).round().astype(int)
        picks[-1] = self._n - 1
        return self._rows[np.unique(picks)][:, list(columns)]

    def clear(self) -> None:
        """Forget everything (after a rebuild or reset)."""
        self.stride = 1
        self._rows, self._n, self.layer_names = np.zeros((0, 0)), 0, ()
        self.version += 1


def rekeyed_rows(records: Sequence[dict[str, Any]]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Records whose layers change across network edits, as rows of the last records' layers
    (earlier rows re-keyed as `RecordHistory.remap` does live), and those layer names."""
    history = RecordHistory(capacity=max(1, len(records)))
    for names, group in groupby(records, key=lambda r: tuple(x["name"] for x in r["layers"])):
        history.add(record_rows(list(group)), names)
    return history.rows(), history.layer_names


class DecimatedList(Generic[T]):
    """At most `capacity` (epoch, item) pairs spread over the run: when full, every other goes."""

    def __init__(self, capacity: int = HISTOGRAM_CAPACITY) -> None:
        self.capacity = capacity
        self.stride = 1
        self.items: list[tuple[int, T]] = []

    def add(self, epoch: int, item: T) -> None:
        """Keep the item if its epoch falls on the current stride."""
        if epoch % self.stride:
            return
        self.items.append((epoch, item))
        while len(self.items) > self.capacity:
            self.stride *= 2
            self.items = [(e, x) for e, x in self.items if e % self.stride == 0]

    def truncate(self, epoch: int) -> None:
        """Forget the items after `epoch`."""
        self.items = [(e, x) for e, x in self.items if e <= epoch]

    def clear(self) -> None:
        """Forget everything."""
        self.stride = 1
        self.items = []
