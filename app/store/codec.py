"""Epoch records as compact rows: a shared layout (the keys, once) and float64 values as bytes.

A record {epoch, train_loss, ..., layers: [{name, grad_norm, ...}]} becomes a layout (scalar keys
with their types, layer names, per-layer keys: stored once per distinct shape in `layouts`) and a
blob of little-endian float64 values: exact, 8 bytes per number. None is a NaN with its own payload,
so None and NaN both survive. Keys holding neither numbers nor the layer list go to `extra` (JSON).
"""

from __future__ import annotations

import json
import math
import sys
from array import array
from typing import Any

import numpy as np

NONE_BITS = np.uint64(0x7FF8_DEAD_BEEF_0001)  # a quiet NaN that arithmetic never produces
SKIPPED = ("layers", "histograms")
LITTLE = sys.byteorder == "little"
NONE_BYTES = int(NONE_BITS).to_bytes(8, "little")
Record = dict[str, Any]


def _kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return "b"
    if isinstance(value, int):
        return "i"
    if value is None or isinstance(value, float):
        return "f"
    return None


def layout_of(record: Record) -> str:
    """The layout key of a record: scalar keys and types, layer names, per-layer keys (JSON)."""
    scalars = [[k, kind] for k, v in record.items() if k not in SKIPPED and (kind := _kind(v))]
    layers = record.get("layers") or []
    keys = [k for k in layers[0] if k != "name"] if layers else []
    return json.dumps(
        {"s": scalars, "l": [layer["name"] for layer in layers], "k": keys},
        separators=(",", ":"),
    )


class Encoder:
    """Encodes records fast: the layout of each distinct record shape is worked out once."""

    def __init__(self) -> None:
        self._shapes: dict[tuple[Any, ...], tuple[str, list[str], list[str], bool]] = {}

    def encode(self, record: Record) -> tuple[str, bytes, str | None]:
        """(layout, float64 bytes, extra JSON or None) of a record."""
        layers = record.get("layers") or ()
        shape = (
            tuple(map(type, record.values())),
            tuple(record),
            tuple(layer["name"] for layer in layers),
            tuple(layers[0]) if layers else (),
        )
        known = self._shapes.get(shape)
        if known is None:
            layout = layout_of(record)
            spec = json.loads(layout)
            has_extra = any(k not in SKIPPED and _kind(v) is None for k, v in record.items())
            known = self._shapes[shape] = (layout, [k for k, _ in spec["s"]], spec["k"], has_extra)
        layout, scalar_keys, layer_keys, has_extra = known
        values = [record[k] for k in scalar_keys]
        values.extend([layer[k] for layer in layers for k in layer_keys])
        return layout, pack(values), extras(record) if has_extra else None


def pack(values: list[Any]) -> bytes:
    """Little-endian float64 bytes of the values (a list it may change); None: NONE_BITS."""
    missing = [i for i, v in enumerate(values) if v is None]
    for i in missing:
        values[i] = math.nan
    floats = array("d", values)
    if not LITTLE:
        floats.byteswap()
    if not missing:
        return floats.tobytes()
    data = bytearray(floats.tobytes())
    for i in missing:
        data[8 * i : 8 * i + 8] = NONE_BYTES
    return bytes(data)


def pack_rows(values: np.ndarray) -> list[bytes]:
    """`pack` of each row of a float64 matrix, at once; every non-finite value is stored as None."""
    bits = np.ascontiguousarray(values, dtype="<f8").view("<u8").copy()
    bits[~np.isfinite(values)] = NONE_BITS
    return [row.tobytes() for row in bits]


def extras(record: Record) -> str | None:
    """Keys that are neither numbers nor the layer list, as JSON (None when there are none)."""
    other = {k: v for k, v in record.items() if k not in SKIPPED and _kind(v) is None}
    return json.dumps(other, separators=(",", ":")) if other else None


def decode(data: bytes, layout: dict[str, Any], extra: str | None) -> Record:
    """The record that `encode` was given (histograms aside)."""
    bits = np.frombuffer(data, dtype="<u8")
    floats = bits.view("<f8").tolist()
    missing = (bits == NONE_BITS).tolist()
    values = [None if m else f for f, m in zip(floats, missing, strict=True)]
    record: Record = {}
    pos = 0
    for key, kind in layout["s"]:
        value = values[pos]
        pos += 1
        if value is not None and kind == "i":
            value = int(value)
        elif value is not None and kind == "b":
            value = bool(value)
        record[key] = value
    layers = []
    for name in layout["l"]:
        layer: Record = {"name": name}
        for key in layout["k"]:
            layer[key] = values[pos]
            pos += 1
        layers.append(layer)
    if layout["l"]:
        record["layers"] = layers
    if extra:
        record.update(json.loads(extra))
    return record


def scalar_matrix(blobs: list[bytes], layout: dict[str, Any], keys: list[str]) -> np.ndarray:
    """(len(blobs), len(keys)) float64 of the scalar `keys` of records sharing `layout`; a key the
    layout lacks, and None, read as NaN."""
    names = [k for k, _ in layout["s"]]
    values = np.frombuffer(b"".join(blobs), dtype="<f8").reshape(len(blobs), -1)
    out = np.full((len(blobs), len(keys)), np.nan)
    for j, key in enumerate(keys):
        if key in names:
            out[:, j] = values[:, names.index(key)]
    return out
