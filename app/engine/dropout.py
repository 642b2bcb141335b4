"""Inverted dropout layer: random units zeroed in training, identity in evaluation."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.engine.layer_base import Layer, cache_buffers
from app.engine.numerics import Array, aligned_empty, const, resolve_dtype

_mul = np.multiply


class Dropout(Layer):
    """Inverted dropout: y = x * m, m = [u >= rate] / (1 - rate); identity in eval or at rate 0."""

    def __init__(self, rate: float, rng: np.random.Generator, dtype: Any = np.float64) -> None:
        super().__init__()
        self.dtype = resolve_dtype(dtype)
        self.rng = rng
        self.rate = rate
        self.fixed_mask: Array | None = None  # tests: reuse this (already scaled) mask
        self.mask: Array | None = None
        self._bufs: dict[int, tuple[Array, Array, Array]] = {}
        self._active = False

    @property
    def rate(self) -> float:
        """Probability of dropping a unit, in [0, 1)."""
        return self._rate

    @rate.setter
    def rate(self, value: float) -> None:
        if not 0.0 <= value < 1.0:
            raise ValueError(f"dropout rate must be in [0, 1), got {value}")
        self._rate = float(value)
        self._p = const(self.dtype, self._rate)
        self._keep_scale = const(self.dtype, 1.0 / (1.0 - self._rate))

    def _alloc(self, shape: tuple[int, ...]) -> tuple[Array, Array, Array]:
        dt = self.dtype
        e = aligned_empty
        bufs = (e(shape, dt), e(shape, dt), e(shape, dt))  # mask, out, dx
        return cache_buffers(self._bufs, shape[0], bufs)

    def forward(self, x: Array, training: bool) -> Array:
        if not training or self._rate == 0.0:
            self._active = False
            return x
        bufs = self._bufs.get(x.shape[0])
        if bufs is None or bufs[0].shape != x.shape:
            bufs = self._alloc(x.shape)
        mask, out, _dx = bufs
        if self.fixed_mask is not None:
            np.copyto(mask, self.fixed_mask)
        else:
            self.rng.random(out=mask, dtype=self.dtype.type)
            np.greater_equal(mask, self._p, mask)
            _mul(mask, self._keep_scale, mask)
        self.mask = mask
        self._active = True
        _mul(x, mask, out)
        return out

    def backward(self, dout: Array) -> Array:
        if not self._active or self.mask is None:
            return dout
        dx = self._bufs[dout.shape[0]][2]
        _mul(dout, self.mask, dx)
        return dx
