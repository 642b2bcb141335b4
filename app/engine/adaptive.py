"""Optimisers with per-coordinate step sizes: RMSProp, Adagrad, Adam, AdamW.

Two moment buffers are stored rescaled to save a call each (maths unchanged, see ``Adam``):
RMSProp and Adam keep ``S = s / (1 - rho)`` and ``M = m / (1 - beta1)``, ``V = v / (1 - beta2)``.
"""

from __future__ import annotations

import math

import numpy as np

from app.engine.optimizer_base import Array, Optimizer, OptimizerSpec


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
