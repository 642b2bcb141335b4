"""Gradient clipping in place: by global L2 norm and by value."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.floating]


def _check_positive(name: str, value: float) -> None:
    """Raise ValueError unless ``value`` is a finite number > 0."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 < value < math.inf:
        raise ValueError(f"expected {name} > 0 and finite, received {value!r}")


def global_norm(grad: Array) -> float:
    """L2 norm ‖g‖ = √(Σ g²) over all elements of ``grad`` (any shape), as a Python float.

    One BLAS dot in the common case; if g² overflows the dtype (exploding float32 gradients) the
    norm is recomputed in float64 with scaling, so a finite-valued gradient gets a finite norm.
    """
    sq = float(np.vdot(grad, grad))
    if math.isfinite(sq):
        return math.sqrt(sq)
    big = float(np.max(np.abs(grad))) if grad.size else 0.0
    if not math.isfinite(big):  # NaN or inf inside: the norm is genuinely non-finite
        return math.sqrt(sq)
    scaled = grad.astype(np.float64) / big
    return big * math.sqrt(float(np.vdot(scaled, scaled)))


def clip_global_norm(grad: Array, max_norm: float) -> float:
    """Scale ``grad`` in place so ‖g‖ ≤ max_norm (g *= max_norm/‖g‖); return the pre-clip ‖g‖.

    A non-finite norm (NaN/inf in the gradient) leaves ``grad`` untouched.
    """
    _check_positive("max_norm", max_norm)
    norm = global_norm(grad)
    if norm > max_norm and math.isfinite(norm):
        scale = max_norm / norm
        if scale < 1e-30:  # keep the float32 factor normal (two steps of √scale each)
            root = math.sqrt(scale)
            np.multiply(grad, root, grad)
            np.multiply(grad, root, grad)
        else:
            np.multiply(grad, scale, grad)
    return norm


def clip_value(grad: Array, limit: float) -> None:
    """Clamp every element of ``grad`` in place to [-limit, limit] (NaN stays NaN)."""
    _check_positive("limit", limit)
    np.clip(grad, -limit, limit, out=grad)
