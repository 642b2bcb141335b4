"""Gradient clipping: global norm (norm, direction, pre-clip return, overflow, NaN) and value."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.engine.clipping import clip_global_norm, clip_value, global_norm


def test_global_norm() -> None:
    assert global_norm(np.array([3.0, 4.0])) == 5.0
    assert global_norm(np.array([[1.0, 2.0], [2.0, 4.0]], dtype=np.float32)) == pytest.approx(5.0)
    assert global_norm(np.zeros(0)) == 0.0
    assert isinstance(global_norm(np.ones(3, dtype=np.float32)), float)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clip_global_norm_scales_to_max_norm_keeping_direction(dtype: type) -> None:
    rng = np.random.default_rng(0)
    g: np.ndarray = rng.normal(size=50).astype(dtype) * 10
    before = g.copy()
    pre = clip_global_norm(g, 2.0)
    assert pre == pytest.approx(float(np.linalg.norm(before.astype(np.float64))), rel=1e-6)
    assert g.dtype == dtype
    assert float(np.linalg.norm(g)) == pytest.approx(2.0, rel=1e-6)
    np.testing.assert_allclose(g, before * (2.0 / pre), rtol=1e-6)
    cos = float(np.dot(g, before)) / (np.linalg.norm(g) * np.linalg.norm(before))
    assert cos == pytest.approx(1.0, abs=1e-6)


def test_clip_global_norm_leaves_small_gradients() -> None:
    g = np.array([0.3, 0.4])
    assert clip_global_norm(g, 1.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(g, [0.3, 0.4])


def test_clip_global_norm_handles_float32_overflow_of_squares() -> None:
    # g² overflows float32 (1e40 > 3.4e38) but the norm itself is finite and clipping must work
    g = np.array([1e20, -1e20, 0.0], dtype=np.float32)
    pre = clip_global_norm(g, 1.0)
    assert pre == pytest.approx(math.sqrt(2) * 1e20, rel=1e-6)
    np.testing.assert_allclose(g, [math.sqrt(0.5), -math.sqrt(0.5), 0.0], rtol=1e-6)
    huge = np.array([3e38, 3e38], dtype=np.float32)  # norm 4.2e38 overflows float32 itself
    clip_global_norm(huge, 1.0)
    np.testing.assert_allclose(huge, [math.sqrt(0.5)] * 2, rtol=1e-5)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_clip_global_norm_non_finite_leaves_gradient(bad: float) -> None:
    g = np.array([1.0, bad, 3.0])
    pre = clip_global_norm(g, 1.0)
    assert not math.isfinite(pre)
    np.testing.assert_array_equal(g, [1.0, bad, 3.0])


def test_clip_value_bounds_in_place() -> None:
    g = np.array([-5.0, -0.5, 0.0, 0.5, 5.0, float("nan")], dtype=np.float32)
    view = g[:5]
    clip_value(view, 1.0)
    np.testing.assert_array_equal(g[:5], [-1.0, -0.5, 0.0, 0.5, 1.0])
    assert math.isnan(g[5]) and g.dtype == np.float32


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_limits_are_rejected(bad: float) -> None:
    with pytest.raises(ValueError, match="expected max_norm > 0"):
        clip_global_norm(np.ones(3), bad)
    with pytest.raises(ValueError, match="expected limit > 0"):
        clip_value(np.ones(3), bad)
