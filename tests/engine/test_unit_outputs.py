"""hidden_outputs: each hidden unit's inference output equals the model's own eval pass."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.layers import ActivationLayer
from app.engine.model import LayerSpec, ModelSpec, build_model
from app.engine.unit_outputs import hidden_outputs


def _layer_outputs(model, x):  # type: ignore[no-untyped-def]
    """(pre, post) after every activation layer of the model's own eval pass."""
    out = []
    a = np.asarray(x, dtype=model.dtype)
    for _, layer in model.layers:
        a = layer.forward(a, False)
        if isinstance(layer, ActivationLayer):
            out.append((layer.pre_activation.copy(), a.copy()))
    return out


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "elu", "swish", "linear"])
def test_matches_the_models_eval_pass_with_batch_norm_and_dropout(activation: str) -> None:
    rng = np.random.default_rng(3)
    spec = ModelSpec(
        3,
        2,
        (
            LayerSpec(5, activation, batch_norm=True, dropout=0.3),
            LayerSpec(4, "tanh", dropout=0.5),
            LayerSpec(6, activation, batch_norm=True),
        ),
        "multiclass",
    )
    model = build_model(spec, rng)
    x = rng.normal(size=(40, 3))
    for _ in range(5):  # training passes move the batch-norm running statistics off 0 / 1
        model.forward(x, True)
    expected = _layer_outputs(model, x)
    got = hidden_outputs(model, x)
    assert [g.name for g in got] == ["dense0", "dense1", "dense2"]
    for g, (pre, post) in zip(got, expected, strict=True):
        assert g.post.shape == post.shape
        np.testing.assert_allclose(g.pre, pre, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(g.post, post, rtol=1e-5, atol=1e-6)
    # and the last hidden output feeds the logits exactly as in predict
    W, b = model.blocks[-1].dense.W, model.blocks[-1].dense.b
    np.testing.assert_allclose(got[-1].post @ W + b, model.forward(x, False), rtol=1e-4, atol=1e-5)


def test_leaves_the_model_untouched() -> None:
    rng = np.random.default_rng(0)
    model = build_model(ModelSpec(2, 1, (LayerSpec(8, "relu", batch_norm=True),)), rng)
    x = rng.normal(size=(30, 2))
    model.forward(x, True)
    flat, state = model.flat.copy(), model.state.copy()
    act = model.blocks[0].activation
    assert act is not None
    last_z = act.pre_activation
    hidden_outputs(model, rng.normal(size=(17, 2)))
    assert np.array_equal(model.flat, flat) and np.array_equal(model.state, state)
    assert act.pre_activation is last_z  # what backward would read is still the training batch


def test_rejects_inputs_of_the_wrong_width() -> None:
    model = build_model(ModelSpec(2, 1, (LayerSpec(3),)), np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"expected x of shape \(n, 2\)"):
        hidden_outputs(model, np.zeros((4, 3)))
