"""Dense (fully connected) layer: z = x W + b, with its matrix products shaped for BLAS speed."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.engine.layer_base import Layer, cache_buffers
from app.engine.numerics import Array, aligned_empty, aligned_full, resolve_dtype

_dot = np.dot
_add = np.add

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
        return cache_buffers(self._bufs, n, bufs)

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
