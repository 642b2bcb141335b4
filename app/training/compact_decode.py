"""The compact encoding read back in Python (the page's is static/js/compact.js): for tools,
the load test and the tests. Frames come out as the JSON encoding would give them (metrics
columns to float32 precision)."""

from __future__ import annotations

import json
import math
import struct
from typing import Any

import numpy as np

from app.training.compact import CONST, F32, F64, I16, I32, PACKED, RANGE, U8
from app.training.compact_metrics import unpack_entry

TYPED = {F32: "<f4", F64: "<f8", U8: "<u1", I16: "<i2", I32: "<i4"}


def _array(data: bytes, offset: int, word: int, count: int) -> tuple[list[Any], int]:
    kind, decimals = word & 0xF, (word >> 4) & 0xF
    if kind == CONST:
        (v,) = struct.unpack_from("<d", data, offset)
        return [None if math.isnan(v) else v] * count, 8
    if kind == RANGE:
        (start,) = struct.unpack_from("<i", data, offset)
        return list(range(start, start + count)), 4
    dtype = np.dtype(TYPED[kind])
    values = np.frombuffer(data, dtype, count, offset)
    used = -(-count * dtype.itemsize // 4) * 4
    if kind in (F32, F64):
        return [None if math.isnan(v) else v for v in values.astype(np.float64).tolist()], used
    if decimals:
        return (values / 10**decimals).tolist(), used
    return values.astype(np.int64).tolist(), used


def _restore(value: Any, arrays: list[list[Any]]) -> Any:
    if isinstance(value, list):
        return [_restore(v, arrays) for v in value]
    if isinstance(value, dict):
        if list(value) == ["#"]:
            return arrays[value["#"]]
        return {k: _restore(v, arrays) for k, v in value.items()}
    return value


def _column(values: np.ndarray) -> list[Any]:
    return [None if math.isnan(v) else v for v in values.tolist()]


def _metrics(header: dict[str, Any], rows: np.ndarray) -> dict[str, Any]:
    columns, layer_columns = header["columns"].split(","), header["layer_columns"].split(",")
    frame: dict[str, Any] = {"type": "metrics", "epoch": rows[:, 0].astype(np.int64).tolist()}
    frame |= {key: _column(rows[:, j]) for j, key in enumerate(columns) if j}
    width = len(layer_columns)
    frame["layers"] = [
        {"name": name}
        | {
            key: _column(rows[:, len(columns) + i * width + j])
            for j, key in enumerate(layer_columns)
        }
        for i, name in enumerate(header["layers"])
    ]
    return frame


def _packed(data: bytes, at: int, table: tuple[int, ...], width: int) -> np.ndarray:
    """A metrics block's PACKED entries as one (epochs, width) matrix."""
    parts = []
    for word in table:
        if word & 0xF != PACKED:
            raise ValueError(f"a metrics block holds an array of kind {word & 0xF}, not PACKED")
        (length,) = struct.unpack_from("<I", data, at)
        parts.append(unpack_entry(data[at : at + 4 + length], word >> 8, width))
        at += -(-(4 + length) // 4) * 4
    return np.concatenate(parts) if parts else np.zeros((0, width))


def _attach(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A hello's `parts` (history, dataset, snapshot, histograms) put back into it."""
    out: list[dict[str, Any]] = []
    waiting: list[str] = []  # the names of the blocks that still belong to the last hello
    for frame in frames:
        if not waiting:
            out.append(frame)
            if frame.get("type") == "hello" and "parts" in frame:
                waiting = list(frame.pop("parts"))
            continue
        key = waiting.pop(0)
        if key == "history":
            out[-1]["history"] = {k: v for k, v in frame.items() if k != "type"}
        elif key == "histograms":
            out[-1]["histograms"].append(frame)
        else:
            out[-1][key] = frame
    return out


def decode_message(data: bytes) -> list[dict[str, Any]]:
    """The frames of one binary message, one per block (metrics blocks are not merged here;
    a hello's parts are put back into it)."""
    frames, offset = [], 0
    while offset < len(data):
        length, header_length = struct.unpack_from("<II", data, offset)
        header = json.loads(data[offset + 8 : offset + 8 + header_length])
        at = offset + 8 + -(-header_length // 4) * 4
        (count,) = struct.unpack_from("<I", data, at)
        table = struct.unpack_from(f"<{count}I", data, at + 4)
        cursor = at + 4 + 4 * count
        if header.get("type") == "metrics" and "columns" in header:
            width = len(header["columns"].split(",")) + len(header["layers"]) * len(
                header["layer_columns"].split(",")
            )
            frames.append(_metrics(header, _packed(data, cursor, table, width)))
        else:
            arrays = []
            for word in table:
                values, used = _array(data, cursor, word & 0xFF, word >> 8)
                arrays.append(values)
                cursor += used
            frames.append(_restore(header, arrays))
        offset += length
    return _attach(frames)
