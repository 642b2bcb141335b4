"""Layers: Dense, BatchNorm, Dropout and an activation layer.

Contract: `params` and `grads` are dicts of arrays with the same keys; `forward(x, training)`
returns the output and `backward(dout)` returns dL/dx, never modifying `dout`. In a Model the
parameter arrays are views into one flat buffer, so they must only be written in place.

Speed: every layer keeps preallocated work buffers per batch size (batch, last batch, eval set),
and returns them from forward/backward. A returned array is therefore only valid until the next
call of the same layer with the same batch size; copy it if you need to keep it. Output buffers
go to ufuncs and `np.dot` as the positional `out` argument (~30 ns per call less than `out=`,
which adds up on tiny networks).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.engine.activations import Activation, Linear, make_activation
from app.engine.numerics import Array, aligned_empty, aligned_full, const, resolve_dtype

_dot = np.dot
_add = np.add
_sub = np.subtract
_mul = np.multiply

# Matrix-product shapes, tuned on the OpenBLAS that NumPy wheels bundle (AVX-512 kernels):
# - Products with M·N·K up to 1e6 run through its small-matrix kernels, 25-45 % faster per row
#   than its general path just above that size (1800x64 @ 64x128: 151 -> 111 ns per row). A tall
#   product (the evaluation pass) is therefore cut into row blocks under that size.
# - dx = dz Wᵀ with both operands row-major has no small kernel unless (batch · n_in <= 1200),
#   and the general path pays packing and locking: 64x64 @ 64x128 took 12.8 us against 7.7 us
#   for the same product with dz column-major. Copying dz into a column-major buffer first
#   (1.5 us) pays off for the wider layers of a mini-batch (TRANSPOSED_DZ_* below).
# Either way each element comes out of the same k-ordered sum: results are unchanged.
SMALL_GEMM = 1_000_000
MIN_BLOCK_ROWS = 32  # below this the per-call overhead eats the gain
TRANSPOSED_DZ_MIN_WEIGHTS = 4096  # n_in · n_out; smaller layers gain less than the copy costs
TRANSPOSED_DZ_MAX_ROWS = 64  # the copy grows with the batch, the gain does not
TRANSPOSED_DZ_MAX_OUT = 256  # wider dz: the general path splits the sum over n_out (rounding)
SMALL_NT_MAX_CELLS = 1200  # batch · n_in up to which dz Wᵀ already has a small kernel


class Layer:
    """Base class: no parameters, identity."""

    params: dict[str, Array]
    grads: dict[str, Array]

    def __init__(self) -> None:
        self.params = {}
        self.grads = {}

    def forward(self, x: Array, training: bool) -> Array:
        """Output for input x of shape (n, features)."""
        return x

    def backward(self, dout: Array) -> Array:
        """dL/dx from dL/dout (after a forward call); fills `grads`."""
        return dout


class Dense(Layer):
    """z = x W + b; W (in, out), b (out,). Backward: dW = xᵀ dz, db = 1ᵀ dz, dx = dz Wᵀ."""

    def __init__(self, W: Array, b: Array, gW: Array, gb: Array) -> None:
        super().__init__()
        if W.ndim != 2 or b.shape != (W.shape[1],) or gW.shape != W.shape or gb.shape != b.shape:
            raise ValueError(f"Dense expects W (in, out) and b (out,), got {W.shape} and {b.shape}")
        self.params = {"W": W, "b": b}
        self.grads = {"W": gW, "b": gb}
        self.W, self.b, self.gW, self.gb = W, b, gW, gb
        self.n_in, self.n_out = W.shape
        self.dtype = W.dtype
        self._bufs: dict[int, _DenseBuffers] = {}
        self._x: Array = np.empty((0, self.n_in), dtype=self.dtype)
        # [W; b] and [dW; db] as (n_in + 1, n_out) views when b follows W in memory (a model's
        # first layer): forward_augmented then adds the bias inside the product, and the
        # backward gets dW and db from one product
        self.W_aug: Array | None = None
        self.grad_aug: Array | None = None
        self._augmented = False
        self._cur = self._alloc(0)

    @classmethod
    def create(cls, n_in: int, n_out: int, dtype: Any = np.float64) -> Dense:
        """A standalone Dense layer with its own zeroed arrays."""
        dt = resolve_dtype(dtype)
        return cls(
            np.zeros((n_in, n_out), dt),
            np.zeros(n_out, dt),
            np.zeros((n_in, n_out), dt),
            np.zeros(n_out, dt),
        )

    def _alloc(self, n: int) -> _DenseBuffers:
        dt, n_in, n_out = self.dtype, self.n_in, self.n_out
        z = aligned_empty((n, n_out), dt)
        dz_t = None
        if (
            n_in * n_out >= TRANSPOSED_DZ_MIN_WEIGHTS
            and n <= TRANSPOSED_DZ_MAX_ROWS
            and n_out <= TRANSPOSED_DZ_MAX_OUT
            and n * n_in > SMALL_NT_MAX_CELLS
            and n * n_in * n_out <= SMALL_GEMM
        ):
            dz_t = aligned_empty((n_out, n), dt).T  # column-major (n, n_out)
        k = n_in + 1 if self.W_aug is not None else n_in  # forward_augmented multiplies n_in + 1
        bufs = (z, aligned_empty((n, n_in), dt), aligned_full(n, 1.0, dt), _blocks(z, k), dz_t)
        if len(self._bufs) >= 8:
            self._bufs.clear()
        self._bufs[n] = bufs
        return bufs

    def forward(self, x: Array, training: bool) -> Array:
        n = x.shape[0]
        bufs = self._bufs.get(n) or self._alloc(n)
        self._x = x
        self._augmented = False
        self._cur = bufs
        z = bufs[0]
        blocks = bufs[3]
        if blocks:
            W = self.W
            for start, stop, zb in blocks:
                _dot(x[start:stop], W, zb)
        else:
            _dot(x, self.W, z)
        _add(z, self.b, z)
        return z

    def forward_augmented(self, x1: Array, training: bool) -> Array:
        """z = [x | 1] [W; b] = x W + b: the bias added inside the product, no broadcast pass.

        x1 is (n, n_in + 1) with ones in its last column; needs `W_aug` and `grad_aug`. The
        backward then takes [dW; db] = x1ᵀ dz from one product. z is the same ordered sum as
        x W + b (b last); db is summed over the batch in the product's order rather than a
        matrix-vector product's, which can differ in the last bit.
        """
        W_aug = self.W_aug
        if W_aug is None or self.grad_aug is None or x1.ndim != 2 or x1.shape[1] != self.n_in + 1:
            raise ValueError(
                f"forward_augmented needs W_aug and x of shape (n, {self.n_in + 1}), "
                f"got {None if W_aug is None else W_aug.shape} and {x1.shape}"
            )
        n = x1.shape[0]
        bufs = self._bufs.get(n) or self._alloc(n)
        self._x = x1
        self._augmented = True
        self._cur = bufs
        z = bufs[0]
        blocks = bufs[3]
        if blocks:
            for start, stop, zb in blocks:
                _dot(x1[start:stop], W_aug, zb)
        else:
            _dot(x1, W_aug, z)
        return z

    def backward_params(self, dout: Array) -> None:
        """Fill dW and db only (the first layer of a model needs no dx)."""
        if self._augmented:  # [dW; db] = [x | 1]ᵀ dz in one product
            _dot(self._x.T, dout, self.grad_aug)
            return
        _dot(self._x.T, dout, self.gW)
        _dot(self._cur[2], dout, self.gb)  # column sums via BLAS: cheaper than sum(axis=0)

    def backward(self, dout: Array) -> Array:
        self.backward_params(dout)
        bufs = self._cur
        dx, dz_t = bufs[1], bufs[4]
        if dz_t is not None and dout.flags.c_contiguous:
            np.copyto(dz_t, dout)
            dout = dz_t
        _dot(dout, self.W.T, dx)
        return dx


_DenseBuffers = tuple[Array, Array, Array, list[tuple[int, int, Array]], Array | None]
"""Per batch size: z, dx, ones (for db), row blocks of the forward product, column-major dz."""


def _blocks(z: Array, n_in: int) -> list[tuple[int, int, Array]]:
    """Row blocks (start, stop, z[start:stop]) for x @ W, or [] when one product is best."""
    n, n_out = z.shape
    rows = SMALL_GEMM // max(n_in * n_out, 1)
    # n_out == 1 or n_in == 1 go to BLAS gemv/ger, whose results may depend on the row count
    if n * n_in * n_out <= SMALL_GEMM or rows < MIN_BLOCK_ROWS or min(n_in, n_out) < 2:
        return []
    count = -(-n // rows)
    size = -(-n // count)  # equal blocks: 1800 rows at most 1562 per block -> 2 x 900
    return [(s, min(s + size, n), z[s : s + size]) for s in range(0, n, size)]


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
        bufs = (e(shape, dt), e(shape, dt), e(shape, dt), e(shape, dt))
        if len(self._bufs) >= 8:
            self._bufs.clear()
        self._bufs[shape[0]] = bufs  # a, dz, aux, tmp
        return bufs

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
        if len(self._bufs) >= 8:
            self._bufs.clear()
        self._bufs[shape[0]] = bufs
        return bufs

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


class BatchNorm(Layer):
    """Per feature: y = gamma * (x - mu) / sqrt(var + eps) + beta.

    Training uses batch statistics (biased var) and updates the running ones:
    r <- momentum * r + (1 - momentum) * batch (running var uses the unbiased batch var).
    Evaluation uses the running statistics. Backward (training mode):
    dx = gamma / sqrt(var + eps) * (dy - mean(dy) - xhat * mean(dy * xhat)).
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
        if len(self._bufs) >= 8:
            self._bufs.clear()
        self._bufs[n] = bufs
        return bufs

    def forward(self, x: Array, training: bool) -> Array:
        n = x.shape[0]
        bufs = self._bufs.get(n) or self._alloc(n)
        xhat, out, _dx, tmp, mu, var, inv, v1, _v2, ones, inv_n, unbias = bufs
        self._cur = bufs
        self._training = training
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

    def backward(self, dout: Array) -> Array:
        xhat, _out, dx, tmp, _mu, _var, inv, v1, v2, ones, inv_n, _unbias = self._cur
        if not self._training:
            raise RuntimeError("BatchNorm.backward needs a forward pass in training mode")
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
