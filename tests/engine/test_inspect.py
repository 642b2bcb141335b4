"""The backprop inspector's numbers: finite differences, the engine's batch of one, the update."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from app.engine.gradcheck import numeric_grad, rel_error
from app.engine.inspect import StepSettings, apply_update, walkthrough
from app.engine.layers import Dropout
from app.engine.model import LayerSpec, Model, ModelSpec, build_model
from app.engine.optimizers import Optimizer, OptimizerSpec, make_optimizer

TASKS = {"binary": (1, 1.0), "multiclass": (3, 2), "regression": (1, 0.7)}


def _model(task: str, hidden: tuple[LayerSpec, ...], dtype: str = "float64") -> Model:
    n_out = TASKS[task][0]
    spec = ModelSpec(3, n_out, hidden, task=task, dtype=dtype)
    model = build_model(spec, np.random.default_rng(4))
    rng = np.random.default_rng(5)
    model.theta[:] = rng.normal(0.0, 0.6, model.theta.size)  # non-trivial biases, gamma, beta
    for _, buf in model.buffers():  # running statistics away from their initial 0 and 1
        buf[:] = rng.uniform(0.5, 1.5, buf.size)
    return model


def _sgd(lr: float = 0.1) -> Optimizer:
    opt = make_optimizer(OptimizerSpec("sgd"))
    opt.lr = lr
    return opt


X = np.array([0.3, -1.2, 0.8])
HIDDEN = (
    LayerSpec(4, "tanh", batch_norm=True),
    LayerSpec(3, "swish"),
    LayerSpec(2, "sigmoid", batch_norm=True),
)


@pytest.mark.parametrize("task", list(TASKS))
def test_gradients_match_finite_differences(task: str) -> None:
    model = _model(task, HIDDEN)
    y = TASKS[task][1]
    walk = walkthrough(model, X, y, _sgd(), StepSettings(0.1), np.random.default_rng(0))
    t = model.loss.prepare(np.asarray([y]))

    def loss() -> float:
        return model.loss.value(model.forward(X.reshape(1, -1), False), t)

    assert walk.loss == pytest.approx(loss(), rel=1e-12)
    numeric = numeric_grad(loss, model.theta)
    assert rel_error(walk.step["grad"], numeric) < 1e-6
    assert np.abs(walk.step["grad"]).max() > 1e-3  # the check compared real gradients


@pytest.mark.parametrize("task", list(TASKS))
def test_gradients_equal_the_engines_batch_of_one(task: str) -> None:
    hidden = (LayerSpec(5, "relu", batch_norm=True, dropout=0.4), LayerSpec(4, "elu", dropout=0.3))
    model = _model(task, hidden)
    y = TASKS[task][1]
    walk = walkthrough(model, X, y, _sgd(), StepSettings(0.1), np.random.default_rng(2))
    for layer, tr in zip(
        [layer for _, layer in model.layers if isinstance(layer, Dropout)],
        walk.layers,
        strict=False,
    ):
        assert tr.dropout is not None
        layer.fixed_mask = tr.dropout["mask"].reshape(1, -1)
    logits = model.forward(X.reshape(1, -1), True)
    np.testing.assert_allclose(walk.logits, logits[0], rtol=1e-12)
    dl = model.loss.grad_into(logits, model.loss.prepare(np.asarray([y])), np.empty_like(logits))
    model.backward(dl)
    np.testing.assert_allclose(walk.step["grad"], model.grad, rtol=1e-10, atol=1e-14)
    masks = np.concatenate([tr.dropout["mask"] for tr in walk.layers[:2]])
    assert (masks == 0).any() and (masks > 1).any()  # the test saw dropout at work


def test_chain_rule_pieces_fit_together() -> None:
    model = _model("binary", HIDDEN)
    walk = walkthrough(model, X, 1.0, _sgd(), StepSettings(0.1), np.random.default_rng(0))
    first, out = walk.layers[0], walk.layers[-1]
    assert first.d_a is not None and first.fprime is not None and first.d_y is not None
    np.testing.assert_allclose(first.d_y, first.d_a * first.fprime)
    np.testing.assert_allclose(first.dW, np.outer(X, first.d_z))
    np.testing.assert_allclose(out.z, walk.logits)
    p = 0.5 * np.tanh(0.5 * walk.logits[0]) + 0.5
    assert walk.output == pytest.approx(p)
    assert walk.loss == pytest.approx(-np.log(p))
    np.testing.assert_allclose(walk.d_logits, [p - 1.0])


def test_plain_sgd_update_with_l2_and_clipping() -> None:
    model = _model("regression", HIDDEN)
    settings = StepSettings(0.05, l2=0.01, clip_norm=0.5)
    walk = walkthrough(model, X, 0.7, _sgd(), settings, np.random.default_rng(0))
    g = walk.step["grad"]
    assert walk.step["grad_norm"] > 0.5  # clipping was active
    assert np.linalg.norm(g) == pytest.approx(0.5)
    # Δθ = (θ - η g) - θ: rounding of θ's size, hence atol
    np.testing.assert_allclose(walk.delta, -0.05 * g, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(
        walk.layers[0].update["W"], -0.05 * walk.layers[0].grad_used["W"], atol=1e-15
    )


@pytest.mark.parametrize(
    "spec",
    [
        OptimizerSpec("sgd", momentum=0.9),
        OptimizerSpec("sgd", momentum=0.9, nesterov=True),
        OptimizerSpec("rmsprop", momentum=0.5),
        OptimizerSpec("adagrad"),
        OptimizerSpec("adam"),
        OptimizerSpec("adamw", weight_decay=0.1),
    ],
)
def test_stateful_update_is_the_real_step_and_leaves_the_optimiser_alone(
    spec: OptimizerSpec,
) -> None:
    model = _model("binary", HIDDEN)
    opt = make_optimizer(spec)
    opt.lr = 0.01
    rng = np.random.default_rng(9)
    for _ in range(3):  # some state
        opt.step({"theta": model.theta.copy()}, {"theta": rng.normal(size=model.theta.size)})
    before = copy.deepcopy(opt._state["theta"])
    theta0 = model.theta.copy()
    walk = walkthrough(model, X, 0.0, opt, StepSettings(0.02), np.random.default_rng(0))
    after = opt._state["theta"]
    assert after.t == before.t == 3
    for name in ("a", "b", "u"):
        np.testing.assert_array_equal(getattr(after, name), getattr(before, name))
    np.testing.assert_array_equal(model.theta, theta0)
    assert walk.optimizer["name"] == spec.name and walk.optimizer["t"] == 4

    reference = copy.deepcopy(opt)
    reference.lr = 0.02
    expected = theta0.copy()
    reference.step({"theta": expected}, {"theta": walk.step["grad"].copy()})
    np.testing.assert_allclose(walk.delta, expected - theta0, rtol=1e-12, atol=1e-15)
    assert not np.allclose(walk.delta, -0.02 * walk.step["grad"])  # the state mattered

    apply_update(model, opt, walk)
    np.testing.assert_allclose(model.theta, expected, rtol=1e-12, atol=1e-15)
    assert opt.steps_taken("theta") == 4


def test_adam_state_is_shown_in_textbook_form() -> None:
    model = _model("binary", (LayerSpec(3, "tanh"),))
    opt = make_optimizer(OptimizerSpec("adam"))
    walk = walkthrough(model, X, 1.0, opt, StepSettings(0.01), np.random.default_rng(0))
    state = walk.optimizer["state"]["dense0"]["W"]
    g = walk.layers[0].grad_used["W"]
    np.testing.assert_allclose(state["m_hat"], g, rtol=1e-12)  # first step: m̂ = g, v̂ = g²
    np.testing.assert_allclose(state["v_hat"], g * g, rtol=1e-12)
    np.testing.assert_allclose(
        walk.layers[0].update["W"],
        -0.01 * state["m_hat"] / (np.sqrt(state["v_hat"]) + 1e-8),
        atol=1e-15,
    )


def test_float32_model_and_bad_input() -> None:
    model = _model("multiclass", HIDDEN, dtype="float32")
    walk = walkthrough(model, X, 1, _sgd(), StepSettings(0.1), np.random.default_rng(0))
    assert walk.layers[0].z.dtype == np.float32 and np.isfinite(walk.loss)
    with pytest.raises(ValueError, match="3 values"):
        walkthrough(model, X[:2], 1, _sgd(), StepSettings(0.1), np.random.default_rng(0))
    with pytest.raises(ValueError, match="labels"):
        walkthrough(model, X, 7, _sgd(), StepSettings(0.1), np.random.default_rng(0))
