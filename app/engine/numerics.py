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
