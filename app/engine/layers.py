"""Layers: Dense, BatchNorm, Dropout and an activation layer (one import point for all of them).

Contract: `params` and `grads` are dicts of arrays with the same keys; `forward(x, training)`
returns the output and `backward(dout)` returns dL/dx, never modifying `dout`. In a Model the
parameter arrays are views into one flat buffer, so they must only be written in place.

Where they live: Layer and the buffer cache in layer_base, Dense in dense, BatchNorm in
normalization, Dropout in dropout, ActivationLayer here; all are importable from this module.

Speed: every layer returns preallocated buffers, valid only until its next call with the same
batch size (see layer_base); copy a returned array if you need to keep it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.engine.activations import Activation, Linear, make_activation
from app.engine.dense import SMALL_GEMM, Dense, _blocks
from app.engine.dropout import Dropout
from app.engine.layer_base import Layer, cache_buffers
from app.engine.normalization import BatchNorm
from app.engine.numerics import Array, aligned_empty

__all__ = [
    "SMALL_GEMM",
    "ActivationLayer",
    "BatchNorm",
    "Dense",
    "Dropout",
    "Layer",
    "_blocks",
]


class ActivationLayer(Layer):
    """a = f(z) elementwise; backward dz = da * f'(z). Linear passes arrays through untouched."""

    def __init__(self, activation: str | Activation, dtype: Any = np.float64) -> None:
        super().__init__()
        act = (
            activation if isinstance(activation, Activation) else make_activation(activation, dtype)
        )
        self.act = act
        self._act_forward = act.forward
        self._act_backward = act.backward
        self.dtype = act.dtype
        self.identity = isinstance(act, Linear)
        self._bufs: dict[int, tuple[Array, Array, Array, Array]] = {}
        self._z: Array = np.empty((0, 0), dtype=self.dtype)
        self.output: Array = self._z
        self._cur: tuple[Array, Array, Array, Array] | None = None

    def _alloc(self, shape: tuple[int, ...]) -> tuple[Array, Array, Array, Array]:
        dt = self.dtype
        e = aligned_empty
        bufs = (e(shape, dt), e(shape, dt), e(shape, dt), e(shape, dt))  # a, dz, aux, tmp
        return cache_buffers(self._bufs, shape[0], bufs)

    @property
    def pre_activation(self) -> Array:
        """z of the last forward call."""
        return self._z

    def forward(self, x: Array, training: bool) -> Array:
        self._z = x
        if self.identity:
            self.output = x
            return x
        bufs = self._bufs.get(x.shape[0])
        if bufs is None or bufs[0].shape != x.shape:
            bufs = self._alloc(x.shape)
        self._cur = bufs
        a = bufs[0]
        self._act_forward(x, a, bufs[2])
        self.output = a
        return a

    def backward(self, dout: Array) -> Array:
        if self.identity or self._cur is None:
            return dout
        a, dz, aux, tmp = self._cur
        self._act_backward(self._z, a, aux, tmp, dout, dz)
        return dz
