"""Train/validation split, standardisation and the PCA projection."""

from __future__ import annotations

import numpy as np
import pytest

from app.data import Pca2, Standardizer, train_val_split


@pytest.mark.parametrize(
    ("n", "fraction", "n_val"), [(400, 0.3, 120), (10, 0.5, 5), (7, 0.1, 1), (5, 0.95, 4)]
)
def test_split_sizes_disjoint_and_complete(n: int, fraction: float, n_val: int) -> None:
    train, val = train_val_split(np.zeros(n), fraction, seed=3)
    assert len(val) == n_val and len(train) == n - n_val
    assert not set(train) & set(val)
    assert sorted([*train, *val]) == list(range(n))


def test_split_is_deterministic_per_seed() -> None:
    y = np.arange(200) % 2
    a = train_val_split(y, 0.3, 5, stratify=True)
    b = train_val_split(y, 0.3, 5, stratify=True)
    c = train_val_split(y, 0.3, 6, stratify=True)
    assert all(np.array_equal(p, q) for p, q in zip(a, b, strict=True))
    assert not np.array_equal(a[1], c[1])


def test_stratified_split_keeps_class_proportions() -> None:
    y = np.repeat([0, 1, 2], [100, 50, 10])
    train, val = train_val_split(y, 0.3, 1, stratify=True)
    assert np.bincount(y[val]).tolist() == [30, 15, 3]
    assert np.bincount(y[train]).tolist() == [70, 35, 7]
    # A class of one row stays in training.
    y = np.array([0] * 10 + [1])
    train, val = train_val_split(y, 0.5, 1, stratify=True)
    assert 10 in train and len(val) == 5


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.2, 1.5])
def test_bad_fraction(fraction: float) -> None:
    with pytest.raises(ValueError, match="val_fraction must be between 0 and 1"):
        train_val_split(np.zeros(10), fraction, 1)


def test_split_needs_two_rows() -> None:
    with pytest.raises(ValueError, match="need at least 2 rows"):
        train_val_split(np.zeros(1), 0.3, 1)


def test_standardizer_uses_only_the_data_it_was_fitted_on() -> None:
    rng = np.random.default_rng(0)
    train = rng.normal([10, -5, 3], [2, 0.5, 0], (100, 3))
    val = rng.normal([50, 50, 50], 10, (40, 3))  # very different: must not leak into the statistics
    s = Standardizer.fit(train)
    np.testing.assert_allclose(s.mean, train.mean(axis=0))
    z = s.transform(train)
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=0), [1, 1, 0], atol=1e-12)  # constant column -> 0
    zv = s.transform(val)
    np.testing.assert_allclose(zv, (val - train.mean(axis=0)) / s.scale)
    assert zv[:, 0].mean() > 10  # val keeps its own offset, measured in train units
    np.testing.assert_allclose(s.inverse(zv), val)
    assert np.all(np.isfinite(zv))


def test_standardizer_rejects_wrong_width() -> None:
    with pytest.raises(ValueError, match="expected 3 columns, got 2"):
        Standardizer.fit(np.ones((4, 3))).transform(np.ones((4, 2)))


def test_pca_finds_the_main_axes() -> None:
    rng = np.random.default_rng(1)
    latent = rng.normal(0, [5.0, 1.0, 0.1], (500, 3))
    basis = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    x = latent @ basis.T + [1, 2, 3]
    pca = Pca2.fit(x)
    assert abs(abs(pca.components[0] @ basis[:, 0]) - 1) < 1e-3
    assert abs(abs(pca.components[1] @ basis[:, 1]) - 1) < 1e-2
    assert pca.explained[0] > 0.9 and pca.explained.sum() < 1.0
    p = pca.transform(x)
    assert p.shape == (500, 2)
    np.testing.assert_allclose(p.mean(axis=0), 0, atol=1e-9)
    assert p[:, 0].var() > p[:, 1].var()
    # Sign convention: the largest loading of each axis is positive, so the result is stable.
    for c in pca.components:
        assert c[np.argmax(np.abs(c))] > 0
    np.testing.assert_array_equal(Pca2.fit(x.copy()).transform(x), p)


def test_pca_of_one_column_has_a_flat_second_axis() -> None:
    x = np.arange(10.0)[:, None]
    p = Pca2.fit(x).transform(x)
    np.testing.assert_allclose(p[:, 0], x[:, 0] - 4.5)
    np.testing.assert_array_equal(p[:, 1], 0)


def test_pca_axes_match_an_svd_of_the_centred_table() -> None:
    rng = np.random.default_rng(8)
    x = rng.normal(size=(300, 20)) @ rng.normal(size=(20, 20))
    pca = Pca2.fit(x)
    _, s, vt = np.linalg.svd(x - x.mean(axis=0), full_matrices=False)
    for i in range(2):
        sign = np.sign(vt[i, np.argmax(np.abs(vt[i]))])
        np.testing.assert_allclose(pca.components[i], sign * vt[i], atol=1e-9)
    np.testing.assert_allclose(pca.explained, s[:2] ** 2 / np.sum(s**2), rtol=1e-9)
