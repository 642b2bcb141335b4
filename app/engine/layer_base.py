"""The Layer base class and the per-batch-size buffer cache every layer uses.

Layers keep preallocated work buffers per batch size (batch, last batch, eval set) and return
them from forward/backward, so a training step allocates nothing. A returned array is only valid
until the next call of the same layer with the same batch size; copy it if you need to keep it.
Output buffers go to ufuncs and `np.dot` as the positional `out` argument (~30 ns per call less
than `out=`, which adds up on tiny networks).
"""

from __future__ import annotations

from typing import TypeVar

from app.engine.numerics import Array

MAX_CACHED_SIZES = 8  # batch sizes seldom vary; a full cache is simply dropped

_Bufs = TypeVar("_Bufs")


def cache_buffers(cache: dict[int, _Bufs], n: int, bufs: _Bufs) -> _Bufs:
    """Store `bufs` as the buffers for batch size n (emptying a full cache first); return them."""
    if len(cache) >= MAX_CACHED_SIZES:
        cache.clear()
    cache[n] = bufs
    return bufs


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
