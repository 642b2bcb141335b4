"""Optimisers updating flat parameter vectors in place: SGD, RMSProp, Adagrad, Adam, AdamW.

The one import point for all of them: the base class and OptimizerSpec live in optimizer_base,
the adaptive optimisers in adaptive, SGD and ``make_optimizer`` here.
"""

from __future__ import annotations

import numpy as np

from app.engine.adaptive import Adagrad, Adam, AdamW, RmsProp
from app.engine.optimizer_base import (
    MOMENTUM_OPTIMIZERS,
    OPTIMIZERS,
    Array,
    Optimizer,
    OptimizerSpec,
)

__all__ = [
    "MOMENTUM_OPTIMIZERS",
    "OPTIMIZERS",
    "Adagrad",
    "Adam",
    "AdamW",
    "Optimizer",
    "OptimizerSpec",
    "RmsProp",
    "Sgd",
    "make_optimizer",
]


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


_CLASSES: dict[str, type[Optimizer]] = {
    cls.name: cls for cls in (Sgd, RmsProp, Adagrad, Adam, AdamW)
}


def make_optimizer(spec: OptimizerSpec) -> Optimizer:
    """Return a fresh optimiser (no state) for ``spec``."""
    cls = _CLASSES.get(spec.name)
    if cls is None:
        raise ValueError(f"expected optimizer name in {list(OPTIMIZERS)}, received {spec.name!r}")
    return cls(spec)
