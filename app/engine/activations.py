"""Activation functions: forward, exact derivative, and what counts as a dead or saturated unit.

Every activation works on preallocated buffers (`out=`) so a training step allocates nothing.
`forward(z, a, aux)` writes a = f(z); `backward(z, a, aux, tmp, da, dz)` writes dz = da * f'(z)
without touching `da`. `aux` carries a value from forward to backward (e.g. sigmoid(z) for swish);
`tmp` is scratch. All arrays share one shape (n, units) and one float dtype.

Unit health, measured on the evaluation pass over the training set (`inactive(z, a)` gives the
per-sample, per-unit flag):

| activation                 | kind      | a sample is flagged when        | unit counted when  |
|----------------------------|-----------|---------------------------------|--------------------|
| relu, leaky_relu           | dead      | z <= 0 (relu output exactly 0)  | flagged for all    |
| elu, softplus, gelu, swish | dead      | z < -5 (|f'| ~ 0.01 or less)    | flagged for all    |
| sigmoid                    | saturated | a < 0.01 or a > 0.99            | flagged for >= 90% |
| tanh                       | saturated | |a| > 0.99                      | flagged for >= 90% |
| linear                     | none      | never                           | never              |
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from app.engine.numerics import Array, const, resolve_dtype

LEAKY_SLOPE = 0.01
DEAD_Z = -5.0
SIGMOID_SATURATION = 0.01
TANH_SATURATION = 0.99
SATURATED_SAMPLE_FRACTION = 0.9
GELU_C = math.sqrt(2.0 / math.pi)
GELU_K = 0.044715

_mul = np.multiply
_add = np.add
_sub = np.subtract
_tanh = np.tanh
_greater = np.greater


class Activation:
    """Base class: identity. Subclasses override `forward`, `backward` and `inactive`."""

    name: ClassVar[str] = "linear"
    kind: ClassVar[str] = "none"  # "dead" | "saturated" | "none"

    def __init__(self, dtype: Any = np.float64) -> None:
        dt = resolve_dtype(dtype)
        self.dtype = dt
        self.zero = const(dt, 0.0)
        self.one = const(dt, 1.0)
        self.half = const(dt, 0.5)

    def forward(self, z: Array, a: Array, aux: Array) -> None:
        """a = z."""
        np.copyto(a, z)

    def backward(self, z: Array, a: Array, aux: Array, tmp: Array, da: Array, dz: Array) -> None:
        """dz = da."""
        np.copyto(dz, da)

    def inactive(self, z: Array, a: Array) -> Array:
        """Boolean (n, units): samples where the unit sits in its dead/saturated zone."""
        return np.zeros(z.shape, dtype=bool)

    def _sigmoid(self, z: Array, out: Array) -> None:
        """out = sigmoid(z) = 0.5 * tanh(z / 2) + 0.5 (never overflows)."""
        _mul(z, self.half, out)
        _tanh(out, out)
        _mul(out, self.half, out)
        _add(out, self.half, out)


class Linear(Activation):
    """f(z) = z, f' = 1."""


class _Rectifier(Activation):
    """ReLU and its leaky variant: a sample is flagged dead when z <= 0 (relu output exactly 0)."""

    kind = "dead"

    def inactive(self, z: Array, a: Array) -> Array:
        return np.less_equal(z, 0.0)


class ReLU(_Rectifier):
    """f(z) = max(z, 0), f' = [z > 0]."""

    name = "relu"

    def forward(self, z: Array, a: Array, aux: Array) -> None:
        np.maximum(z, self.zero, out=a)

    def backward(self, z: Array, a: Array, aux: Array, tmp: Array, da: Array, dz: Array) -> None:
        _greater(a, self.zero, dz)
        _mul(dz, da, dz)


class LeakyReLU(_Rectifier):
    """f(z) = z if z > 0 else 0.01 z, f' = 1 or 0.01."""

    name = "leaky_relu"

    def __init__(self, dtype: Any = np.float64) -> None:
        super().__init__(dtype)
        self.slope = const(self.dtype, LEAKY_SLOPE)
        self.rest = const(self.dtype, 1.0 - LEAKY_SLOPE)

    def forward(self, z: Array, a: Array, aux: Array) -> None:
        _mul(z, self.slope, aux)
        np.maximum(z, aux, out=a)  # valid because slope < 1

    def backward(self, z: Array, a: Array, aux: Array, tmp: Array, da: Array, dz: Array) -> None:
        _greater(z, self.zero, dz)
        _mul(dz, self.rest, dz)
        _add(dz, self.slope, dz)
        _mul(dz, da, dz)


class Tanh(Activation):
    """f(z) = tanh z, f' = 1 - f²."""

    name = "tanh"
    kind = "saturated"

    def forward(self, z: Array, a: Array, aux: Array) -> None:
        _tanh(z, a)

    def backward(self, z: Array, a: Array, aux: Array, tmp: Array, da: Array, dz: Array) -> None:
        _mul(a, a, dz)
        _sub(self.one, dz, dz)
        _mul(dz, da, dz)

    def inactive(self, z: Array, a: Array) -> Array:
        return _greater(np.abs(a), TANH_SATURATION)


class Sigmoid(Activation):
    """f(z) = 1 / (1 + e^-z), f' = f (1 - f)."""

    name = "sigmoid"
    kind = "saturated"

    def forward(self, z: Array, a: Array, aux: Array) -> None:
        self._sigmoid(z, a)

    def backward(self, z: Array, a: Array, aux: Array, tmp: Array, da: Array, dz: Array) -> None:
        _sub(self.one, a, dz)
        _mul(dz, a, dz)
        _mul(dz, da, dz)

    def inactive(self, z: Array, a: Array) -> Array:
        lo, hi = SIGMOID_SATURATION, 1.0 - SIGMOID_SATURATION
        return np.logical_or(np.less(a, lo), _greater(a, hi))


class _NegativeTail(Activation):
    """Smooth ReLU-likes: a sample is flagged dead when z < DEAD_Z."""

    kind = "dead"

    def inactive(self, z: Array, a: Array) -> Array:
        return np.less(z, DEAD_Z)


class ELU(_NegativeTail):
    """f(z) = z if z > 0 else e^z - 1 (alpha 1), f' = 1 or f + 1."""

    name = "elu"

    def forward(self, z: Array, a: Array, aux: Array) -> None:
        np.minimum(z, self.zero, out=aux)
        np.expm1(aux, aux)
        np.maximum(z, aux, out=a)  # e^z - 1 >= z everywhere, equal only at 0

    def backward(self, z: Array, a: Array, aux: Array, tmp: Array, da: Array, dz: Array) -> None:
        np.minimum(a, self.zero, out=dz)
        _add(dz, self.one, dz)
        _mul(dz, da, dz)


class Softplus(_NegativeTail):
    """f(z) = log(1 + e^z) (via logaddexp, stable), f' = sigmoid(z)."""

    name = "softplus"

    def forward(self, z: Array, a: Array, aux: Array) -> None:
        np.logaddexp(self.zero, z, a)

    def backward(self, z: Array, a: Array, aux: Array, tmp: Array, da: Array, dz: Array) -> None:
        self._sigmoid(z, dz)
        _mul(dz, da, dz)


class Swish(_NegativeTail):
    """f(z) = z sigmoid(z) (SiLU), f' = s (1 + z (1 - s)) with s = sigmoid(z)."""

    name = "swish"

    def forward(self, z: Array, a: Array, aux: Array) -> None:
        self._sigmoid(z, aux)
        _mul(z, aux, a)

    def backward(self, z: Array, a: Array, aux: Array, tmp: Array, da: Array, dz: Array) -> None:
        _sub(self.one, aux, dz)
        _mul(dz, z, dz)
        _add(dz, self.one, dz)
        _mul(dz, aux, dz)
        _mul(dz, da, dz)


class GELU(_NegativeTail):
    """GELU, tanh form: f = 0.5 z (1 + t), t = tanh(c (z + k z³)), c = √(2/π), k = 0.044715.

    f' = 0.5 (1 + t) + 0.5 z (1 - t²) c (1 + 3k z²).
    """

    name = "gelu"

    def __init__(self, dtype: Any = np.float64) -> None:
        super().__init__(dtype)
        self.c = const(self.dtype, GELU_C)
        self.ck = const(self.dtype, GELU_C * GELU_K)
        self.ck3 = const(self.dtype, 3.0 * GELU_C * GELU_K)

    def forward(self, z: Array, a: Array, aux: Array) -> None:
        _mul(z, z, aux)
        _mul(aux, self.ck, aux)
        _add(aux, self.c, aux)
        _mul(aux, z, aux)
        _tanh(aux, aux)  # aux = t, kept for backward
        _add(aux, self.one, a)
        _mul(a, z, a)
        _mul(a, self.half, a)

    def backward(self, z: Array, a: Array, aux: Array, tmp: Array, da: Array, dz: Array) -> None:
        _mul(z, z, dz)
        _mul(dz, self.ck3, dz)
        _add(dz, self.c, dz)
        _mul(dz, z, dz)
        _mul(dz, self.half, dz)  # 0.5 z c (1 + 3k z²)
        _mul(aux, aux, tmp)
        _sub(self.one, tmp, tmp)
        _mul(dz, tmp, dz)
        _add(aux, self.one, tmp)
        _mul(tmp, self.half, tmp)
        _add(dz, tmp, dz)
        _mul(dz, da, dz)


ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls for cls in (Linear, ReLU, LeakyReLU, Tanh, Sigmoid, ELU, GELU, Softplus, Swish)
}
ALIASES = {"silu": "swish", "identity": "linear", "none": "linear"}
ACTIVATION_NAMES: tuple[str, ...] = (*ACTIVATIONS, "silu")


def make_activation(name: str, dtype: Any = np.float64) -> Activation:
    """Activation instance by name (aliases: silu -> swish)."""
    key = ALIASES.get(name, name)
    try:
        cls = ACTIVATIONS[key]
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; expected one of {', '.join(ACTIVATION_NAMES)}"
        ) from None
    return cls(dtype)


def apply(name: str, z: Array) -> Array:
    """f(z) as a new array (convenience for tests and plots)."""
    act = make_activation(name, z.dtype)
    a, aux = np.empty_like(z), np.empty_like(z)
    act.forward(z, a, aux)
    return a


def derivative(name: str, z: Array) -> Array:
    """f'(z) as a new array (convenience for tests and plots)."""
    act = make_activation(name, z.dtype)
    a, aux, tmp, dz = (np.empty_like(z) for _ in range(4))
    act.forward(z, a, aux)
    act.backward(z, a, aux, tmp, np.ones_like(z), dz)
    return dz
