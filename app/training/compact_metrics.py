"""Metrics in the compact encoding: each log entry's columns encoded once, merged per message.

A log entry (one chunk of epochs) is encoded once, as one array per column. A connection's
message joins the entries it drains into one block: ranges that continue each other stay a
range, equal constants a constant, anything else becomes float32, so a message pays for one
header however many chunks it carries.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence

import numpy as np

from app.training.compact import CONST, F32, RANGE, Array, EncodedCache, block, encodings
from app.training.history import LAYER_COLUMNS, SCALAR_COLUMNS

columns_cache: EncodedCache[list[Array]] = EncodedCache()  # one entry's columns


def metrics_column(values: np.ndarray, epoch: bool = False) -> Array:
    """One metrics column: a range (epochs), a constant (lr, an unused column) or float32."""
    n = len(values)
    if epoch and n and np.array_equal(values, values[0] + np.arange(n)):
        return RANGE, n, struct.pack("<i", int(values[0]))
    if n and (np.all(values == values[0]) or np.all(np.isnan(values))):
        return CONST, n, struct.pack("<d", float(values[0]))
    return F32, n, values.astype("<f4").tobytes()


def metrics_columns(rows: np.ndarray, n_layers: int) -> list[Array]:
    """Epoch records (rows as in app.training.history) as one array per column."""
    encodings["metrics"] += 1
    width = len(SCALAR_COLUMNS) + n_layers * len(LAYER_COLUMNS)
    rows = rows if rows.shape[1:] == (width,) else np.zeros((0, width))
    return [metrics_column(rows[:, j], epoch=j == 0) for j in range(width)]


def _as_f32(array: Array) -> bytes:
    kind, n, payload = array
    if kind == F32:
        return payload
    if kind == RANGE:
        (start,) = struct.unpack("<i", payload)
        return np.arange(start, start + n, dtype="<f4").tobytes()
    (value,) = struct.unpack("<d", payload)
    return np.full(n, value, dtype="<f4").tobytes()


def merge_column(parts: Sequence[Array]) -> Array:
    """One column of several entries, in order."""
    if len(parts) == 1:
        return parts[0]
    n = sum(count for _, count, _ in parts)
    kinds = {kind for kind, _, _ in parts}
    if kinds == {RANGE}:
        starts = [struct.unpack("<i", payload)[0] for _, _, payload in parts]
        if all(s + c == t for s, (_, c, _), t in zip(starts, parts, starts[1:], strict=False)):
            return RANGE, n, parts[0][2]
    if kinds == {CONST} and len({payload for _, _, payload in parts}) == 1:
        return CONST, n, parts[0][2]
    return F32, n, b"".join(_as_f32(p) for p in parts)


def metrics_message(parts: Sequence[list[Array]], layer_names: Sequence[str]) -> bytes:
    """Entries' columns (each entry's from `metrics_columns`) as one `metrics` block."""
    header = {
        "type": "metrics",
        "columns": ",".join(SCALAR_COLUMNS),
        "layer_columns": ",".join(LAYER_COLUMNS),
        "layers": list(layer_names),
    }
    merged = [merge_column([p[j] for p in parts]) for j in range(len(parts[0]))]
    return block(json.dumps(header, separators=(",", ":")), merged)


def metrics_block(rows: np.ndarray, layer_names: Sequence[str]) -> bytes:
    """Epoch records as one `metrics` block (no cache)."""
    return metrics_message([metrics_columns(rows, len(layer_names))], layer_names)


def entries_block(parts: Sequence[np.ndarray], layer_names: Sequence[str]) -> bytes:
    """Log entries' rows as one `metrics` block, each entry's columns encoded once (cached)."""
    return metrics_message([_columns(p, len(layer_names)) for p in parts], layer_names)


def _columns(rows: np.ndarray, n_layers: int) -> list[Array]:
    return columns_cache.get(rows, lambda: metrics_columns(rows, n_layers))
