"""Deterministic train/validation split, stratified by class for classification."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

Index = NDArray[np.intp]


def _n_val(n: int, val_fraction: float) -> int:
    """Validation size: round(n · fraction), kept in 1..n-1 when n >= 2."""
    return min(max(round(n * val_fraction), 1), n - 1) if n >= 2 else 0


def train_val_split(
    y: NDArray[Any], val_fraction: float, seed: int, stratify: bool = False
) -> tuple[Index, Index]:
    """Sorted (train, val) row indices; same seed, same split. Needs 0 < val_fraction < 1."""
    if not 0.0 < float(val_fraction) < 1.0:
        raise ValueError(f"val_fraction must be between 0 and 1 (exclusive), got {val_fraction}")
    n = len(y)
    if n < 2:
        raise ValueError(f"need at least 2 rows to split into train and validation, got {n}")
    rng = np.random.default_rng([int(seed), 0x5917])  # a stream of its own, apart from generation
    if not stratify:
        perm = rng.permutation(n)
        k = _n_val(n, val_fraction)
        return np.sort(perm[k:]), np.sort(perm[:k])
    val_parts: list[Index] = []
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        k = min(round(len(members) * float(val_fraction)), len(members) - 1)  # keep one to train
        val_parts.append(members[:k])
    val = np.sort(np.concatenate(val_parts)) if val_parts else np.empty(0, np.intp)
    if len(val) == 0:  # every class too small: fall back to one random validation row
        val = np.sort(rng.permutation(n)[:1])
    train = np.setdiff1d(np.arange(n), val)
    return train.astype(np.intp), val.astype(np.intp)
