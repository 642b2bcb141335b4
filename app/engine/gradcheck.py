"""Finite-difference gradient checks (use float64): central differences and relative errors.

rel_error(a, n) = ‖a - n‖ / max(‖a‖ + ‖n‖, floor). With float64 and eps = 1e-5 a correct
analytic gradient gives about 1e-9 or less; a wrong one gives 1e-3 or more. The checks use
floor = 1e-4: a gradient that is truly ~0 (a Dense bias followed by batch norm) then has to
match to 1e-10 absolute, the round-off level of central differences, instead of dividing noise
by noise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from app.engine.layers import Dropout, Layer
from app.engine.model import Model
from app.engine.numerics import Array

DEFAULT_EPS = 1e-5
CHECK_FLOOR = 1e-4


def rel_error(analytic: Array, numeric: Array, floor: float = 0.0) -> float:
    """Global relative error ‖a - n‖ / max(‖a‖ + ‖n‖, floor); 0 when both are exactly 0."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    denom = max(float(np.linalg.norm(a) + np.linalg.norm(n)), floor)
    return 0.0 if denom == 0.0 else float(np.linalg.norm(a - n)) / denom


def numeric_grad(f: Callable[[], float], x: Array, eps: float = DEFAULT_EPS) -> Array:
    """d f / d x by central differences, perturbing `x` in place (restored afterwards)."""
    if x.dtype != np.float64:
        raise ValueError(f"gradient checks need float64 arrays, got {x.dtype}")
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("numeric_grad needs a contiguous array it can perturb in place")
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        fp = f()
        flat[i] = old - eps
        fm = f()
        flat[i] = old
        gflat[i] = (fp - fm) / (2.0 * eps)
    return grad


def check_layer(
    layer: Layer, x: Array, rng: np.random.Generator, eps: float = DEFAULT_EPS
) -> dict[str, float]:
    """Relative errors of dx and every parameter gradient of `layer` (training mode).

    The scalar checked is L = Σ forward(x) ⊙ R for a fixed random R, so dL/dout = R.
    """
    out = layer.forward(x, True)
    r = rng.normal(size=out.shape)

    def f() -> float:
        return float(np.sum(layer.forward(x, True) * r))

    layer.forward(x, True)
    r_in = r.copy()
    dx = layer.backward(r_in).copy()
    if not np.array_equal(r_in, r):
        raise AssertionError("backward modified its input")
    analytic = {k: g.copy() for k, g in layer.grads.items()}
    errors = {"x": rel_error(dx, numeric_grad(f, x, eps), CHECK_FLOOR)}
    for key, value in layer.params.items():
        errors[key] = rel_error(analytic[key], numeric_grad(f, value, eps), CHECK_FLOOR)
    return errors


def freeze_dropout(layers: Iterable[Layer]) -> None:
    """Make every active Dropout reuse its last mask (call after one training forward)."""
    for layer in layers:
        if isinstance(layer, Dropout) and layer.mask is not None:
            layer.fixed_mask = layer.mask.copy()


def check_model(model: Model, x: Array, y: Array, eps: float = DEFAULT_EPS) -> dict[str, float]:
    """Relative error per parameter array of the model's training loss gradient.

    Dropout masks are frozen after a first forward pass so the loss is a fixed function.
    """
    if model.dtype != np.float64:
        raise ValueError(f"gradient checks need a float64 model, got {model.dtype}")
    t = model.loss.prepare(y)
    model.forward(x, True)
    freeze_dropout(layer for _, layer in model.layers)
    logits = model.forward(x, True)
    d = np.empty_like(logits)
    model.loss.grad_into(logits, t, d)
    model.backward(d)
    analytic = model.grad.copy()

    def f() -> float:
        return model.loss.value(model.forward(x, True), t)

    numeric = numeric_grad(f, model.theta, eps)
    return {
        seg.name: rel_error(
            analytic[seg.start : seg.stop], numeric[seg.start : seg.stop], CHECK_FLOOR
        )
        for seg in model.segments
    }
