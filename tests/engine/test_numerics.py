"""Numerics helpers: 64-byte aligned buffers and line padding."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.numerics import ALIGN, aligned_empty, aligned_full, aligned_like, padded


@pytest.mark.parametrize("shape", [7, (3, 5), (64, 128), (1, 1), (13,)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_aligned_buffers_start_on_a_cache_line(shape: int | tuple[int, ...], dtype: type) -> None:
    for _ in range(5):  # several allocations: the offset must not depend on luck
        a = aligned_empty(shape, dtype)
        assert a.ctypes.data % ALIGN == 0
        assert a.shape == ((shape,) if isinstance(shape, int) else shape)
        assert a.dtype == np.dtype(dtype)
        assert a.flags.c_contiguous and a.flags.writeable


def test_aligned_full_and_like() -> None:
    f = aligned_full((4, 3), 1.5, np.float32)
    assert f.dtype == np.float32 and np.all(f == 1.5)
    g = aligned_like(f)
    assert g.shape == f.shape and g.dtype == f.dtype and g.ctypes.data % ALIGN == 0
    assert not np.shares_memory(f, g)
    assert aligned_empty((0, 10), np.float32).shape == (0, 10)


def test_padded_rounds_up_to_whole_lines() -> None:
    assert [padded(n, np.float32) for n in (0, 1, 16, 17)] == [0, 16, 16, 32]
    assert [padded(n, np.float64) for n in (1, 8, 9)] == [8, 8, 16]
