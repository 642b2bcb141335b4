"""Standardisation and a 2-D PCA projection, both fitted on the training split only."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


def _as_2d(x: NDArray[np.floating], what: str) -> Array:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] == 0:
        raise ValueError(f"{what} expects a non-empty (n, k) array, got shape {a.shape}")
    return a


class Standardizer:
    """z = (x - mean) / std per column; a zero-variance column gets std 1 (so it maps to 0)."""

    def __init__(self, mean: Array, scale: Array) -> None:
        self.mean = mean
        self.scale = scale

    @classmethod
    def fit(cls, x: NDArray[np.floating]) -> Standardizer:
        """Column statistics of x (n, k), the training split only."""
        a = _as_2d(x, "Standardizer.fit")
        mean = a.mean(axis=0)
        std = a.std(axis=0)
        tiny = std <= 1e-12 * np.maximum(1.0, np.abs(mean))
        return cls(mean, np.where(tiny, 1.0, std))

    def transform(self, x: NDArray[np.floating]) -> Array:
        """(n, k) -> (n, k) standardised."""
        a = _as_2d(x, "Standardizer.transform")
        if a.shape[1] != self.mean.shape[0]:
            raise ValueError(f"expected {self.mean.shape[0]} columns, got {a.shape[1]}")
        return (a - self.mean) / self.scale

    def inverse(self, z: NDArray[np.floating]) -> Array:
        """Undo transform: z · std + mean."""
        return np.asarray(z, dtype=np.float64) * self.scale + self.mean


class Pca2:
    """Projection onto the first two principal axes: p = (x - mean) · components.T, (n, 2)."""

    def __init__(self, mean: Array, components: Array, explained: Array) -> None:
        self.mean = mean
        self.components = components  # (2, k), unit rows; zero row when k < 2
        self.explained = explained  # (2,) fraction of total variance per axis

    @classmethod
    def fit(cls, x: NDArray[np.floating]) -> Pca2:
        """Principal axes of x (n, k), each signed so its largest loading is positive.

        From the eigenvectors of the k x k scatter matrix (one product and a symmetric
        eigensolver): an SVD of the whole (n, k) table took over a minute for 10,000 x 784.
        """
        a = _as_2d(x, "Pca2.fit")
        mean = a.mean(axis=0)
        c = a - mean
        evals, evecs = np.linalg.eigh(c.T @ c)  # ascending eigenvalues = squared singular values
        s2 = np.clip(evals[::-1], 0.0, None)  # rounding can leave a null direction at -ε
        vt = evecs[:, ::-1].T
        comps = np.zeros((2, a.shape[1]))
        var = np.zeros(2)
        m = min(2, vt.shape[0], a.shape[0])
        comps[:m] = vt[:m]
        var[:m] = s2[:m]
        for i in range(m):
            if comps[i, np.argmax(np.abs(comps[i]))] < 0:
                comps[i] = -comps[i]
        total = float(np.sum(s2))
        return cls(mean, comps, var / total if total > 0 else var)

    def transform(self, x: NDArray[np.floating]) -> Array:
        """(n, k) -> (n, 2)."""
        a = _as_2d(x, "Pca2.transform")
        if a.shape[1] != self.mean.shape[0]:
            raise ValueError(f"expected {self.mean.shape[0]} columns, got {a.shape[1]}")
        return np.asarray((a - self.mean) @ self.components.T, dtype=np.float64)
