"""Generators: shapes, bounds, balance, determinism, task and the geometry of each shape."""

from __future__ import annotations

import numpy as np
import pytest

from app.data import GENERATORS, MAX_SAMPLES, MIN_SAMPLES, generate

CASES = [
    (name, k)
    for name, info in GENERATORS.items()
    for k in (info.classes if len(info.classes) > 1 else (None,))
]
CLASSIFIERS = [(n, k) for n, k in CASES if GENERATORS[n].classes]
# Shapes whose noise moves points (labels stay exact) rather than flipping labels near a border.
POSITION_NOISE = {"gaussian", "spiral", "moons", "blobs"}


def test_registry_is_complete_and_consistent() -> None:
    expected = {"circle", "xor", "gaussian", "spiral", "moons", "checkerboard", "blobs"}
    assert expected | {"plane", "multi_gaussian", "sine"} == set(GENERATORS)
    for name, info in GENERATORS.items():
        assert info.name == name
        assert info.task in ("binary", "multiclass", "regression")
        if info.classes:
            assert info.default_classes in info.classes
            assert info.task == info.task_for(None)
        else:
            assert info.default_classes is None and info.task == "regression"
    assert GENERATORS["spiral"].classes == (2, 3, 4, 5, 6)
    assert GENERATORS["spiral"].task_for(2) == "binary"
    assert GENERATORS["spiral"].task_for(4) == "multiclass"
    assert GENERATORS["blobs"].task == "multiclass"


@pytest.mark.parametrize(("name", "classes"), CASES)
@pytest.mark.parametrize("noise", [0.0, 0.5, 1.0])
def test_shape_dtype_bounds(name: str, classes: int | None, noise: float) -> None:
    x, y = generate(name, 301, noise, 7, classes)
    assert x.shape == (301, 2) and x.dtype == np.float64
    assert y.shape == (301,)
    assert np.all(np.isfinite(x)) and np.all(np.abs(x) <= 6.0)
    if GENERATORS[name].task_for(classes) == "regression":
        assert y.dtype == np.float64 and np.all(np.isfinite(y))
        assert np.all(np.abs(y) <= 1.2 * (1 + noise))  # plane: (x1 + x2) / 10 at a moved point
    else:
        k = classes or GENERATORS[name].default_classes
        assert y.dtype == np.int64
        assert set(np.unique(y)) == set(range(k))  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "classes"), CLASSIFIERS)
def test_labels_balanced(name: str, classes: int | None) -> None:
    k = classes or GENERATORS[name].default_classes or 2
    _, y = generate(name, 600, 0.0, 3, classes)
    counts = np.bincount(y, minlength=k)
    assert counts.max() - counts.min() <= 1, counts
    _, y = generate(name, 601, 0.3, 3, classes)
    counts = np.bincount(y, minlength=k)
    if name in POSITION_NOISE:
        assert counts.max() - counts.min() <= 1, counts
    else:  # label noise flips some labels near the border, but never most of a class
        assert counts.min() >= 0.3 * 601 / k, counts


@pytest.mark.parametrize(("name", "classes"), CASES)
def test_deterministic_for_a_seed(name: str, classes: int | None) -> None:
    x1, y1 = generate(name, 200, 0.2, 11, classes)
    x2, y2 = generate(name, 200, 0.2, 11, classes)
    x3, _ = generate(name, 200, 0.2, 12, classes)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.allclose(x1, x3)
    # Even without noise another seed draws other points ("regenerate" must change something).
    assert not np.allclose(
        generate(name, 200, 0.0, 1, classes)[0], generate(name, 200, 0.0, 2, classes)[0]
    )


def test_circle_geometry() -> None:
    x, y = generate("circle", 500, 0.0, 1)
    r = np.hypot(x[:, 0], x[:, 1])
    assert np.all(r[y == 1] < 2.5) and np.all((r[y == 0] >= 3.5) & (r[y == 0] <= 5.0))


def test_xor_geometry() -> None:
    x, y = generate("xor", 500, 0.0, 1)
    assert np.array_equal(y == 1, x[:, 0] * x[:, 1] >= 0)
    assert np.all(np.abs(x) >= 0.3) and np.all(np.abs(x) <= 5.3)


def test_gaussian_centres_and_noise_spread() -> None:
    x, y = generate("gaussian", 2000, 0.0, 1)
    np.testing.assert_allclose(x[y == 1].mean(axis=0), [2, 2], atol=0.1)
    np.testing.assert_allclose(x[y == 0].mean(axis=0), [-2, -2], atol=0.1)
    np.testing.assert_allclose(x[y == 1].std(axis=0), np.sqrt(0.5), rtol=0.1)
    wide, wy = generate("gaussian", 2000, 0.2, 1)
    np.testing.assert_allclose(wide[wy == 1].std(axis=0), np.sqrt(0.5 + 1.4), rtol=0.1)


def test_spiral_arms() -> None:
    for k in (2, 3, 6):
        x, y = generate("spiral", 600, 0.0, 1, k)
        r = np.hypot(x[:, 0], x[:, 1])
        assert r.max() <= 5.0
        # Angle along the arm: t = 1.75·2π·r/5 + 2πc/k, with (sin t, cos t) = x / r.
        t = np.arctan2(x[:, 0], x[:, 1])
        expected = 1.75 * 2 * np.pi * r / 5 + 2 * np.pi * y / k
        diff = np.angle(np.exp(1j * (t - expected)))
        assert np.all(np.abs(diff[r > 1e-6]) < 1e-9)


def test_moons_and_checkerboard_geometry() -> None:
    x, y = generate("moons", 500, 0.0, 1)
    upper = (x[y == 0] / 3.5) + [0.5, 0.25]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    assert x[y == 0, 1].mean() > x[y == 1, 1].mean()
    x, y = generate("checkerboard", 500, 0.0, 1)
    parity = (np.floor(x[:, 0] / 3) + np.floor(x[:, 1] / 3)) % 2
    assert np.array_equal(y == 1, parity == 0)


def test_blobs_nearest_centre_is_the_label_without_noise() -> None:
    x, y = generate("blobs", 600, 0.0, 1, 4)
    angle = np.pi / 2 + 2 * np.pi * np.arange(4) / 4
    centres = 4 * np.column_stack([np.cos(angle), np.sin(angle)])
    nearest = np.argmin(((x[:, None, :] - centres) ** 2).sum(axis=2), axis=1)
    assert np.mean(nearest == y) > 0.99


def test_regression_targets_without_noise() -> None:
    x, y = generate("plane", 300, 0.0, 1)
    np.testing.assert_allclose(y, (x[:, 0] + x[:, 1]) / 10)
    x, y = generate("sine", 300, 0.0, 1)
    np.testing.assert_allclose(y, np.sin(np.pi * np.hypot(x[:, 0], x[:, 1]) / 2))
    x, y = generate("multi_gaussian", 2000, 0.0, 1)
    assert -1 <= y.min() < -0.5 and 0.5 < y.max() <= 1
    near = np.hypot(x[:, 0] + 4, x[:, 1] - 2.5) < 0.3  # the (+) bump at (-4, 2.5)
    assert np.all(y[near] > 0.8)


def test_label_noise_changes_labels_not_points() -> None:
    x0, y0 = generate("xor", 1000, 0.0, 5)
    x1, y1 = generate("xor", 1000, 0.5, 5)
    flipped = np.mean((y1 == 1) != (x1[:, 0] * x1[:, 1] >= 0))
    assert 0.05 < flipped < 0.5
    assert np.array_equal((y0 == 1), (x0[:, 0] * x0[:, 1] >= 0))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "donut"}, "unknown dataset 'donut'; expected one of circle"),
        ({"samples": MIN_SAMPLES - 1}, f"samples must be in {MIN_SAMPLES}..{MAX_SAMPLES}, got 9"),
        ({"samples": MAX_SAMPLES + 1}, "got 5001"),
        ({"samples": 100.0}, "samples must be an integer"),
        ({"samples": True}, "samples must be an integer"),
        ({"noise": -0.1}, "noise must be in [0, 1]"),
        ({"noise": 1.5}, "noise must be in [0, 1], got 1.5"),
        ({"noise": "a lot"}, "noise must be a number"),
        ({"seed": -1}, "seed must be a non-negative integer"),
        ({"name": "circle", "classes": 3}, "circle takes classes in {2}, got 3"),
        ({"name": "spiral", "classes": 7}, "spiral takes classes in {2, 3, 4, 5, 6}, got 7"),
        ({"name": "blobs", "classes": 1}, "got 1"),
        ({"name": "plane", "classes": 2}, "plane is a regression dataset and takes no classes"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"name": "spiral", "samples": 100, "noise": 0.1, "seed": 1}
    args.update(kwargs)
    with pytest.raises(ValueError) as err:
        generate(**args)  # type: ignore[arg-type]
    assert message in str(err.value)


def test_size_bounds_accepted() -> None:
    assert generate("circle", MIN_SAMPLES, 0.1, 0)[0].shape == (MIN_SAMPLES, 2)
    assert generate("blobs", MAX_SAMPLES, 0.1, 0, 6)[0].shape == (MAX_SAMPLES, 2)
