"""Input features for 2-D data, as toggled in TensorFlow Playground (plus the two cosines)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

Column = Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.float64]]


@dataclass(frozen=True)
class FeatureInfo:
    """One input feature: its id, its display label and how it is computed from (x1, x2)."""

    name: str
    label: str
    fn: Column = field(repr=False, compare=False)


FEATURES: Mapping[str, FeatureInfo] = MappingProxyType(
    {
        f.name: f
        for f in (
            FeatureInfo("x1", "X₁", lambda a, b: a),
            FeatureInfo("x2", "X₂", lambda a, b: b),
            FeatureInfo("x1sq", "X₁²", lambda a, b: a * a),
            FeatureInfo("x2sq", "X₂²", lambda a, b: b * b),
            FeatureInfo("x1x2", "X₁X₂", lambda a, b: a * b),
            FeatureInfo("sin_x1", "sin(X₁)", lambda a, b: np.sin(a)),
            FeatureInfo("sin_x2", "sin(X₂)", lambda a, b: np.sin(b)),
            FeatureInfo("cos_x1", "cos(X₁)", lambda a, b: np.cos(a)),
            FeatureInfo("cos_x2", "cos(X₂)", lambda a, b: np.cos(b)),
        )
    }
)
DEFAULT_FEATURES = ("x1", "x2")


def check_features(names: Sequence[str]) -> tuple[str, ...]:
    """Validate a feature list (non-empty, known, no repeats) and return it as a tuple."""
    if isinstance(names, str):
        raise ValueError(f"features must be a list of names, got the string {names!r}")
    names = tuple(names)
    if not names:
        raise ValueError(f"choose at least one input feature from {', '.join(FEATURES)}")
    unknown = [n for n in names if n not in FEATURES]
    if unknown:
        raise ValueError(
            f"unknown feature {unknown[0]!r}; expected names from {', '.join(FEATURES)}"
        )
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise ValueError(f"feature {dup!r} is listed twice")
    return names


def feature_labels(names: Sequence[str]) -> list[str]:
    """Display labels ("X₁²", "sin(X₁)", ...) for feature names."""
    return [FEATURES[n].label for n in check_features(names)]


def feature_matrix(xy: NDArray[np.floating], names: Sequence[str]) -> NDArray[np.float64]:
    """Model inputs (n, k): column j is feature names[j] of the points xy (n, 2)."""
    names = check_features(names)
    pts = np.asarray(xy, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ValueError(f"expected points of shape (n, 2), got {pts.shape}")
    out = np.empty((pts.shape[0], len(names)), dtype=np.float64)
    a, b = pts[:, 0], pts[:, 1]
    for j, n in enumerate(names):
        out[:, j] = FEATURES[n].fn(a, b)
    return out
