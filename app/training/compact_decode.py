"""The compact encoding read back in Python (the page's is static/js/compact.js): for tools,
the load test and the tests. Frames come out as the JSON encoding would give them."""

from __future__ import annotations

import json
import math
import struct
from typing import Any

import numpy as np

from app.training.compact import CONST, F32, F64, I16, I32, RANGE, U8

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


def _metrics(header: dict[str, Any], arrays: list[list[Any]]) -> dict[str, Any]:
    columns, layer_columns = header["columns"].split(","), header["layer_columns"].split(",")
    frame: dict[str, Any] = {"type": "metrics", **dict(zip(columns, arrays, strict=False))}
    width = len(layer_columns)
    frame["layers"] = [
        {"name": name, **dict(zip(layer_columns, arrays[len(columns) + i * width :], strict=False))}
        for i, name in enumerate(header["layers"])
    ]
    return frame


def decode_message(data: bytes) -> list[dict[str, Any]]:
    """The frames of one binary message, one per block (metrics blocks are not merged here)."""
    frames, offset = [], 0
    while offset < len(data):
        length, header_length = struct.unpack_from("<II", data, offset)
        header = json.loads(data[offset + 8 : offset + 8 + header_length])
        at = offset + 8 + -(-header_length // 4) * 4
        (count,) = struct.unpack_from("<I", data, at)
        table = struct.unpack_from(f"<{count}I", data, at + 4)
        cursor, arrays = at + 4 + 4 * count, []
        for word in table:
            values, used = _array(data, cursor, word & 0xFF, word >> 8)
            arrays.append(values)
            cursor += used
        is_metrics = header.get("type") == "metrics" and "columns" in header
        frames.append(_metrics(header, arrays) if is_metrics else _restore(header, arrays))
        offset += length
    return frames
