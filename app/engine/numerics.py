"""Small numeric helpers shared by the engine: dtypes and cached scalar constants."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

Array = NDArray[Any]

DTYPES = {"float32": np.dtype(np.float32), "float64": np.dtype(np.float64)}


def resolve_dtype(name: str | DTypeLike) -> np.dtype[Any]:
    """Map "float32"/"float64" (or a float dtype) to a NumPy dtype; reject anything else."""
    dt = np.dtype(name)
    if dt not in DTYPES.values():
        raise ValueError(f"dtype must be float32 or float64, got {name!r}")
    return dt


@lru_cache(maxsize=256)
def const(dtype: np.dtype[Any], value: float) -> Array:
    """A read-only 0-d array holding `value` in `dtype`.

    Ufuncs take 0-d arrays faster than Python floats (no scalar conversion per call), and a
    matching dtype keeps float32 math in float32 (a float64 0-d array would upcast under NEP 50).
    """
    arr = np.array(value, dtype=dtype)
    arr.flags.writeable = False
    return arr


ALIGN = 64  # bytes: one cache line, one AVX-512 register


def aligned_empty(shape: int | tuple[int, ...], dtype: DTypeLike = np.float64) -> Array:
    """Uninitialised C-contiguous array whose data starts on a 64-byte boundary.

    NumPy's allocator only guarantees 16 bytes; a misaligned operand makes SIMD loads straddle
    cache lines, which measured up to 2x slower for two-input ufuncs (add, subtract) on float32.
    """
    dt = np.dtype(dtype)
    shp = (shape,) if isinstance(shape, int) else tuple(shape)
    n = 1
    for s in shp:
        n *= s
    raw = np.empty(n * dt.itemsize + ALIGN, dtype=np.uint8)
    offset = -raw.ctypes.data % ALIGN
    return raw[offset : offset + n * dt.itemsize].view(dt).reshape(shp)


def aligned_full(
    shape: int | tuple[int, ...], value: float, dtype: DTypeLike = np.float64
) -> Array:
    """Like `aligned_empty`, filled with `value`."""
    arr = aligned_empty(shape, dtype)
    arr.fill(value)
    return arr


def aligned_like(a: Array) -> Array:
    """Uninitialised 64-byte aligned array of `a`'s shape and dtype."""
    return aligned_empty(a.shape, a.dtype)


def padded(count: int, dtype: DTypeLike) -> int:
    """`count` rounded up so that `count` items fill whole 64-byte lines."""
    per_line = max(1, ALIGN // np.dtype(dtype).itemsize)
    return -(-count // per_line) * per_line
