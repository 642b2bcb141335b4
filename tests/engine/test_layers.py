"""Layers: gradient checks (float64) and the train/eval behaviour of BatchNorm and Dropout."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from app.engine.gradcheck import check_layer
from app.engine.layer_base import MAX_CACHED_SIZES, cache_buffers
from app.engine.layers import SMALL_GEMM, ActivationLayer, BatchNorm, Dense, Dropout, _blocks


def test_dense_gradients() -> None:
    rng = np.random.default_rng(0)
    layer = Dense.create(4, 3)
    layer.W[:] = rng.normal(size=(4, 3))
    layer.b[:] = rng.normal(size=3)
    errors = check_layer(layer, rng.normal(size=(6, 4)), rng)
    assert max(errors.values()) < 1e-6, errors


def test_dense_forward_is_xw_plus_b_and_works_for_several_batch_sizes() -> None:
    rng = np.random.default_rng(1)
    layer = Dense.create(3, 2)
    layer.W[:] = rng.normal(size=(3, 2))
    layer.b[:] = [1.0, -1.0]
    for n in (1, 5, 2, 5):
        x = rng.normal(size=(n, 3))
        np.testing.assert_allclose(layer.forward(x, True), x @ layer.W + layer.b)


def test_buffer_cache_is_bounded_and_layers_stay_right_past_it() -> None:
    cache: dict[int, str] = {}
    for n in range(MAX_CACHED_SIZES):
        assert cache_buffers(cache, n, f"b{n}") == f"b{n}"
    assert len(cache) == MAX_CACHED_SIZES
    cache_buffers(cache, 99, "new")
    assert cache == {99: "new"}
    rng = np.random.default_rng(2)
    layer = Dense.create(3, 2)
    layer.W[:] = rng.normal(size=(3, 2))
    for n in [*range(1, 2 * MAX_CACHED_SIZES + 2), 1, 2]:
        x = rng.normal(size=(n, 3))
        np.testing.assert_allclose(layer.forward(x, True), x @ layer.W)
    assert len(layer._bufs) <= MAX_CACHED_SIZES


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dense_forward_in_row_blocks_for_tall_inputs(dtype: type) -> None:
    rng = np.random.default_rng(4)
    layer = Dense.create(64, 10, dtype)
    layer.W[:] = rng.normal(size=layer.W.shape)
    layer.b[:] = rng.normal(size=10)
    x = rng.normal(size=(1800, 64)).astype(dtype)
    blocks = _blocks(np.empty((1800, 10), dtype), 64)
    assert [(a, b) for a, b, _ in blocks] == [(0, 900), (900, 1800)]
    z = layer.forward(x, False)
    np.testing.assert_allclose(z, x @ layer.W + layer.b, rtol=1e-5, atol=1e-5)
    short = layer.forward(x[:100], False)  # another row count: its own buffers, one product
    np.testing.assert_allclose(short, x[:100] @ layer.W + layer.b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [64, 16, 8])  # 64, 16: dz copied column-major first; 8: not
def test_dense_backward_of_a_wide_layer(dtype: type, n: int) -> None:
    rng = np.random.default_rng(5)
    layer = Dense.create(128, 64, dtype)
    layer.W[:] = rng.normal(size=layer.W.shape)
    x = rng.normal(size=(n, 128)).astype(dtype)
    dout = rng.normal(size=(n, 64)).astype(dtype)
    before = dout.copy()
    layer.forward(x, True)
    dx = layer.backward(dout)
    assert (layer._cur[4] is not None) == (n >= 16)
    np.testing.assert_array_equal(dout, before)  # backward never modifies its input
    w64, x64, d64 = (a.astype(np.float64) for a in (layer.W, x, dout))
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(dx, d64 @ w64.T, rtol=tol, atol=tol)
    np.testing.assert_allclose(layer.gW, x64.T @ d64, rtol=tol, atol=tol)
    np.testing.assert_allclose(layer.gb, d64.sum(axis=0), rtol=tol, atol=tol)


def test_row_blocks_cover_every_row_within_the_small_product_size() -> None:
    for n, n_in, n_out in [(1800, 64, 128), (1000, 32, 32), (1801, 128, 64), (70000, 2, 8)]:
        blocks = _blocks(np.empty((n, n_out)), n_in)
        assert blocks, (n, n_in, n_out)
        assert blocks[0][0] == 0 and blocks[-1][1] == n
        assert all(b[1] == c[0] for b, c in itertools.pairwise(blocks))
        assert all((b - a) * n_in * n_out <= SMALL_GEMM for a, b, _ in blocks)
    assert _blocks(np.empty((64, 128)), 64) == []  # small enough for one product
    assert _blocks(np.empty((100000, 1)), 64) == []  # a single output column stays one call


def test_standalone_dense_has_no_augmented_path() -> None:
    layer = Dense.create(3, 2)
    with pytest.raises(ValueError, match="W_aug"):
        layer.forward_augmented(np.ones((4, 4)), True)


def test_dense_rejects_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match=r"W \(in, out\)"):
        Dense(np.zeros((3, 2)), np.zeros(3), np.zeros((3, 2)), np.zeros(3))


@pytest.mark.parametrize("name", ["relu", "tanh", "sigmoid", "gelu", "linear"])
def test_activation_layer_gradients(name: str) -> None:
    rng = np.random.default_rng(2)
    errors = check_layer(ActivationLayer(name), rng.normal(size=(5, 4)) + 0.01, rng)
    assert errors["x"] < 1e-6


def test_batchnorm_train_mode_gradients() -> None:
    rng = np.random.default_rng(3)
    bn = BatchNorm.create(4)
    bn.gamma[:] = rng.normal(size=4)
    bn.beta[:] = rng.normal(size=4)
    errors = check_layer(bn, rng.normal(2.0, 3.0, size=(8, 4)), rng)
    assert max(errors.values()) < 1e-6, errors


def test_batchnorm_normalises_in_training_and_uses_running_stats_in_eval() -> None:
    rng = np.random.default_rng(4)
    bn = BatchNorm.create(3, momentum=0.5)
    x = rng.normal(5.0, 2.0, size=(200, 3))
    y = bn.forward(x, True)
    np.testing.assert_allclose(y.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.std(axis=0), 1.0, atol=1e-4)
    # running <- 0.5 * running + 0.5 * batch (var unbiased), from mean 0 / var 1
    np.testing.assert_allclose(bn.running_mean, 0.5 * x.mean(axis=0))
    np.testing.assert_allclose(bn.running_var, 0.5 + 0.5 * x.var(axis=0, ddof=1))
    bn.running_mean[:] = [1.0, 2.0, 3.0]
    bn.running_var[:] = [4.0, 1.0, 0.25]
    bn.gamma[:] = 2.0
    bn.beta[:] = 1.0
    xe = rng.normal(size=(4, 3))
    expected = 2.0 * (xe - [1.0, 2.0, 3.0]) / np.sqrt(np.array([4.0, 1.0, 0.25]) + bn.eps) + 1.0
    np.testing.assert_allclose(bn.forward(xe, False), expected)
    np.testing.assert_allclose(bn.running_mean, [1.0, 2.0, 3.0])  # eval leaves them alone


def test_batchnorm_normalises_a_one_row_training_batch_with_the_running_stats() -> None:
    rng = np.random.default_rng(7)
    bn = BatchNorm.create(3)
    bn.forward(rng.normal(2.0, 3.0, size=(16, 3)), True)  # running stats away from 0 / 1
    bn.gamma[:] = rng.normal(size=3)
    bn.beta[:] = rng.normal(size=3)
    mean, var = bn.running_mean.copy(), bn.running_var.copy()
    x = rng.normal(2.0, 3.0, size=(1, 3))
    expected = bn.forward(x, False).copy()
    out = bn.forward(x, True)
    np.testing.assert_allclose(out, expected, rtol=1e-14)
    assert not np.allclose(out, bn.beta)  # not the batch-statistics answer, which is beta
    np.testing.assert_array_equal(bn.running_mean, mean)  # left unchanged
    np.testing.assert_array_equal(bn.running_var, var)
    dout = rng.normal(size=(1, 3))
    dx = bn.backward(dout)
    np.testing.assert_allclose(dx, dout * bn.gamma / np.sqrt(var + bn.eps), rtol=1e-14)
    errors = check_layer(bn, x, rng)
    assert max(errors.values()) < 1e-6, errors


def test_batchnorm_two_row_batch_still_uses_batch_statistics() -> None:
    bn = BatchNorm.create(2)
    out = bn.forward(np.array([[0.0, 1.0], [2.0, 5.0]]), True)
    np.testing.assert_allclose(out, [[-1.0, -1.0], [1.0, 1.0]], atol=1e-5)
    np.testing.assert_allclose(bn.running_var, 0.9 + 0.1 * np.array([2.0, 8.0]))


def test_dropout_with_a_fixed_mask_gradients() -> None:
    rng = np.random.default_rng(5)
    drop = Dropout(0.4, np.random.default_rng(6))
    x = rng.normal(size=(6, 5))
    drop.forward(x, True)
    assert drop.mask is not None
    drop.fixed_mask = drop.mask.copy()
    assert check_layer(drop, x, rng)["x"] < 1e-6


def test_dropout_keeps_the_expected_scale_and_is_off_in_eval() -> None:
    drop = Dropout(0.3, np.random.default_rng(7), np.float32)
    x = np.ones((400, 250), dtype=np.float32)
    y = drop.forward(x, True)
    assert y.dtype == np.float32
    assert abs(float(y.mean()) - 1.0) < 0.01
    assert abs(float(np.mean(y == 0)) - 0.3) < 0.01
    np.testing.assert_allclose(np.unique(y), [0.0, 1.0 / 0.7], rtol=1e-6)
    assert drop.forward(x, False) is x
    drop.rate = 0.0
    assert drop.forward(x, True) is x
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        drop.rate = 1.0
