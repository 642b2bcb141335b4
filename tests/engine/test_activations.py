"""Activations: values, exact derivatives (finite differences), dead/saturated definitions."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine import activations as A
from app.engine.gradcheck import numeric_grad, rel_error

NAMES = [
    "linear",
    "relu",
    "leaky_relu",
    "tanh",
    "sigmoid",
    "elu",
    "gelu",
    "softplus",
    "swish",
    "silu",
]


def _z(rng: np.random.Generator) -> np.ndarray:
    z = rng.normal(0.0, 2.0, size=(7, 5))
    z[np.abs(z) < 1e-3] = 0.5  # keep away from the kinks of relu/leaky_relu
    return z


@pytest.mark.parametrize("name", NAMES)
def test_derivative_matches_finite_differences(name: str) -> None:
    z = _z(np.random.default_rng(0))
    analytic = A.derivative(name, z)
    numeric = np.empty_like(z)
    for idx in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[idx] += 1e-6
        zm[idx] -= 1e-6
        numeric[idx] = (A.apply(name, zp)[idx] - A.apply(name, zm)[idx]) / 2e-6
    assert rel_error(analytic, numeric) < 1e-6


@pytest.mark.parametrize("name", NAMES)
def test_backward_chains_upstream_gradient_and_keeps_it(name: str) -> None:
    rng = np.random.default_rng(1)
    z = _z(rng)
    da = rng.normal(size=z.shape)
    da_before = da.copy()
    act = A.make_activation(name, np.float64)
    a, aux, tmp, dz = (np.empty_like(z) for _ in range(4))
    act.forward(z, a, aux)
    act.backward(z, a, aux, tmp, da, dz)
    np.testing.assert_array_equal(da, da_before)

    def f() -> float:
        return float(np.sum(A.apply(name, z) * da))

    assert rel_error(dz, numeric_grad(f, z)) < 1e-6


def test_known_values() -> None:
    z = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_allclose(A.apply("relu", z), [[0.0, 0.0, 3.0]])
    np.testing.assert_allclose(A.apply("leaky_relu", z), [[-0.02, 0.0, 3.0]])
    np.testing.assert_allclose(A.apply("sigmoid", z), 1.0 / (1.0 + np.exp(-z)), rtol=1e-12)
    np.testing.assert_allclose(A.apply("elu", z), [[np.expm1(-2.0), 0.0, 3.0]])
    np.testing.assert_allclose(A.apply("softplus", z), np.log1p(np.exp(z)), rtol=1e-12)
    np.testing.assert_allclose(A.apply("swish", z), z / (1.0 + np.exp(-z)), rtol=1e-12)
    np.testing.assert_allclose(
        A.apply("gelu", z), [[-0.04540230591222, 0.0, 2.996362607918227]], rtol=1e-9
    )


def test_float32_stays_float32_and_does_not_overflow() -> None:
    z = np.array([[-1000.0, 1000.0]], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        for name in ("sigmoid", "tanh", "softplus", "swish"):
            out = A.apply(name, z)
            assert out.dtype == np.float32
            assert np.all(np.isfinite(out))
    np.testing.assert_allclose(A.apply("sigmoid", z), [[0.0, 1.0]])


def test_inactive_flags_follow_the_documented_definitions() -> None:
    z = np.array([[-6.0, -1.0, 0.0, 0.5, 4.0]])
    flags = {n: A.make_activation(n).inactive(z, A.apply(n, z))[0].tolist() for n in NAMES}
    assert flags["relu"] == [True, True, True, False, False]
    assert flags["leaky_relu"] == [True, True, True, False, False]
    assert flags["elu"] == [True, False, False, False, False]
    assert flags["tanh"] == [True, False, False, False, True]
    assert flags["sigmoid"] == [True, False, False, False, False]
    assert flags["linear"] == [False] * 5
    kinds = {n: A.make_activation(n).kind for n in NAMES}
    assert kinds["relu"] == kinds["gelu"] == "dead"
    assert kinds["tanh"] == kinds["sigmoid"] == "saturated"


def test_unknown_activation_names_the_choices() -> None:
    with pytest.raises(ValueError, match=r"unknown activation 'mish'.*relu"):
        A.make_activation("mish")
    assert A.make_activation("silu").name == "swish"
