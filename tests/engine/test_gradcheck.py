"""The gradient checker itself: it passes correct gradients and catches wrong ones."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.gradcheck import check_layer, check_model, numeric_grad, rel_error
from app.engine.layers import Dense
from app.engine.model import LayerSpec, ModelSpec, build_model


class _WrongBias(Dense):
    """A Dense layer whose bias gradient is off by 1 %."""

    def backward_params(self, dout: np.ndarray) -> None:
        super().backward_params(dout)
        self.gb *= 1.01


def test_rel_error_and_numeric_grad() -> None:
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert rel_error(np.array([1e-12]), np.array([2e-12]), floor=1e-4) < 1e-7
    x = np.array([1.0, -2.0, 3.0])
    np.testing.assert_allclose(numeric_grad(lambda: float(np.sum(x**3)), x), 3 * x**2, rtol=1e-8)
    np.testing.assert_array_equal(x, [1.0, -2.0, 3.0])  # restored
    with pytest.raises(ValueError, match="float64"):
        numeric_grad(lambda: 0.0, np.zeros(2, dtype=np.float32))


def test_a_wrong_gradient_is_caught() -> None:
    rng = np.random.default_rng(0)
    W, b = rng.normal(size=(3, 2)), rng.normal(size=2)
    layer = _WrongBias(W, b, np.zeros_like(W), np.zeros_like(b))
    errors = check_layer(layer, rng.normal(size=(4, 3)), rng)
    assert errors["W"] < 1e-8 and errors["x"] < 1e-8
    assert errors["b"] > 1e-3


def test_check_model_needs_float64() -> None:
    m = build_model(ModelSpec(2, 1, (LayerSpec(3),)), np.random.default_rng(0))
    with pytest.raises(ValueError, match="float64"):
        check_model(m, np.zeros((2, 2)), np.zeros(2))
