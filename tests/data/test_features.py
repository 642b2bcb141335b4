"""Input feature transforms for 2-D data."""

from __future__ import annotations

import numpy as np
import pytest

from app.data import FEATURES, feature_labels, feature_matrix


def test_feature_values_for_known_points() -> None:
    xy = np.array([[2.0, -3.0], [0.5, 0.25]])
    names = list(FEATURES)
    assert names == [
        "x1",
        "x2",
        "x1sq",
        "x2sq",
        "x1x2",
        "sin_x1",
        "sin_x2",
        "cos_x1",
        "cos_x2",
    ]
    m = feature_matrix(xy, names)
    a, b = xy[:, 0], xy[:, 1]
    expected = np.column_stack(
        [a, b, a * a, b * b, a * b, np.sin(a), np.sin(b), np.cos(a), np.cos(b)]
    )
    assert m.shape == (2, 9) and m.dtype == np.float64
    np.testing.assert_array_equal(m, expected)
    np.testing.assert_array_equal(m[0, :5], [2.0, -3.0, 4.0, 9.0, -6.0])


def test_order_follows_the_names_given() -> None:
    xy = np.array([[1.0, 2.0]])
    np.testing.assert_array_equal(feature_matrix(xy, ["x1x2", "x1"]), [[2.0, 1.0]])


def test_labels() -> None:
    assert feature_labels(["x1", "x1sq", "x1x2", "sin_x2", "cos_x1"]) == [
        "X₁",
        "X₁²",
        "X₁X₂",
        "sin(X₂)",
        "cos(X₁)",
    ]


@pytest.mark.parametrize(
    ("names", "message"),
    [
        ([], "choose at least one input feature"),
        (["x3"], "unknown feature 'x3'; expected names from x1, x2"),
        (["x1", "x1"], "feature 'x1' is listed twice"),
        ("x1", "must be a list of names"),
    ],
)
def test_bad_names(names: list[str], message: str) -> None:
    with pytest.raises(ValueError) as err:
        feature_matrix(np.zeros((3, 2)), names)
    assert message in str(err.value)


def test_bad_points_shape() -> None:
    with pytest.raises(ValueError, match=r"expected points of shape \(n, 2\), got \(3, 3\)"):
        feature_matrix(np.zeros((3, 3)), ["x1"])
