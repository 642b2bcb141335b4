"""L1/L2 penalties on the Dense weights (a contiguous slice of the flat parameter buffer)."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.floating]


def _check_strengths(l1: float, l2: float) -> None:
    """Raise ValueError unless both strengths are finite numbers >= 0."""
    for name, value in (("l1", l1), ("l2", l2)):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not 0 <= value < math.inf
        ):
            raise ValueError(f"expected {name} >= 0 and finite, received {value!r}")


def penalty(weights: Array, l1: float, l2: float) -> float:
    """Penalty R(w) = l1·Σ|w| + ½·l2·Σ w² over all elements of ``weights``, as a Python float."""
    _check_strengths(l1, l2)
    total = 0.0
    if l1:
        total += l1 * float(np.abs(weights).sum())
    if l2:
        total += 0.5 * l2 * float(np.vdot(weights, weights))
    return total


def add_penalty_grad(
    grad: Array, weights: Array, l1: float, l2: float, scratch: Array | None = None
) -> None:
    """grad += ∂R/∂w = l1·sign(w) + l2·w, in place (sign(0) = 0, the zero subgradient).

    ``grad`` and ``weights`` have the same shape (e.g. views into the flat buffers). Pass a
    ``scratch`` array of that shape and dtype to avoid allocating; it is overwritten. Nothing is
    done when both strengths are 0.
    """
    _check_strengths(l1, l2)
    if not l1 and not l2:
        return
    if grad.shape != weights.shape:
        raise ValueError(
            f"expected grad and weights of one shape, received {grad.shape} and {weights.shape}"
        )
    if scratch is None:
        scratch = np.empty_like(grad)
    elif scratch.shape != grad.shape:
        raise ValueError(f"expected scratch of shape {grad.shape}, received {scratch.shape}")
    if l1:
        np.sign(weights, scratch)
        np.multiply(scratch, l1, scratch)
        np.add(grad, scratch, grad)
    if l2:
        np.multiply(weights, l2, scratch)
        np.add(grad, scratch, grad)
