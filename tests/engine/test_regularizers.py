"""L1/L2 penalty: hand-computed value, finite-difference gradient check, in-place behaviour."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.regularizers import add_penalty_grad, penalty


def test_penalty_hand_computed() -> None:
    w = np.array([1.0, -2.0, 0.5])
    # 0.1·(1 + 2 + 0.5) + 0.5·0.2·(1 + 4 + 0.25)
    assert penalty(w, 0.1, 0.2) == pytest.approx(0.875)
    assert penalty(w, 0.0, 0.0) == 0.0
    assert penalty(w, 0.1, 0.0) == pytest.approx(0.35)
    assert penalty(w, 0.0, 0.2) == pytest.approx(0.525)


@pytest.mark.parametrize(("l1", "l2"), [(0.3, 0.0), (0.0, 0.7), (0.3, 0.7)])
def test_gradient_matches_finite_differences(l1: float, l2: float) -> None:
    rng = np.random.default_rng(1)
    w = rng.normal(size=(4, 3))
    w[np.abs(w) < 0.1] = 0.5  # L1 is only differentiable away from zero
    grad = np.zeros_like(w)
    add_penalty_grad(grad, w, l1, l2)
    h = 1e-5
    fd = np.zeros_like(w)
    for idx in np.ndindex(w.shape):
        wp, wm = w.copy(), w.copy()
        wp[idx] += h
        wm[idx] -= h
        fd[idx] = (penalty(wp, l1, l2) - penalty(wm, l1, l2)) / (2 * h)
    rel = np.abs(grad - fd) / np.maximum(np.abs(grad) + np.abs(fd), 1e-12)
    assert float(rel.max()) < 1e-6


def test_add_penalty_grad_adds_in_place_on_views() -> None:
    theta = np.array([1.0, -2.0, 0.0, 9.0])  # weights are theta[:3], theta[3] is a bias
    flat_grad = np.array([0.5, 0.5, 0.5, 0.5])
    add_penalty_grad(flat_grad[:3], theta[:3], 0.1, 0.2)
    # g + 0.1·sign(w) + 0.2·w, sign(0) = 0; the bias slot is untouched
    np.testing.assert_allclose(flat_grad, [0.8, -0.0, 0.5, 0.5])
    np.testing.assert_array_equal(theta, [1.0, -2.0, 0.0, 9.0])


def test_scratch_gives_same_result_and_float32_kept() -> None:
    w = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    a = np.ones(3, dtype=np.float32)
    b = np.ones(3, dtype=np.float32)
    scratch = np.empty(3, dtype=np.float32)
    add_penalty_grad(a, w, 0.1, 0.2)
    add_penalty_grad(b, w, 0.1, 0.2, scratch=scratch)
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32
    np.testing.assert_allclose(a, [1.3, 0.5, 1.2], rtol=1e-6)


def test_zero_strengths_do_nothing() -> None:
    g = np.array([0.1, 0.2])
    add_penalty_grad(g, np.array([5.0, -5.0]), 0.0, 0.0)
    np.testing.assert_array_equal(g, [0.1, 0.2])


def test_bad_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="expected l1 >= 0"):
        penalty(np.ones(2), -0.1, 0.0)
    with pytest.raises(ValueError, match="expected l2 >= 0"):
        add_penalty_grad(np.ones(2), np.ones(2), 0.0, float("nan"))
    with pytest.raises(ValueError, match="one shape"):
        add_penalty_grad(np.ones(2), np.ones(3), 0.1, 0.0)
    with pytest.raises(ValueError, match="scratch"):
        add_penalty_grad(np.ones(2), np.ones(2), 0.1, 0.0, scratch=np.ones(3))
