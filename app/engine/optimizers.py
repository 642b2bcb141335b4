"""Optimisers updating flat parameter vectors in place: SGD, RMSProp, Adagrad, Adam, AdamW.

Speed notes: the trainer calls ``step`` tens of thousands of times per second on tiny vectors, where
each NumPy call costs ~0.5 µs. Every step is a handful of ufunc calls with ``out=`` into buffers
created on first use per key; nothing is allocated per step. Scalars are passed as Python floats,
so float32 arrays stay float32 (NEP 50). ``grads`` is never modified.

Two moment buffers are stored rescaled to save a call each (maths unchanged, see ``Adam``):
RMSProp and Adam keep ``S = s / (1 - rho)`` and ``M = m / (1 - beta1)``, ``V = v / (1 - beta2)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from app.engine.numerics import aligned_full, const

Array = NDArray[np.floating]

OPTIMIZERS: tuple[str, ...] = ("sgd", "rmsprop", "adagrad", "adam", "adamw")


def _check(name: str, value: object, lo: float, hi: float, *, lo_open: bool, hi_open: bool) -> None:
    """Raise ValueError unless ``value`` is a real number in the interval lo..hi."""
    lo_s, hi_s = ("(" if lo_open else "["), (")" if hi_open else "]")
    expected = f"{name} in {lo_s}{lo}, {hi}{hi_s}"
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ValueError(f"expected {expected}, received {value!r}")
    if value < lo or value > hi or (lo_open and value == lo) or (hi_open and value == hi):
        raise ValueError(f"expected {expected}, received {value!r}")


@dataclass(frozen=True)
class OptimizerSpec:
    """Optimiser name and knobs; ``weight_decay`` is used by adamw only (others use L1/L2)."""

    name: str = "sgd"  # sgd|rmsprop|adagrad|adam|adamw
    momentum: float = 0.0  # sgd, rmsprop
    nesterov: bool = False  # sgd
    beta1: float = 0.9  # adam, adamw
    beta2: float = 0.999  # adam, adamw
    eps: float = 1e-8  # rmsprop, adagrad, adam, adamw
    rho: float = 0.9  # rmsprop
    weight_decay: float = 0.0  # adamw (decoupled)

    def __post_init__(self) -> None:
        """Validate every knob; errors name the expected range and the received value."""
        if self.name not in OPTIMIZERS:
            raise ValueError(
                f"expected optimizer name in {list(OPTIMIZERS)}, received {self.name!r}"
            )
        if not isinstance(self.nesterov, bool):
            raise ValueError(f"expected nesterov to be a bool, received {self.nesterov!r}")
        for knob in ("momentum", "beta1", "beta2", "rho"):
            _check(knob, getattr(self, knob), 0.0, 1.0, lo_open=False, hi_open=True)
        _check("eps", self.eps, 0.0, 1.0, lo_open=True, hi_open=False)
        _check("weight_decay", self.weight_decay, 0.0, math.inf, lo_open=False, hi_open=True)


class _Slot:
    """Per-key state: step count, update scratch ``u`` (holds the last update), moments a, b."""

    __slots__ = ("a", "b", "consts", "dtype", "knobs", "shape", "t", "u")

    def __init__(self, p: Array, n_moments: int) -> None:
        self.shape = p.shape
        self.dtype = p.dtype
        self.t = 0
        self.knobs: tuple[float, ...] = ()
        self.consts: tuple[Array, ...] = ()
        self.u = aligned_full(p.shape, 0.0, p.dtype)
        self.a = aligned_full(p.shape, 0.0, p.dtype) if n_moments >= 1 else self.u
        self.b = aligned_full(p.shape, 0.0, p.dtype) if n_moments >= 2 else self.u


class Optimizer:
    """Base optimiser: ``step(params, grads)`` updates each params[key] in place from grads[key]."""

    name: ClassVar[str] = ""
    _n_moments: ClassVar[int] = 0

    def __init__(self, spec: OptimizerSpec, lr: float = 0.01) -> None:
        """Build from ``spec``; ``lr`` is normally set by the trainer before each epoch."""
        if spec.name != self.name:
            raise ValueError(
                f"expected an OptimizerSpec named {self.name!r}, received {spec.name!r}"
            )
        self.spec = spec
        self._state: dict[str, _Slot] = {}
        self._lr = 0.0
        self.lr = lr
        self._apply_spec(spec)

    @property
    def lr(self) -> float:
        """Learning rate used by the next ``step``."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        _check("lr", value, 0.0, math.inf, lo_open=False, hi_open=True)
        self._lr = float(value)  # a Python float keeps float32 buffers float32

    def step(self, params: dict[str, Array], grads: dict[str, Array]) -> None:
        """Update every ``params[key]`` in place using ``grads[key]`` (never modified)."""
        raise NotImplementedError

    def update_spec(self, spec: OptimizerSpec) -> None:
        """Change this optimiser's knobs and keep its state; a different name needs a new one."""
        if spec.name != self.name:
            raise ValueError(
                f"expected an OptimizerSpec named {self.name!r} (switching optimiser means "
                f"make_optimizer), received {spec.name!r}"
            )
        self._rescale_state(self.spec, spec)
        self.spec = spec
        self._apply_spec(spec)

    def reset(self) -> None:
        """Forget all per-key state (moments, step counts)."""
        self._state.clear()

    def steps_taken(self, key: str) -> int:
        """Number of steps applied to ``key`` so far (0 if never)."""
        slot = self._state.get(key)
        return 0 if slot is None else slot.t

    def last_update(self, key: str) -> Array | None:
        """Read-only view of the last step's update u for ``key`` (p_new = p_old - u), or None.

        AdamW's decoupled decay is not included. The buffer is overwritten by the next step.
        """
        slot = self._state.get(key)
        if slot is None or slot.t == 0:
            return None
        view = slot.u.view()
        view.flags.writeable = False
        return view

    @staticmethod
    def _consts(s: _Slot, knobs: tuple[float, ...]) -> tuple[Array, ...]:
        """The knobs as 0-d arrays of the slot's dtype, remade only when a knob changes.

        A ufunc takes a 0-d array ~0.25 µs faster than a Python float (no scalar discovery), with
        the same result: under NEP 50 the float is rounded to the array's dtype either way.
        """
        if s.knobs != knobs:
            s.knobs = knobs
            s.consts = tuple(const(s.dtype, k) for k in knobs)
        return s.consts

    def _slot_for_step(self, key: str, p: Array, g: Array) -> _Slot:
        """The state for ``key``, made on first use or on a shape/dtype change; counts the step."""
        # a method call, not a generator over params: ~30 ns per step against ~190
        s = self._state.get(key)
        if s is None or s.shape != p.shape or s.dtype != p.dtype:
            s = self._slot(key, p, g)
        s.t += 1
        return s

    def _slot(self, key: str, p: Array, g: Array) -> _Slot:
        """Create (or recreate after a shape/dtype change) the state for ``key``."""
        if not np.issubdtype(p.dtype, np.floating):
            raise ValueError(f"expected a floating-point parameter {key!r}, received {p.dtype}")
        if g.shape != p.shape:
            raise ValueError(
                f"expected grads[{key!r}] with shape {p.shape}, received shape {g.shape}"
            )
        slot = _Slot(p, self._n_moments)
        self._state[key] = slot
        return slot

    def _apply_spec(self, spec: OptimizerSpec) -> None:
        """Copy the knobs this optimiser uses into plain float attributes."""

    def _rescale_state(self, old: OptimizerSpec, new: OptimizerSpec) -> None:
        """Keep the true moments unchanged when the scale of a stored buffer depends on a knob."""


class Sgd(Optimizer):
    """SGD (PyTorch convention): v = mu·v + g; p -= lr·v; Nesterov: p -= lr·(g + mu·v)."""

    name = "sgd"
    _n_moments = 1

    def _apply_spec(self, spec: OptimizerSpec) -> None:
        self._mu = float(spec.momentum)
        self._nesterov = spec.nesterov

    def step(self, params: dict[str, Array], grads: dict[str, Array]) -> None:
        """Update params in place: 2 NumPy calls (plain), 4 (momentum), 6 (Nesterov)."""
        lr, mu = self._lr, self._mu
        for key, p in params.items():
            g = grads[key]
            s = self._slot_for_step(key, p, g)
            u = s.u
            lr_c, mu_c = s.consts if s.knobs == (lr, mu) else self._consts(s, (lr, mu))
            if mu == 0.0:
                np.multiply(g, lr_c, u)
            else:
                v = s.a
                np.multiply(v, mu_c, v)
                np.add(v, g, v)
                if self._nesterov:
                    np.multiply(v, mu_c, u)
                    np.add(u, g, u)
                    np.multiply(u, lr_c, u)
                else:
                    np.multiply(v, lr_c, u)
            np.subtract(p, u, p)


class RmsProp(Optimizer):
    """RMSProp: s = rho·s + (1-rho)·g²; d = g / (√s + eps); p -= lr·d, or with momentum
    B = mu·B + d; p -= lr·B. Stored: S = s/(1-rho) and B·k with k = √(1-rho)."""

    name = "rmsprop"
    _n_moments = 2

    def _apply_spec(self, spec: OptimizerSpec) -> None:
        self._rho = float(spec.rho)
        self._mu = float(spec.momentum)
        self._k = math.sqrt(1.0 - self._rho)
        self._eps_k = float(spec.eps) / self._k

    def _rescale_state(self, old: OptimizerSpec, new: OptimizerSpec) -> None:
        if old.rho == new.rho:
            return
        for s in self._state.values():
            s.a *= (1.0 - old.rho) / (1.0 - new.rho)
            s.b *= math.sqrt((1.0 - new.rho) / (1.0 - old.rho))

    def step(self, params: dict[str, Array], grads: dict[str, Array]) -> None:
        """Update params in place: 8 NumPy calls (10 with momentum)."""
        lr, rho, mu = self._lr, self._rho, self._mu
        for key, p in params.items():
            g = grads[key]
            s = self._slot_for_step(key, p, g)
            u, sq = s.u, s.a
            np.multiply(g, g, u)
            np.multiply(sq, rho, sq)
            np.add(sq, u, sq)  # S = rho·S + g²
            np.sqrt(sq, u)
            np.add(u, self._eps_k, u)
            np.divide(g, u, u)  # u = k·d
            if mu != 0.0:
                buf = s.b
                np.multiply(buf, mu, buf)
                np.add(buf, u, buf)
                np.multiply(buf, lr / self._k, u)
            else:
                np.multiply(u, lr / self._k, u)
            np.subtract(p, u, p)


class Adagrad(Optimizer):
    """Adagrad: s += g²; p -= lr·g / (√s + eps)."""

    name = "adagrad"
    _n_moments = 1

    def _apply_spec(self, spec: OptimizerSpec) -> None:
        self._eps = float(spec.eps)

    def step(self, params: dict[str, Array], grads: dict[str, Array]) -> None:
        """Update params in place: 7 NumPy calls."""
        lr, eps = self._lr, self._eps
        for key, p in params.items():
            g = grads[key]
            s = self._slot_for_step(key, p, g)
            u, sq = s.u, s.a
            np.multiply(g, g, u)
            np.add(sq, u, sq)
            np.sqrt(sq, u)
            np.add(u, eps, u)
            np.divide(g, u, u)
            np.multiply(u, lr, u)
            np.subtract(p, u, p)


class Adam(Optimizer):
    """Adam with bias correction: m = b1·m + (1-b1)·g; v = b2·v + (1-b2)·g²;
    p -= lr · (m / (1-b1^t)) / (√(v / (1-b2^t)) + eps).

    Stored M = m/(1-b1), V = v/(1-b2), so M = b1·M + g and V = b2·V + g² (one call fewer each);
    with c = √((1-b2)/(1-b2^t)) the step is lr·(1-b1)/((1-b1^t)·c) · M / (√V + eps/c), exactly
    the formula above. 10 NumPy calls per key (11 for AdamW with decay).
    """

    name = "adam"
    _n_moments = 2

    def _apply_spec(self, spec: OptimizerSpec) -> None:
        self._b1 = float(spec.beta1)
        self._b2 = float(spec.beta2)
        self._eps = float(spec.eps)
        self._wd = float(spec.weight_decay) if self.name == "adamw" else 0.0

    def _rescale_state(self, old: OptimizerSpec, new: OptimizerSpec) -> None:
        for s in self._state.values():
            if old.beta1 != new.beta1:
                s.a *= (1.0 - old.beta1) / (1.0 - new.beta1)
            if old.beta2 != new.beta2:
                s.b *= (1.0 - old.beta2) / (1.0 - new.beta2)

    def step(self, params: dict[str, Array], grads: dict[str, Array]) -> None:
        """Update params in place (AdamW first applies p *= 1 - lr·weight_decay)."""
        lr, b1, b2 = self._lr, self._b1, self._b2
        for key, p in params.items():
            g = grads[key]
            s = self._slot_for_step(key, p, g)
            t = s.t
            u, m, v = s.u, s.a, s.b
            b1_c, b2_c = s.consts if s.knobs == (b1, b2) else self._consts(s, (b1, b2))
            np.multiply(m, b1_c, m)
            np.add(m, g, m)
            np.multiply(g, g, u)
            np.multiply(v, b2_c, v)
            np.add(v, u, v)
            c = math.sqrt((1.0 - b2) / (1.0 - b2**t))
            np.sqrt(v, u)
            np.add(u, self._eps / c, u)
            np.divide(m, u, u)
            np.multiply(u, lr * (1.0 - b1) / ((1.0 - b1**t) * c), out=u)
            if self._wd != 0.0:
                self._decay(key, p, 1.0 - lr * self._wd)
            np.subtract(p, u, p)

    def _decay(self, key: str, p: Array, keep: float) -> None:
        """Multiply p by ``keep`` in place (AdamW only)."""


class AdamW(Adam):
    """AdamW: Adam plus decoupled decay p *= 1 - lr·weight_decay applied before the Adam step.

    ``decay_slices[key]`` (optional) limits the decay to a slice of params[key], e.g. the Dense
    weights of a flat vector; without it the whole array decays (as in PyTorch's default).
    """

    name = "adamw"

    def __init__(self, spec: OptimizerSpec, lr: float = 0.01) -> None:
        """Build from ``spec``; see ``decay_slices`` to exclude biases from the decay."""
        self.decay_slices: dict[str, slice] = {}
        super().__init__(spec, lr)

    def _decay(self, key: str, p: Array, keep: float) -> None:
        sl = self.decay_slices.get(key)
        target = p if sl is None else p[sl]
        np.multiply(target, keep, target)


_CLASSES: dict[str, type[Optimizer]] = {
    cls.name: cls for cls in (Sgd, RmsProp, Adagrad, Adam, AdamW)
}


def make_optimizer(spec: OptimizerSpec) -> Optimizer:
    """Return a fresh optimiser (no state) for ``spec``."""
    cls = _CLASSES.get(spec.name)
    if cls is None:
        raise ValueError(f"expected optimizer name in {list(OPTIMIZERS)}, received {spec.name!r}")
    return cls(spec)
