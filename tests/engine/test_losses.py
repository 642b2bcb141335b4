"""Losses: values, gradients (finite differences), stability and target formats."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.gradcheck import numeric_grad, rel_error
from app.engine.losses import make_loss


def _targets(task: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if task == "binary":
        return (rng.random(n) > 0.5).astype(np.float64)
    if task == "multiclass":
        return rng.integers(0, 4, size=n)
    return rng.normal(size=n)


@pytest.mark.parametrize("task,k", [("binary", 1), ("multiclass", 4), ("regression", 1)])
def test_loss_gradient_matches_finite_differences(task: str, k: int) -> None:
    rng = np.random.default_rng(0)
    loss = make_loss(task, k)
    z = rng.normal(0.0, 2.0, size=(9, k))
    y = _targets(task, 9, rng)
    value, d = loss.loss(z, y)

    def f() -> float:
        return loss.loss(z, y)[0]

    assert rel_error(d, numeric_grad(f, z)) < 1e-6
    assert value == pytest.approx(f())


def test_loss_values_against_direct_formulas() -> None:
    z = np.array([[0.3], [-1.2], [2.0]])
    y = np.array([1.0, 0.0, 1.0])
    p = 1.0 / (1.0 + np.exp(-z[:, 0]))
    bce = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert make_loss("binary", 1).loss(z, y)[0] == pytest.approx(bce, rel=1e-12)
    assert make_loss("regression", 1).loss(z, y)[0] == pytest.approx(np.mean((z[:, 0] - y) ** 2))
    zm = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    ym = np.array([1, 2])
    sm = np.exp(zm) / np.exp(zm).sum(axis=1, keepdims=True)
    ce = -np.mean(np.log(sm[[0, 1], ym]))
    assert make_loss("multiclass", 3).loss(zm, ym)[0] == pytest.approx(ce, rel=1e-12)


def test_huge_logits_stay_finite() -> None:
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        v, d = make_loss("binary", 1).loss(np.array([[800.0], [-800.0]]), np.array([0.0, 1.0]))
        assert v == pytest.approx(800.0)
        np.testing.assert_allclose(d[:, 0], [0.5, -0.5])
        v, d = make_loss("multiclass", 3).loss(
            np.array([[1000.0, 0.0, -1000.0]], dtype=np.float32), np.array([2])
        )
        assert v == pytest.approx(2000.0)
        assert np.all(np.isfinite(d))


def test_target_formats_and_errors() -> None:
    bce = make_loss("binary", 1)
    assert bce.prepare(np.array([0, 1, 1])).shape == (3, 1)
    assert bce.prepare(np.array([[0.0], [1.0]])).shape == (2, 1)
    with pytest.raises(ValueError, match="0 or 1"):
        bce.prepare([0.0, 0.5])
    ce = make_loss("multiclass", 3)
    np.testing.assert_array_equal(ce.prepare([2, 0]), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        ce.prepare([0, 3])
    with pytest.raises(ValueError, match="integer"):
        ce.prepare([0.5, 1.0])
    with pytest.raises(ValueError, match="exactly 1 output"):
        make_loss("regression", 2)
    with pytest.raises(ValueError, match="unknown task"):
        make_loss("ranking", 1)


def test_scores() -> None:
    bce = make_loss("binary", 1)
    acc, mae = bce.score(np.array([[1.0], [-1.0], [2.0]]), bce.prepare([1, 1, 1]))
    assert acc == pytest.approx(2 / 3) and mae is None
    mse = make_loss("regression", 1)
    t = mse.prepare([1.0, 2.0, 3.0])
    r2, mae = mse.score(np.array([[1.0], [2.0], [4.0]]), t)
    assert r2 == pytest.approx(1.0 - 1.0 / 2.0)
    assert mae == pytest.approx(1.0 / 3.0)
    assert mse.score(np.array([[5.0]]), mse.prepare([5.0])) == (1.0, 0.0)
