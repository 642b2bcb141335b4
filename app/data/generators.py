"""2-D toy datasets in [-6, 6]², after TensorFlow Playground's generators (dataset.ts).

``noise`` is in [0, 1]: a fraction of each shape's natural scale, with the Playground's own formulas
(the Playground's noise slider, 0..50, is ``noise`` 0..0.5; values up to 1 extend it):

- circle, xor, checkerboard, plane, multi_gaussian, sine: the label is computed at the point moved
  by ``U(-s, s) * noise`` per axis (s = 5 for circle/xor, 6 for regression, 3 = a cell for
  checkerboard), so noise blurs the class border (labels near it flip) while points stay in place.
- gaussian: variance ``0.5 + 7 * noise`` around (2, 2) and (-2, -2); blobs: standard deviation
  ``0.5 + 2.5 * noise`` around centres on a circle of radius 4.
- spiral: each coordinate moves by ``U(-1, 1) * noise``; moons: Gaussian jitter with standard
  deviation ``noise * 3.5`` (the moon radius).

Points are clipped to [-6, 6]². Classes are balanced exactly before label noise; the returned
points are shuffled. Labels are int64 class indices; regression targets are float64 in about
[-1, 1].
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

Generator = np.random.Generator
Points = tuple[NDArray[np.float64], NDArray[Any]]
GenFn = Callable[[Generator, int, float, int], Points]

EXTENT = 6.0
MIN_SAMPLES = 10
MAX_SAMPLES = 5000
TASKS = ("binary", "multiclass", "regression")


def _split_counts(n: int, k: int) -> list[int]:
    """Sizes of k classes summing to n that differ by at most one."""
    return [n // k + (1 if c < n % k else 0) for c in range(k)]


def _class_labels(n: int, k: int) -> NDArray[np.int64]:
    """Balanced label vector 0..k-1 (in blocks)."""
    return np.repeat(np.arange(k, dtype=np.int64), _split_counts(n, k))


def _circle(rng: Generator, n: int, noise: float, k: int) -> Points:
    """Class 1 inside radius 2.5, class 0 in the ring 3.5..5."""
    radius = 5.0
    y0 = _class_labels(n, 2)
    r = np.where(y0 == 1, rng.uniform(0, radius * 0.5, n), rng.uniform(radius * 0.7, radius, n))
    angle = rng.uniform(0, 2 * np.pi, n)
    xy = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
    moved = xy + rng.uniform(-radius, radius, (n, 2)) * noise
    y = (np.hypot(moved[:, 0], moved[:, 1]) < radius * 0.5).astype(np.int64)
    return xy, y


def _xor(rng: Generator, n: int, noise: float, k: int) -> Points:
    """Class 1 where x1·x2 >= 0; points kept 0.3 away from the axes."""
    y0 = _class_labels(n, 2)
    mag = rng.uniform(0.3, 5.3, (n, 2))
    sx = rng.choice(np.array([-1.0, 1.0]), n)
    sy = np.where(y0 == 1, sx, -sx)
    xy = mag * np.column_stack([sx, sy])
    moved = xy + rng.uniform(-5, 5, (n, 2)) * noise
    y = (moved[:, 0] * moved[:, 1] >= 0).astype(np.int64)
    return xy, y


def _gaussian(rng: Generator, n: int, noise: float, k: int) -> Points:
    """Two Gaussians: class 1 around (2, 2), class 0 around (-2, -2)."""
    y = _class_labels(n, 2)
    std = np.sqrt(0.5 + 7.0 * noise)
    centre = np.where(y == 1, 2.0, -2.0)[:, None]
    return centre + rng.normal(0.0, std, (n, 2)), y


def _spiral(rng: Generator, n: int, noise: float, k: int) -> Points:
    """k interleaved spiral arms (k = 2 is the Playground's two-arm spiral)."""
    y = _class_labels(n, k)
    u = rng.uniform(0, 1, n)
    r = u * 5.0
    t = 1.75 * u * 2 * np.pi + 2 * np.pi * y / k
    xy = np.column_stack([r * np.sin(t), r * np.cos(t)])
    return xy + rng.uniform(-1, 1, (n, 2)) * noise, y


def _moons(rng: Generator, n: int, noise: float, k: int) -> Points:
    """Two interleaving half circles (class 0 upper, class 1 lower), radius 3.5."""
    y = _class_labels(n, 2)
    t = rng.uniform(0, np.pi, n)
    upper = np.column_stack([np.cos(t), np.sin(t)])
    lower = np.column_stack([1 - np.cos(t), 0.5 - np.sin(t)])
    unit = np.where((y == 0)[:, None], upper, lower) - np.array([0.5, 0.25])
    radius = 3.5
    return unit * radius + rng.normal(0.0, noise * radius, (n, 2)), y


def _checkerboard(rng: Generator, n: int, noise: float, k: int) -> Points:
    """4×4 board of 3×3 cells; class 1 where floor(x1/3) + floor(x2/3) is even."""
    cell = 3.0
    y0 = _class_labels(n, 2)
    ij = np.array([(i, j) for i in range(4) for j in range(4)])
    even = ij[(ij.sum(axis=1) % 2) == 0]
    odd = ij[(ij.sum(axis=1) % 2) == 1]
    pick = rng.integers(0, len(even), n)
    cells = np.where((y0 == 1)[:, None], even[pick], odd[pick])
    xy = (cells + rng.uniform(0, 1, (n, 2))) * cell - EXTENT
    moved = xy + rng.uniform(-cell, cell, (n, 2)) * noise
    parity = (np.floor(moved[:, 0] / cell) + np.floor(moved[:, 1] / cell)) % 2
    return xy, (parity == 0).astype(np.int64)


def _blobs(rng: Generator, n: int, noise: float, k: int) -> Points:
    """k Gaussian blobs with centres evenly spaced on a circle of radius 4."""
    y = _class_labels(n, k)
    angle = np.pi / 2 + 2 * np.pi * np.arange(k) / k
    centres = 4.0 * np.column_stack([np.cos(angle), np.sin(angle)])
    return centres[y] + rng.normal(0.0, 0.5 + 2.5 * noise, (n, 2)), y


def _uniform_moved(rng: Generator, n: int, noise: float) -> tuple[NDArray[np.float64], ...]:
    """Uniform points in the square and the same points moved by the label noise."""
    xy = rng.uniform(-EXTENT, EXTENT, (n, 2))
    return xy, xy + rng.uniform(-EXTENT, EXTENT, (n, 2)) * noise


def _plane(rng: Generator, n: int, noise: float, k: int) -> Points:
    """Target (x1 + x2) / 10."""
    xy, moved = _uniform_moved(rng, n, noise)
    return xy, moved.sum(axis=1) / 10.0


_BUMPS = np.array(
    [[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]],
    dtype=np.float64,
)


def _multi_gaussian(rng: Generator, n: int, noise: float, k: int) -> Points:
    """Six signed bumps; target = the bump value of largest magnitude, max(0, 1 - d/2)·sign."""
    xy, moved = _uniform_moved(rng, n, noise)
    d = np.hypot(moved[:, None, 0] - _BUMPS[:, 0], moved[:, None, 1] - _BUMPS[:, 1])
    vals = np.clip(1.0 - d / 2.0, 0.0, 1.0) * _BUMPS[:, 2]
    best = np.argmax(np.abs(vals), axis=1)
    return xy, vals[np.arange(n), best]


def _sine(rng: Generator, n: int, noise: float, k: int) -> Points:
    """Radial sine ripple: target sin(π·r/2), r = distance from the origin (wavelength 4)."""
    xy, moved = _uniform_moved(rng, n, noise)
    return xy, np.sin(np.pi * np.hypot(moved[:, 0], moved[:, 1]) / 2.0)


@dataclass(frozen=True)
class GeneratorInfo:
    """One generator: its task at the default class count and the class counts it accepts."""

    name: str
    title: str
    task: str
    classes: tuple[int, ...]  # allowed class counts; () for regression
    default_classes: int | None
    fn: GenFn = field(repr=False, compare=False)

    def task_for(self, classes: int | None) -> str:
        """Task for a class count (None = default): binary, multiclass or regression."""
        if not self.classes:
            return "regression"
        k = self.default_classes if classes is None else classes
        return "binary" if k == 2 else "multiclass"


def _info(
    name: str, title: str, fn: GenFn, classes: tuple[int, ...], default: int | None
) -> GeneratorInfo:
    task = "regression" if not classes else ("binary" if default == 2 else "multiclass")
    return GeneratorInfo(name, title, task, classes, default, fn)


_VARIABLE = (2, 3, 4, 5, 6)
GENERATORS: Mapping[str, GeneratorInfo] = MappingProxyType(
    {
        g.name: g
        for g in (
            _info("circle", "Circle", _circle, (2,), 2),
            _info("xor", "Exclusive or", _xor, (2,), 2),
            _info("gaussian", "Two Gaussians", _gaussian, (2,), 2),
            _info("spiral", "Spiral", _spiral, _VARIABLE, 2),
            _info("moons", "Two moons", _moons, (2,), 2),
            _info("checkerboard", "Checkerboard", _checkerboard, (2,), 2),
            _info("blobs", "Blobs", _blobs, _VARIABLE, 3),
            _info("plane", "Plane (regression)", _plane, (), None),
            _info("multi_gaussian", "Multi-Gaussian (regression)", _multi_gaussian, (), None),
            _info("sine", "Sine ripple (regression)", _sine, (), None),
        )
    }
)


def check_args(name: str, samples: int, noise: float, seed: int, classes: int | None) -> int:
    """Validate generator arguments; return the effective class count (0 for regression)."""
    if name not in GENERATORS:
        raise ValueError(f"unknown dataset {name!r}; expected one of {', '.join(GENERATORS)}")
    if isinstance(samples, bool) or not isinstance(samples, int | np.integer):
        raise ValueError(f"samples must be an integer, got {samples!r}")
    if not MIN_SAMPLES <= samples <= MAX_SAMPLES:
        raise ValueError(f"samples must be in {MIN_SAMPLES}..{MAX_SAMPLES}, got {samples}")
    if isinstance(noise, bool) or not isinstance(noise, int | float | np.floating | np.integer):
        raise ValueError(f"noise must be a number in [0, 1], got {noise!r}")
    if not 0.0 <= float(noise) <= 1.0:
        raise ValueError(f"noise must be in [0, 1], got {noise}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    info = GENERATORS[name]
    if not info.classes:
        if classes is not None:
            raise ValueError(f"{name} is a regression dataset and takes no classes, got {classes}")
        return 0
    k = info.default_classes if classes is None else classes
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k not in info.classes:
        allowed = ", ".join(map(str, info.classes))
        raise ValueError(f"{name} takes classes in {{{allowed}}}, got {classes!r}")
    return int(k)


def generate(
    name: str, samples: int, noise: float, seed: int, classes: int | None = None
) -> tuple[NDArray[np.float64], NDArray[Any]]:
    """Points x (n, 2) float64 in [-6, 6]² and targets y (n,): int64 classes or float64 values."""
    k = check_args(name, samples, noise, seed, classes)
    rng = np.random.default_rng(int(seed))
    n = int(samples)
    xy, y = GENERATORS[name].fn(rng, n, float(noise), k)
    order = rng.permutation(n)
    xy = np.clip(np.asarray(xy, dtype=np.float64)[order], -EXTENT, EXTENT)
    y = y[order].astype(np.float64 if k == 0 else np.int64)
    return np.ascontiguousarray(xy), y
