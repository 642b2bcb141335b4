"""Model: flat parameter layout, parameter naming, whole-model gradients, predict shapes."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.activations import ACTIVATIONS
from app.engine.gradcheck import check_model
from app.engine.model import LayerSpec, ModelSpec, build_model, count_parameters


def _data(
    task: str, n: int, d: int, k: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    x = rng.normal(size=(n, d))
    if task == "binary":
        return x, (rng.random(n) > 0.5).astype(float)
    if task == "multiclass":
        return x, rng.integers(0, k, size=n)
    return x, rng.normal(size=n)


def test_flat_layout_puts_all_dense_weights_first() -> None:
    spec = ModelSpec(3, 2, (LayerSpec(4, batch_norm=True), LayerSpec(5)), "multiclass")
    m = build_model(spec, np.random.default_rng(0))
    assert m.n_params == count_parameters(spec) == 3 * 4 + 4 * 5 + 5 * 2 + 4 + 5 + 2 + 2 * 4
    assert m.n_weights == 3 * 4 + 4 * 5 + 5 * 2
    assert [s.name for s in m.segments] == [
        *("dense0.W", "dense1.W", "dense2.W", "dense0.b", "dense1.b", "dense2.b"),
        *("bn0.gamma", "bn0.beta"),
    ]
    names = [n for n, _, _ in m.parameters()]
    assert names == [
        *("dense0.W", "dense0.b", "bn0.gamma", "bn0.beta"),
        *("dense1.W", "dense1.b", "dense2.W", "dense2.b"),
    ]
    for name, value, grad in m.parameters():
        assert np.shares_memory(value, m.theta) and np.shares_memory(grad, m.grad), name
    # memory: [W1 W2 W0 | b0 b1 b2 | BN]: all weights first, b0 right after W0
    m.theta[:] = np.arange(m.n_params)
    w_views = [w for n, w, _ in m.parameters() if n.endswith(".W")]
    order = [w_views[1], w_views[2], w_views[0]]
    np.testing.assert_array_equal(
        np.concatenate([w.ravel() for w in order]), m.theta[: m.n_weights]
    )
    assert [s.start for s in m.segments][:3] == [30, 0, 20]  # dense0.W, dense1.W, dense2.W
    assert m.weight_slices[0].stop == m.bias_slices[0].start == m.n_weights
    first = m.dense_weights()[0]
    assert m._first.W_aug is not None and m._first.grad_aug is not None
    np.testing.assert_array_equal(m._first.W_aug, np.vstack([first[1], first[2]]))
    assert np.shares_memory(m._first.grad_aug, m.grad)
    assert m.dense_names == ["dense0", "dense1", "dense2"]
    assert [n for n, _, _ in m.dense_weights()] == m.dense_names
    m.theta[:] = 7.0
    assert np.all(m.dense_weights()[1][1] == 7.0)
    P = m.n_params
    assert m.theta.size == m.grad.size == m.work.size == P
    assert 3 * P <= m.flat.size < 3 * (P + 16)  # each part padded to whole 64-byte lines
    for part in (m.theta, m.grad, m.work):
        assert np.shares_memory(part, m.flat)
        assert part.ctypes.data % 64 == 0


ARCHITECTURES = [
    ("binary", (LayerSpec(5, "tanh"), LayerSpec(4, "sigmoid"))),
    ("multiclass", (LayerSpec(6, "relu", batch_norm=True), LayerSpec(4, "elu", dropout=0.3))),
    ("regression", (LayerSpec(4, "gelu", batch_norm=True, dropout=0.2),)),
    ("binary", (LayerSpec(3, "softplus"), LayerSpec(3, "swish"), LayerSpec(3, "leaky_relu"))),
    ("regression", (LayerSpec(4, "linear"), LayerSpec(3, "silu", batch_norm=True))),
    ("multiclass", ()),
]


@pytest.mark.parametrize("task,hidden", ARCHITECTURES)
def test_whole_model_gradients(task: str, hidden: tuple[LayerSpec, ...]) -> None:
    k = 3 if task == "multiclass" else 1
    spec = ModelSpec(3, k, hidden, task, init="he", dtype="float64")
    rng = np.random.default_rng(1)
    m = build_model(spec, rng)
    m.theta[m.n_weights :] += rng.normal(0.0, 0.3, size=m.n_params - m.n_weights)
    x, y = _data(task, 10, 3, k, rng)
    errors = check_model(m, x, y)
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("task,hidden", [*ARCHITECTURES, ("binary", ())])
def test_augmented_input_path_matches_the_plain_one(
    task: str, hidden: tuple[LayerSpec, ...], dtype: str
) -> None:
    # the trainer feeds [x | 1] so the first layer adds its bias inside the product
    k = 3 if task == "multiclass" else 1
    m = build_model(ModelSpec(3, k, hidden, task, init="he", dtype=dtype), np.random.default_rng(1))
    m.set_dropout([0.0] * len(hidden))  # no random masks: both passes must see the same net
    rng = np.random.default_rng(2)
    m.theta[m.n_weights :] += rng.normal(0.0, 0.3, size=m.n_params - m.n_weights).astype(dtype)
    x, y = _data(task, 10, 3, k, rng)
    x1 = m.augment(x)
    assert x1.shape == (10, 4) and np.all(x1[:, 3] == 1.0) and x1.dtype == m.dtype
    tol = 1e-12 if dtype == "float64" else 1e-5
    t = m.loss.prepare(y)
    for training in (False, True):
        plain = m.forward(x, training).copy()
        np.testing.assert_allclose(m.forward(x1, training, augmented=True), plain, rtol=tol)
    grads = []
    for aug in (False, True):
        logits = m.forward(x1 if aug else x, True, augmented=aug)
        m.backward(m.loss.grad_into(logits, t, np.empty_like(logits)))
        grads.append(m.grad.copy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=tol, atol=tol)
    with pytest.raises(ValueError, match=r"shape \(n, 3\)"):
        m.augment(x1)


def test_every_activation_in_a_model_has_correct_gradients() -> None:
    hidden = tuple(LayerSpec(3, name) for name in ACTIVATIONS)
    spec = ModelSpec(2, 1, hidden, "binary", init="xavier", init_scale=1.5, dtype="float64")
    rng = np.random.default_rng(2)
    m = build_model(spec, rng)
    m.theta[m.n_weights :] += rng.normal(0.0, 0.3, size=m.n_params - m.n_weights)  # off the kinks
    x, y = _data("binary", 6, 2, 1, rng)
    errors = check_model(m, x, y)
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize(
    "task,k,shape", [("binary", 1, (7,)), ("multiclass", 4, (7, 4)), ("regression", 1, (7,))]
)
def test_predict_shapes_and_ranges(task: str, k: int, shape: tuple[int, ...]) -> None:
    m = build_model(ModelSpec(2, k, (LayerSpec(5, dropout=0.5),), task), np.random.default_rng(3))
    x = np.random.default_rng(4).normal(size=(7, 2))
    out = m.predict(x)
    assert out.shape == shape and out.dtype == np.float32
    np.testing.assert_array_equal(out, m.predict(x))  # eval mode: no dropout noise
    if task == "multiclass":
        np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-6)
    if task == "binary":
        assert np.all((out >= 0) & (out <= 1))
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        m.predict(np.zeros((3, 5)))


def test_same_seed_same_weights_and_dropout_does_not_shift_init() -> None:
    a = build_model(ModelSpec(2, 1, (LayerSpec(4),)), np.random.default_rng(5))
    b = build_model(ModelSpec(2, 1, (LayerSpec(4, dropout=0.5),)), np.random.default_rng(5))
    np.testing.assert_array_equal(a.theta, b.theta)


def test_set_dropout_live() -> None:
    m = build_model(ModelSpec(2, 1, (LayerSpec(50), LayerSpec(50))), np.random.default_rng(6))
    x = np.ones((20, 2), dtype=np.float32)
    before = m.theta.copy()
    clean = m.forward(x, True).copy()
    m.set_dropout([0.5, 0.0])
    assert m.dropout_rates == [0.5, 0.0]
    assert not np.allclose(m.forward(x, True), clean)
    np.testing.assert_array_equal(m.forward(x, False), clean)
    np.testing.assert_array_equal(m.theta, before)
    with pytest.raises(ValueError, match="expected 2 dropout rates"):
        m.set_dropout([0.1])


def test_spec_validation_messages() -> None:
    with pytest.raises(ValueError, match="unknown activation 'foo'"):
        LayerSpec(3, "foo")
    with pytest.raises(ValueError, match="units must be a positive integer"):
        LayerSpec(0)
    with pytest.raises(ValueError, match="dropout must be in"):
        LayerSpec(3, dropout=1.0)
    with pytest.raises(ValueError, match="unknown task"):
        ModelSpec(2, 1, (), "ranking")
    with pytest.raises(ValueError, match="float32 or float64"):
        ModelSpec(2, 1, (), dtype="float16")
    with pytest.raises(ValueError, match="exactly 1 output"):
        build_model(ModelSpec(2, 3, (), "binary"), np.random.default_rng(0))
