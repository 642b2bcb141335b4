"""Per-layer instruments, computed cheaply on the model's flat buffers.

Per step (`StepMeter`): squared L2 norms of every parameter segment's gradient, update and value.
Small models take one `np.add.reduceat` over `model.flat` = [theta | grad | work]; larger ones a
BLAS dot per Dense segment (the reduction is then the cost, and `dot` is the fastest one).
Per epoch (`activation_stats`): activation mean/std and dead/saturated unit fractions from the
evaluation pass over the training set (see app.engine.activations for the definitions).
`histogram` bins any array into 30 bins between its finite min and max.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from app.engine.activations import (
    DEAD_Z,
    SATURATED_SAMPLE_FRACTION,
    SIGMOID_SATURATION,
    TANH_SATURATION,
    Activation,
)
from app.engine.model import Model
from app.engine.numerics import Array

HIST_BINS = 30
FLAT_MODE_MAX_PARAMS = 4096  # above this, per-segment dots beat one reduceat over 3 P values
_TINY = 1e-300


class StepMeter:
    """Collects, per optimiser step k, squared segment norms into `rows[k]`.

    Row layout (S = number of segments, in `model.segments` order):
    [ |theta_s|² after the step (S) | |grad_s|² as applied (S) | |update_s|² (S) ].
    In dot mode only the Dense W entries of the theta and update parts are filled.
    """

    def __init__(self, model: Model) -> None:
        self.model = model
        n_seg = len(model.segments)
        self.n_seg = n_seg
        P = model.n_params
        starts = model.segment_starts
        self.flat_mode = P <= FLAT_MODE_MAX_PARAMS
        self._offsets = np.concatenate([starts, starts + P, starts + 2 * P])
        self._sq = np.empty(3 * P, dtype=np.float64)
        self.rows = np.zeros((0, 3 * n_seg), dtype=np.float64)
        n_dense = len(model.dense_names)
        self.n_dense = n_dense
        # Dot mode: (row index, view) pairs; W segments come first in memory (indices 0..L).
        th, gr, wk = model.theta, model.grad, model.work
        w_sl = model.weight_slices
        self._theta_w = [(i, th[sl]) for i, sl in enumerate(w_sl)]
        self._grad_w = [(n_seg + i, gr[sl]) for i, sl in enumerate(w_sl)]
        self._work_w = [(2 * n_seg + i, wk[sl]) for i, sl in enumerate(w_sl)]
        nw = model.n_weights
        self._grad_rest = gr[nw:]
        self._rest_sq = np.empty(P - nw, dtype=gr.dtype)
        self._rest_offsets = starts[n_dense:] - nw

    def reset(self, n_steps: int) -> None:
        """Make room for `n_steps` rows (zeroed once per shape)."""
        if self.rows.shape[0] < n_steps:
            self.rows = np.zeros((n_steps, 3 * self.n_seg), dtype=np.float64)

    def before_step(self) -> None:
        """Keep theta before the optimiser step (the update is measured as a difference)."""
        np.copyto(self.model.work, self.model.theta)

    def after_step(self, k: int) -> None:
        """Fill rows[k] from the state right after step k."""
        m = self.model
        np.subtract(m.theta, m.work, out=m.work)
        if self.flat_mode:
            np.multiply(m.flat, m.flat, out=self._sq, dtype=np.float64)  # no over/underflow
            np.add.reduceat(self._sq, self._offsets, out=self.rows[k])
            return
        row = self.rows[k]
        dot = np.dot
        for j, v in self._grad_w:
            row[j] = dot(v, v)
        for j, v in self._work_w:
            row[j] = dot(v, v)
        for j, v in self._theta_w:
            row[j] = dot(v, v)
        rest = self._grad_rest
        np.multiply(rest, rest, out=self._rest_sq)
        row[self.n_seg + self.n_dense : 2 * self.n_seg] = np.add.reduceat(
            self._rest_sq, self._rest_offsets
        )

    def summary(self, n_steps: int) -> dict[str, Any]:
        """Means over the epoch's steps: per Dense layer grad/update/weight stats, global norm."""
        S, L = self.n_seg, self.n_dense
        rows = self.rows[:n_steps]
        with np.errstate(all="ignore"):
            theta_w = rows[:, :L]
            grad_w = rows[:, S : S + L]
            grad_b = rows[:, S + L : S + 2 * L]
            upd_w = rows[:, 2 * S : 2 * S + L]
            ratio = np.sqrt(upd_w / np.maximum(theta_w, _TINY))
            return {
                "grad_norm": np.sqrt(grad_w).mean(axis=0),
                "grad_norm_b": np.sqrt(grad_b).mean(axis=0),
                "update_ratio": ratio.mean(axis=0),
                "weight_norm": np.sqrt(theta_w[-1]) if n_steps else np.full(L, math.nan),
                "grad_norm_global": float(np.sqrt(rows[:, S : 2 * S].sum(axis=1)).mean()),
            }


def activation_stats(
    act: Activation | None, z: Array, a: Array
) -> tuple[float, float, float, float]:
    """(mean, std, dead_frac, saturated_frac) of outputs `a` (n, units), pre-activations `z`.

    For the output layer pass act=None and a = logits (dead/saturated are 0).
    """
    n, units = a.shape
    if n == 0 or units == 0:
        return math.nan, math.nan, 0.0, 0.0
    count = n * units
    center = 0.5 if act is not None and act.name == "sigmoid" else 0.0
    with np.errstate(all="ignore"):
        c = a - a.dtype.type(center) if center else a
        ones = np.ones(n, dtype=a.dtype)
        col = np.dot(ones, c).astype(np.float64)  # per-unit sums via BLAS
        flat = c.reshape(-1)
        total_sq = float(np.dot(flat, flat))
        mean_c = float(col.sum()) / count
        std = math.sqrt(max(total_sq / count - mean_c * mean_c, 0.0))
        mean = mean_c + center
        dead = saturated = 0.0
        if act is None or act.kind == "none":
            pass
        elif act.name == "relu":
            dead = float(np.mean(col == 0.0))  # relu outputs are >= 0: zero sum = zero everywhere
        elif act.kind == "dead":
            limit = 0.0 if act.name == "leaky_relu" else DEAD_Z
            zmax = np.max(z, axis=0)
            dead = float(np.mean(zmax <= limit if limit == 0.0 else zmax < limit))
        else:
            half_width = 0.5 - SIGMOID_SATURATION if act.name == "sigmoid" else TANH_SATURATION
            flags = np.empty_like(c)
            np.multiply(c, c, out=flags)
            np.greater(flags, half_width * half_width, out=flags)
            per_unit = np.dot(ones, flags)
            saturated = float(np.mean(per_unit >= SATURATED_SAMPLE_FRACTION * n))
    return mean, std, dead, saturated


def histogram(values: Array, bins: int = HIST_BINS, max_values: int = 16384) -> dict[str, Any]:
    """{"lo", "hi", "counts"}: `bins` equal bins over [min, max] of the finite entries.

    Arrays larger than `max_values` are subsampled by rows (a fixed stride), which keeps the
    shape of the distribution at a fraction of the cost. Empty or all-NaN input: zero counts.
    """
    v = np.asarray(values)
    if v.size > max_values and v.ndim == 2:
        v = v[:: -(-v.size // max_values)]
    v = v.reshape(-1)
    with np.errstate(all="ignore"):
        lo, hi = float(v.min()) if v.size else 0.0, float(v.max()) if v.size else 0.0
        if not (math.isfinite(lo) and math.isfinite(hi)):
            v = v[np.isfinite(v)]
            lo, hi = (float(v.min()), float(v.max())) if v.size else (0.0, 0.0)
        if v.size == 0:
            return {"lo": 0.0, "hi": 0.0, "counts": [0] * bins}
        if lo == hi or not math.isfinite(hi - lo):
            counts = [0] * bins
            counts[bins // 2] = int(v.size)
            return {"lo": lo, "hi": hi, "counts": counts}
        idx = (v.astype(np.float64) - lo) * (bins / (hi - lo))
        ids = idx.astype(np.intp)
        np.minimum(ids, bins - 1, out=ids)  # the maximum itself goes into the last bin
        counts_arr = np.bincount(ids, minlength=bins)
    return {"lo": lo, "hi": hi, "counts": counts_arr.tolist()}
