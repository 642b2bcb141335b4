"""Weight initialisers for a Dense W of shape (fan_in, fan_out); `scale` multiplies the result.

| name              | distribution                                   |
|-------------------|------------------------------------------------|
| zeros             | 0 (every unit identical: shows the symmetry problem) |
| uniform           | U(-scale, scale)                               |
| normal            | N(0, scale²)                                   |
| xavier / glorot   | U(-l, l), l = sqrt(6 / (fan_in + fan_out))     |
| he                | N(0, 2 / fan_in)                               |
| lecun             | N(0, 1 / fan_in)                               |
| orthogonal        | orthogonal rows/columns (QR of a Gaussian)     |

All draw from the Generator passed in (float64), then the caller casts to the model dtype.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from app.engine.numerics import Array

Initializer = Callable[[np.random.Generator, int, int, float], Array]


def zeros(rng: np.random.Generator, fan_in: int, fan_out: int, scale: float = 1.0) -> Array:
    """All zeros (scale is ignored)."""
    return np.zeros((fan_in, fan_out))


def uniform(rng: np.random.Generator, fan_in: int, fan_out: int, scale: float = 1.0) -> Array:
    """U(-scale, scale)."""
    return rng.uniform(-scale, scale, size=(fan_in, fan_out))


def normal(rng: np.random.Generator, fan_in: int, fan_out: int, scale: float = 1.0) -> Array:
    """N(0, scale²)."""
    return rng.normal(0.0, scale, size=(fan_in, fan_out))


def xavier(rng: np.random.Generator, fan_in: int, fan_out: int, scale: float = 1.0) -> Array:
    """Glorot uniform: U(-l, l) with l = scale * sqrt(6 / (fan_in + fan_out)); var 2/(in+out)."""
    limit = scale * math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def he(rng: np.random.Generator, fan_in: int, fan_out: int, scale: float = 1.0) -> Array:
    """He normal: N(0, scale² * 2 / fan_in)."""
    return rng.normal(0.0, scale * math.sqrt(2.0 / fan_in), size=(fan_in, fan_out))


def lecun(rng: np.random.Generator, fan_in: int, fan_out: int, scale: float = 1.0) -> Array:
    """LeCun normal: N(0, scale² / fan_in)."""
    return rng.normal(0.0, scale * math.sqrt(1.0 / fan_in), size=(fan_in, fan_out))


def orthogonal(rng: np.random.Generator, fan_in: int, fan_out: int, scale: float = 1.0) -> Array:
    """Scale times a matrix with orthonormal columns (fan_in >= fan_out) or rows (otherwise)."""
    rows, cols = max(fan_in, fan_out), min(fan_in, fan_out)
    q, r = np.linalg.qr(rng.normal(size=(rows, cols)))
    q = q * np.where(np.diag(r) < 0, -1.0, 1.0)  # sign fix: makes the draw uniform (Haar)
    w = q if fan_in >= fan_out else q.T
    return np.asarray(scale * w)


INITIALIZERS: dict[str, Initializer] = {
    "zeros": zeros,
    "uniform": uniform,
    "normal": normal,
    "xavier": xavier,
    "glorot": xavier,
    "he": he,
    "lecun": lecun,
    "orthogonal": orthogonal,
}


def initialize(
    name: str, rng: np.random.Generator, fan_in: int, fan_out: int, scale: float = 1.0
) -> Array:
    """Draw a (fan_in, fan_out) float64 weight matrix with the named initialiser."""
    try:
        fn = INITIALIZERS[name]
    except KeyError:
        raise ValueError(
            f"unknown initializer {name!r}; expected one of {', '.join(INITIALIZERS)}"
        ) from None
    if fan_in < 1 or fan_out < 1:
        raise ValueError(f"fan_in and fan_out must be >= 1, got {fan_in}, {fan_out}")
    return fn(rng, fan_in, fan_out, scale)
