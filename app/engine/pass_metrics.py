"""Training loss and scores gathered during the epoch's pass, from each batch's own forward.

On large training sets the trainer takes the training figures from the mini-batches' logits,
each computed before that batch's step, instead of a second, evaluation-mode pass over the whole
set (see app.engine.evaluation for when). The loss is the mean over every row of the epoch; so is
the accuracy (regression: R² from the summed squared error over the set's total sum of squares,
MAE as a mean). Softmax cross-entropy keeps per-row terms in epoch-long buffers (five NumPy calls
per batch, reusing the row sums its gradient already computed); the other losses score each batch
with `Loss.evaluate`.
"""

from __future__ import annotations

import math

import numpy as np

from app.engine.losses import Loss, SoftmaxCrossEntropy
from app.engine.numerics import Array, aligned_empty

Figures = tuple[float, float, float | None]  # (loss, accuracy or R², MAE or None)


class PassMeter:
    """Accumulates one epoch's training figures batch by batch; `figures()` at the epoch's end."""

    def __init__(self, loss: Loss, t_train: Array, batch_bounds: list[tuple[int, int]]) -> None:
        self.loss = loss
        self.n = n = t_train.shape[0]
        self.softmax = isinstance(loss, SoftmaxCrossEntropy)
        self._sums = np.zeros(3)  # generic losses: Σ rows·loss, Σ rows·score, Σ rows·MAE
        self._ss_tot = 0.0
        if loss.task == "regression":
            tc = t_train.reshape(-1).astype(np.float64)
            tc -= tc.mean()
            self._ss_tot = float(np.dot(tc, tc))
        if not self.softmax:
            self._views: list[tuple[Array, Array, Array, Array]] = []
            return
        dt = t_train.dtype
        self._picked = aligned_empty((n, 1), dt)  # z[y] per row
        self._max = aligned_empty(n, dt)  # max over z per row
        self._lse = aligned_empty((n, 1), dt)  # log Σ exp(z) per row
        self._tmp = aligned_empty(t_train.shape, dt)
        self._ones_k = np.ones((t_train.shape[1], 1), dtype=dt)
        self._views = [
            (self._picked[a:b], self._max[a:b], self._lse[a:b], self._tmp[a:b])
            for a, b in batch_bounds
        ]

    def begin_epoch(self) -> None:
        """Forget the last epoch's batches."""
        self._sums[:] = 0.0

    def add(self, k: int, logits: Array, t: Array) -> None:
        """Batch k's logits (before its step) and targets; call right after `loss.grad_into`."""
        if self.softmax:
            loss = self.loss
            assert isinstance(loss, SoftmaxCrossEntropy)
            picked, rmax, lse, tmp = self._views[k]
            np.multiply(logits, t, tmp)
            np.dot(tmp, self._ones_k, picked)  # exact: one non-zero term per row
            np.maximum.reduce(logits, 1, None, rmax)
            np.log(loss.last_row_sums, lse)  # Σ exp(z - shift), left by grad_into
            np.add(lse, loss.last_shift, lse)
            return
        value, score, mae = self.loss.evaluate(logits, t)
        rows = logits.shape[0]
        sums = self._sums
        sums[0] += rows * value
        sums[1] += rows * score
        sums[2] += rows * (mae or 0.0)

    def figures(self) -> Figures:
        """(mean loss, accuracy or R², MAE or None) over the epoch's rows."""
        n = self.n
        if self.softmax:
            with np.errstate(all="ignore"):
                rows = self._lse[:, 0].astype(np.float64) - self._picked[:, 0]
                np.maximum(rows, 0.0, rows)  # rounding can leave a confident row at -ε
                loss = float(rows.sum()) / n
                hits = np.count_nonzero(self._picked[:, 0] >= self._max)
            return loss, float(hits) / n, None
        total, score, mae = (float(v) / n for v in self._sums)
        if self.loss.task != "regression":
            return total, score, None
        ss_res = total * n
        if self._ss_tot == 0.0:
            r2 = 1.0 if ss_res == 0.0 else 0.0
        else:
            r2 = 1.0 - ss_res / self._ss_tot if math.isfinite(ss_res) else math.nan
        return total, r2, mae
