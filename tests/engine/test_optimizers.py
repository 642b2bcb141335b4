"""Optimiser steps against hand-computed updates (3-element vector, 3 steps), dtype, state."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.engine.optimizers import (
    OPTIMIZERS,
    Adam,
    AdamW,
    OptimizerSpec,
    Sgd,
    make_optimizer,
)

P0 = [1.0, -2.0, 0.5]
GRADS = [[0.5, -1.0, 2.0], [0.1, 0.2, -0.3], [-0.4, 0.0, 1.0]]
LR = 0.1


def run(spec: OptimizerSpec, dtype: type = np.float64, lr: float = LR) -> list[np.ndarray]:
    """Apply the three GRADS steps to P0 and return the parameters after each step."""
    opt = make_optimizer(spec)
    opt.lr = lr
    theta: np.ndarray = np.array(P0, dtype=dtype)
    out = []
    for g in GRADS:
        grad: np.ndarray = np.array(g, dtype=dtype)
        before = grad.copy()
        opt.step({"theta": theta}, {"theta": grad})
        np.testing.assert_array_equal(grad, before)  # grads are never modified
        assert theta.dtype == dtype
        out.append(theta.copy())
    return out


# Textbook references in plain Python floats, written from the formulas, one element at a time.


def ref_rmsprop(rho: float, eps: float, mu: float = 0.0) -> list[list[float]]:
    p, s, b, out = list(P0), [0.0] * 3, [0.0] * 3, []
    for g in GRADS:
        for i in range(3):
            s[i] = rho * s[i] + (1 - rho) * g[i] ** 2
            d = g[i] / (math.sqrt(s[i]) + eps)
            b[i] = mu * b[i] + d
            p[i] -= LR * (b[i] if mu else d)
        out.append(list(p))
    return out


def ref_adagrad(eps: float) -> list[list[float]]:
    p, s, out = list(P0), [0.0] * 3, []
    for g in GRADS:
        for i in range(3):
            s[i] += g[i] ** 2
            p[i] -= LR * g[i] / (math.sqrt(s[i]) + eps)
        out.append(list(p))
    return out


def ref_adam(b1s: list[float], b2: float, eps: float, wd: float = 0.0) -> list[list[float]]:
    """Adam (AdamW when wd > 0) with bias correction; b1s[t-1] is beta1 used at step t."""
    p, m, v, out = list(P0), [0.0] * 3, [0.0] * 3, []
    for t, g in enumerate(GRADS, start=1):
        b1 = b1s[t - 1]
        for i in range(3):
            m[i] = b1 * m[i] + (1 - b1) * g[i]
            v[i] = b2 * v[i] + (1 - b2) * g[i] ** 2
            mhat = m[i] / (1 - b1**t)
            vhat = v[i] / (1 - b2**t)
            p[i] = p[i] - LR * wd * p[i] - LR * mhat / (math.sqrt(vhat) + eps)
        out.append(list(p))
    return out


def check(got: list[np.ndarray], expected: list[list[float]], rtol: float = 1e-12) -> None:
    for step, (g, e) in enumerate(zip(got, expected, strict=True), start=1):
        np.testing.assert_allclose(g, e, rtol=rtol, atol=1e-12, err_msg=f"step {step}")


def test_sgd_hand_computed() -> None:
    # p -= 0.1·g
    check(run(OptimizerSpec("sgd")), [[0.95, -1.9, 0.3], [0.94, -1.92, 0.33], [0.98, -1.92, 0.23]])


def test_sgd_momentum_hand_computed() -> None:
    # v1 = g1; v2 = .9·v1 + g2 = [.55, -.7, 1.5]; v3 = [.095, -.63, 2.35]; p -= 0.1·v
    expected = [[0.95, -1.9, 0.3], [0.895, -1.83, 0.15], [0.8855, -1.767, -0.085]]
    check(run(OptimizerSpec("sgd", momentum=0.9)), expected)


def test_sgd_nesterov_hand_computed() -> None:
    # p -= 0.1·(g + .9·v): [.95, -1.9, 3.8], [.595, -.43, 1.05], [-.3145, -.567, 3.115]
    expected = [[0.905, -1.81, 0.12], [0.8455, -1.767, 0.015], [0.87695, -1.7103, -0.2965]]
    check(run(OptimizerSpec("sgd", momentum=0.9, nesterov=True)), expected)


def test_rmsprop_hand_computed() -> None:
    # step 1: s = 0.1·g², so p -= 0.1·g/(√0.1·|g|) = 0.1/√0.1·sign(g) = 0.316228·sign(g)
    got = run(OptimizerSpec("rmsprop", rho=0.9, eps=1e-8))
    np.testing.assert_allclose(got[0], [0.683772, -1.683772, 0.183772], atol=1e-6)
    check(got, ref_rmsprop(0.9, 1e-8))


def test_rmsprop_momentum_matches_formula() -> None:
    check(
        run(OptimizerSpec("rmsprop", rho=0.8, eps=1e-3, momentum=0.5)), ref_rmsprop(0.8, 1e-3, 0.5)
    )


def test_adagrad_hand_computed() -> None:
    # step 1: p -= 0.1·sign(g); step 2, element 0: 0.9 - 0.1·0.1/√(0.25+0.01) = 0.880388
    got = run(OptimizerSpec("adagrad", eps=1e-8))
    np.testing.assert_allclose(got[0], [0.9, -1.9, 0.4], atol=1e-7)
    assert got[1][0] == pytest.approx(0.9 - 0.01 / math.sqrt(0.26), abs=1e-8)  # eps ~ 1e-8
    check(got, ref_adagrad(1e-8))


def test_adam_bias_correction() -> None:
    # With bias correction the first step is lr·g/(|g|+eps) = 0.1·sign(g) whatever |g| is.
    got = run(OptimizerSpec("adam"))
    np.testing.assert_allclose(got[0], [0.9, -1.9, 0.4], atol=1e-7)
    check(got, ref_adam([0.9] * 3, 0.999, 1e-8))
    # large eps makes eps matter in every step
    check(run(OptimizerSpec("adam", beta1=0.5, beta2=0.9, eps=0.1)), ref_adam([0.5] * 3, 0.9, 0.1))


def test_adamw_decoupled_decay() -> None:
    got = run(OptimizerSpec("adamw", weight_decay=0.5))
    check(got, ref_adam([0.9] * 3, 0.999, 1e-8, wd=0.5))
    # step 1 by hand: p·(1 - 0.05) - 0.1·sign(g)
    np.testing.assert_allclose(got[0], [0.85, -1.8, 0.375], atol=1e-7)
    # plain Adam ignores weight_decay
    check(run(OptimizerSpec("adam", weight_decay=0.5)), ref_adam([0.9] * 3, 0.999, 1e-8))


def test_adamw_decay_slices_limit_the_decay() -> None:
    opt = make_optimizer(OptimizerSpec("adamw", weight_decay=0.1))
    assert isinstance(opt, AdamW)
    opt.lr = 0.1
    opt.decay_slices["theta"] = slice(0, 2)
    theta = np.array([1.0, 2.0, 3.0])
    for _ in range(3):  # zero gradient: only the decay moves the parameters
        opt.step({"theta": theta}, {"theta": np.zeros(3)})
    np.testing.assert_allclose(theta, [0.99**3, 2 * 0.99**3, 3.0], rtol=1e-12)


@pytest.mark.parametrize(
    "spec",
    [
        OptimizerSpec("sgd"),
        OptimizerSpec("sgd", momentum=0.9),
        OptimizerSpec("sgd", momentum=0.9, nesterov=True),
        OptimizerSpec("rmsprop"),
        OptimizerSpec("rmsprop", momentum=0.5),
        OptimizerSpec("adagrad"),
        OptimizerSpec("adam"),
        OptimizerSpec("adamw", weight_decay=0.1),
    ],
)
def test_float32_preserved_and_close_to_float64(spec: OptimizerSpec) -> None:
    got32 = run(spec, np.float32)
    got64 = run(spec, np.float64)
    for a, b in zip(got32, got64, strict=True):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    opt = make_optimizer(spec)
    theta = np.ones(4, dtype=np.float32)
    opt.step({"theta": theta}, {"theta": np.full(4, 0.5, dtype=np.float32)})
    update = opt.last_update("theta")
    assert update is not None and update.dtype == np.float32
    assert not update.flags.writeable


def test_last_update_is_the_step_taken() -> None:
    opt = make_optimizer(OptimizerSpec("adam"))
    assert opt.last_update("theta") is None
    theta = np.array(P0)
    opt.step({"theta": theta}, {"theta": np.array(GRADS[0])})
    before = theta.copy()
    opt.step({"theta": theta}, {"theta": np.array(GRADS[1])})
    update = opt.last_update("theta")
    assert update is not None
    np.testing.assert_allclose(before - theta, update, rtol=1e-12)
    assert opt.steps_taken("theta") == 2


def test_update_spec_keeps_state() -> None:
    # momentum buffer survives a knob change: v2 = 0.5·v1 + g2 with v1 = g1
    opt = make_optimizer(OptimizerSpec("sgd", momentum=0.9))
    opt.lr = LR
    theta = np.array(P0)
    opt.step({"theta": theta}, {"theta": np.array(GRADS[0])})
    opt.update_spec(OptimizerSpec("sgd", momentum=0.5))
    opt.step({"theta": theta}, {"theta": np.array(GRADS[1])})
    v2 = 0.5 * np.array(GRADS[0]) + np.array(GRADS[1])
    np.testing.assert_allclose(theta, np.array(P0) - LR * np.array(GRADS[0]) - LR * v2)
    assert isinstance(opt, Sgd) and opt.steps_taken("theta") == 2


def test_lr_and_momentum_changes_apply_and_float32_matches_python_scalars() -> None:
    # knobs are cached as 0-d arrays per slot: a change must reach the next step, and the
    # float32 result must equal the same formula with Python float scalars, bit for bit
    opt = make_optimizer(OptimizerSpec("sgd", momentum=0.9))
    theta = np.array(P0, dtype=np.float32)
    p, v = np.array(P0, dtype=np.float32), np.zeros(3, dtype=np.float32)
    for t, (g, lr, mu) in enumerate(zip(GRADS, [0.1, 0.1, 0.03], [0.9, 0.5, 0.5], strict=True)):
        opt.lr = lr
        if t == 1:
            opt.update_spec(OptimizerSpec("sgd", momentum=mu))
        grad = np.array(g, dtype=np.float32)
        opt.step({"theta": theta}, {"theta": grad})
        v = v * mu + grad
        p = p - v * lr
        assert v.dtype == p.dtype == np.float32
        np.testing.assert_array_equal(theta, p, err_msg=f"step {t + 1}")


def test_adam_update_spec_beta_change_matches_formula() -> None:
    # beta1 0.9 for steps 1-2, then 0.5 at step 3; beta2 unchanged; stored moments rescale
    opt = make_optimizer(OptimizerSpec("adam"))
    opt.lr = LR
    theta = np.array(P0)
    got = []
    for t, g in enumerate(GRADS, start=1):
        if t == 3:
            opt.update_spec(OptimizerSpec("adam", beta1=0.5))
        opt.step({"theta": theta}, {"theta": np.array(g)})
        got.append(theta.copy())
    check(got, ref_adam([0.9, 0.9, 0.5], 0.999, 1e-8))


def test_rmsprop_update_spec_rho_change_matches_formula() -> None:
    opt = make_optimizer(OptimizerSpec("rmsprop", rho=0.9, momentum=0.5))
    opt.lr = LR
    theta = np.array(P0)
    p, s, b = list(P0), [0.0] * 3, [0.0] * 3
    for t, g in enumerate(GRADS, start=1):
        rho = 0.9 if t < 3 else 0.6
        if t == 3:
            opt.update_spec(OptimizerSpec("rmsprop", rho=0.6, momentum=0.5))
        opt.step({"theta": theta}, {"theta": np.array(g)})
        for i in range(3):
            s[i] = rho * s[i] + (1 - rho) * g[i] ** 2
            b[i] = 0.5 * b[i] + g[i] / (math.sqrt(s[i]) + 1e-8)
            p[i] -= LR * b[i]
        np.testing.assert_allclose(theta, p, rtol=1e-12, err_msg=f"step {t}")


def test_switching_optimizer_needs_a_new_one() -> None:
    opt = make_optimizer(OptimizerSpec("adam"))
    with pytest.raises(ValueError, match="make_optimizer"):
        opt.update_spec(OptimizerSpec("sgd"))
    theta = np.array(P0)
    opt.step({"theta": theta}, {"theta": np.array(GRADS[0])})
    fresh = make_optimizer(OptimizerSpec("sgd"))
    assert fresh.steps_taken("theta") == 0
    fresh.lr = LR
    kept = theta.copy()
    fresh.step({"theta": theta}, {"theta": np.array(GRADS[0])})
    np.testing.assert_allclose(theta, kept - LR * np.array(GRADS[0]))


def test_state_is_per_key_and_recreated_on_shape_change() -> None:
    opt = make_optimizer(OptimizerSpec("adam"))
    a, b = np.zeros(3), np.zeros(5)
    opt.step({"a": a, "b": b}, {"a": np.ones(3), "b": np.ones(5)})
    opt.step({"a": a}, {"a": np.ones(3)})
    assert (opt.steps_taken("a"), opt.steps_taken("b")) == (2, 1)
    opt.step({"a": np.zeros(4)}, {"a": np.ones(4)})  # a rebuilt model: fresh state
    assert opt.steps_taken("a") == 1
    opt.reset()
    assert opt.steps_taken("b") == 0


def test_bad_inputs_are_rejected_with_clear_messages() -> None:
    with pytest.raises(ValueError, match=r"expected optimizer name in .*adamw.*received 'adamx'"):
        OptimizerSpec("adamx")
    for bad in (
        {"momentum": 1.0},
        {"momentum": -0.1},
        {"beta1": 1.0},
        {"beta2": float("nan")},
        {"eps": 0.0},
        {"rho": 1.5},
        {"weight_decay": -1.0},
        {"weight_decay": float("inf")},
        {"nesterov": 1},
    ):
        with pytest.raises(ValueError, match=r"expected .* received"):
            OptimizerSpec("sgd", **bad)
    opt = make_optimizer(OptimizerSpec("adam"))
    assert isinstance(opt, Adam)
    with pytest.raises(ValueError, match="lr"):
        opt.lr = -0.1
    with pytest.raises(ValueError, match="shape"):
        opt.step({"theta": np.zeros(3)}, {"theta": np.zeros(2)})
    with pytest.raises(ValueError, match="floating-point"):
        opt.step({"theta": np.zeros(3, dtype=np.int64)}, {"theta": np.zeros(3, dtype=np.int64)})
    assert set(OPTIMIZERS) == {"sgd", "rmsprop", "adagrad", "adam", "adamw"}
