"""Batch normalisation layer (per-feature statistics over the batch, running ones for eval)."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.engine.layer_base import Layer, cache_buffers
from app.engine.numerics import Array, aligned_empty, aligned_full, const, resolve_dtype

_dot = np.dot
_add = np.add
_sub = np.subtract
_mul = np.multiply


class BatchNorm(Layer):
    """Per feature: y = gamma * (x - mu) / sqrt(var + eps) + beta.

    Training uses batch statistics (biased var) and updates the running ones:
    r <- momentum * r + (1 - momentum) * batch (running var uses the unbiased batch var).
    Evaluation uses the running statistics. Backward (training mode):
    dx = gamma / sqrt(var + eps) * (dy - mean(dy) - xhat * mean(dy * xhat)).

    A training batch of one row has no batch statistics (its variance is 0: the output would be
    beta whatever x, no gradient would reach x, and the running variance would shrink; PyTorch
    refuses such a batch). It is normalised with the running statistics, as in evaluation, which
    it leaves unchanged; backward is then that of a fixed affine map: dx = gamma / sqrt(r_var +
    eps) * dy. The trainer meets it when the training rows modulo the batch size are 1.
    """

    def __init__(
        self,
        gamma: Array,
        beta: Array,
        dgamma: Array,
        dbeta: Array,
        running_mean: Array,
        running_var: Array,
        momentum: float = 0.9,
        eps: float = 1e-5,
    ) -> None:
        super().__init__()
        self.params = {"gamma": gamma, "beta": beta}
        self.grads = {"gamma": dgamma, "beta": dbeta}
        self.gamma, self.beta, self.dgamma, self.dbeta = gamma, beta, dgamma, dbeta
        self.running_mean, self.running_var = running_mean, running_var
        self.buffers = {"running_mean": running_mean, "running_var": running_var}
        self.dtype = gamma.dtype
        self.size = gamma.shape[0]
        self.momentum = momentum
        self.eps = eps
        dt = self.dtype
        self._m = const(dt, momentum)
        self._1m = const(dt, 1.0 - momentum)
        self._eps = const(dt, eps)
        self._one = const(dt, 1.0)
        self._bufs: dict[int, tuple[Array, ...]] = {}
        self._cur: tuple[Array, ...] = ()
        self._training = False
        self._frozen = False  # this batch was normalised with the running statistics

    @classmethod
    def create(cls, size: int, dtype: Any = np.float64, momentum: float = 0.9) -> BatchNorm:
        """A standalone BatchNorm with gamma 1, beta 0, running mean 0 and running var 1."""
        dt = resolve_dtype(dtype)
        return cls(
            np.ones(size, dt), np.zeros(size, dt), np.zeros(size, dt), np.zeros(size, dt),
            np.zeros(size, dt), np.ones(size, dt), momentum,
        )  # fmt: skip

    def _alloc(self, n: int) -> tuple[Array, ...]:
        dt, d = self.dtype, self.size
        mats = tuple(aligned_empty((n, d), dt) for _ in range(4))  # xhat, out, dx, tmp
        vecs = tuple(aligned_empty(d, dt) for _ in range(5))  # mu, var, inv, v1, v2
        ones = aligned_full(n, 1.0, dt)
        consts = (const(dt, 1.0 / max(n, 1)), const(dt, n / (n - 1) if n > 1 else 1.0))
        bufs = (*mats, *vecs, ones, *consts)
        return cache_buffers(self._bufs, n, bufs)

    def forward(self, x: Array, training: bool) -> Array:
        n = x.shape[0]
        bufs = self._bufs.get(n) or self._alloc(n)
        xhat, out, _dx, tmp, mu, var, inv, v1, _v2, ones, inv_n, unbias = bufs
        self._cur = bufs
        self._training = training
        self._frozen = training and n == 1
        if self._frozen:
            return self._forward_frozen(x, bufs)
        if not training:
            np.add(self.running_var, self._eps, inv)
            np.sqrt(inv, inv)
            np.divide(self.gamma, inv, inv)  # scale
            _mul(self.running_mean, inv, v1)
            _sub(self.beta, v1, v1)  # shift
            _mul(x, inv, out)
            _add(out, v1, out)
            return out
        _dot(ones, x, mu)
        _mul(mu, inv_n, mu)
        _sub(x, mu, xhat)
        _mul(xhat, xhat, tmp)
        _dot(ones, tmp, var)
        _mul(var, inv_n, var)
        rm, rv = self.running_mean, self.running_var
        _mul(rm, self._m, rm)
        _mul(mu, self._1m, v1)
        _add(rm, v1, rm)
        _mul(rv, self._m, rv)
        _mul(var, self._1m, v1)
        _mul(v1, unbias, v1)
        _add(rv, v1, rv)
        _add(var, self._eps, inv)
        np.sqrt(inv, inv)
        np.divide(self._one, inv, inv)
        _mul(xhat, inv, xhat)
        _mul(xhat, self.gamma, out)
        _add(out, self.beta, out)
        return out

    def _forward_frozen(self, x: Array, bufs: tuple[Array, ...]) -> Array:
        """Training forward normalised with the running statistics (a batch of one row)."""
        xhat, out, _dx, _tmp, _mu, _var, inv = bufs[:7]
        np.add(self.running_var, self._eps, inv)
        np.sqrt(inv, inv)
        np.divide(self._one, inv, inv)
        _sub(x, self.running_mean, xhat)
        _mul(xhat, inv, xhat)
        _mul(xhat, self.gamma, out)
        _add(out, self.beta, out)
        return out

    def backward(self, dout: Array) -> Array:
        xhat, _out, dx, tmp, _mu, _var, inv, v1, v2, ones, inv_n, _unbias = self._cur
        if not self._training:
            raise RuntimeError("BatchNorm.backward needs a forward pass in training mode")
        if self._frozen:
            _dot(ones, dout, self.dbeta)
            _mul(dout, xhat, tmp)
            _dot(ones, tmp, self.dgamma)
            _mul(inv, self.gamma, v1)
            _mul(dout, v1, dx)
            return dx
        _dot(ones, dout, self.dbeta)
        _mul(dout, xhat, tmp)
        _dot(ones, tmp, self.dgamma)
        _mul(self.dgamma, inv_n, v1)
        _mul(xhat, v1, dx)
        _mul(self.dbeta, inv_n, v2)
        _add(dx, v2, dx)
        _sub(dout, dx, dx)
        _mul(inv, self.gamma, v1)
        _mul(dx, v1, dx)
        return dx
