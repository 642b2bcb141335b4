"""Per-layer instruments, computed cheaply on the model's flat buffers.

Per step (`StepMeter`): squared L2 norms of every parameter segment's gradient and of each Dense
layer's update, on at most SAMPLED_STEPS evenly spaced steps per epoch (every step when there
are that few). Small models square into one buffer and take one `np.add.reduceat`; larger ones
a BLAS dot per Dense segment (the reduction then dominates, and `dot` is the fastest one).
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
from app.engine.numerics import Array, aligned_empty

HIST_BINS = 30
# One squaring pass + reduceat costs ~0.9 ns per parameter; a dot per Dense W (gradient and
# update) costs ~0.6 µs per call plus ~0.2 ns per parameter: flat wins below ~1700 P per layer.
FLAT_MODE_PARAMS_PER_LAYER = 1700
SAMPLED_STEPS = 8  # per-step instruments measure at most this many evenly spaced steps


class StepMeter:
    """Collects, per optimiser step k, squared segment norms into `rows[k]`.

    Row layout (S segments in `model.segments` order, L Dense layers):
    [ |grad_s|² as applied, every segment (S) | |update|² of each Dense W (L) ]
    (flat mode fills rows in memory order, and `summary` puts the columns back in that order).
    The update is the optimiser's own `last_update` buffer when it has one (p_new = p_old - u),
    otherwise (first epoch, AdamW decay) theta is copied before the step and differenced after.
    """

    def __init__(self, model: Model) -> None:
        self.model = model
        self.n_seg = n_seg = len(model.segments)
        self.n_dense = len(model.dense_names)
        n_params = model.n_params
        self.flat_mode = n_params <= FLAT_MODE_PARAMS_PER_LAYER * self.n_dense
        starts = model.segment_starts
        w_starts = starts[: self.n_dense]
        # reduceat needs increasing offsets: reduce in memory order, reorder in `summary`
        seg_order = np.argsort(starts, kind="stable")
        w_order = np.argsort(w_starts, kind="stable")
        self._offsets = np.concatenate([starts[seg_order], n_params + w_starts[w_order]])
        mem_order = np.concatenate([seg_order, n_seg + w_order])
        self._to_layer_order = np.argsort(mem_order, kind="stable")  # column j of layer order
        self._sq = aligned_empty(2 * n_params, model.dtype)
        self._w_end = model.n_weights  # the update part reduced: W only (contiguous, first)
        self.rows = np.zeros((0, n_seg + self.n_dense), dtype=model.dtype)
        gr = model.grad
        self._grad_w = [(i, gr[sl]) for i, sl in enumerate(model.weight_slices)]
        nw = model.n_weights
        self._grad_rest = gr[nw:]
        self._rest_sq = aligned_empty(n_params - nw, gr.dtype)
        self._rest_offsets = starts[self.n_dense :] - nw
        self.copy_mode = True
        self._update: Array = model.work
        self._upd_w: list[tuple[int, Array]] = []
        self.begin_epoch(0, None)

    def begin_epoch(self, n_steps: int, update: Array | None) -> None:
        """Room for `n_steps` rows; `update` is the optimiser's update buffer, or None to copy."""
        if self.rows.shape[0] < n_steps:
            self.rows = np.zeros((n_steps, self.rows.shape[1]), dtype=self.rows.dtype)
        self.copy_mode = update is None
        self._update = self.model.work if update is None else update
        S, P, w_end = self.n_seg, self.model.n_params, self._w_end
        self._upd_w = [(S + i, self._update[sl]) for i, sl in enumerate(self.model.weight_slices)]
        self._flat_views = (
            self.model.grad,
            self._sq[:P],
            self._update[:w_end],
            self._sq[P : P + w_end],
            self._sq[: P + w_end],
        )

    def before_step(self) -> None:
        """Copy mode: keep theta before the optimiser step (the update is then a difference)."""
        np.copyto(self.model.work, self.model.theta)

    def after_step(self, k: int) -> None:
        """Fill rows[k] from the gradient the step used and the update it made."""
        m = self.model
        if self.copy_mode:
            np.subtract(m.theta, m.work, m.work)
        row = self.rows[k]
        if self.flat_mode:
            g, sq_g, u, sq_u, sq = self._flat_views
            np.multiply(g, g, sq_g)
            np.multiply(u, u, sq_u)
            np.add.reduceat(sq, self._offsets, out=row)
            return
        dot = np.dot
        for j, v in self._grad_w:
            row[j] = dot(v, v)
        for j, v in self._upd_w:
            row[j] = dot(v, v)
        rest = self._grad_rest
        np.multiply(rest, rest, self._rest_sq)
        np.add.reduceat(self._rest_sq, self._rest_offsets, out=row[self.n_dense : self.n_seg])

    def summary(self, n_steps: int) -> dict[str, Any]:
        """Per Dense layer: mean gradient norms, weight norm now, mean |ΔW| / |W|; global norm.

        update_ratio = (mean over steps of |ΔW_k|) / |W at the end of the epoch|.
        """
        S, L = self.n_seg, self.n_dense
        rows = self.rows[:n_steps].astype(np.float64)
        if self.flat_mode:
            rows = rows[:, self._to_layer_order]
        th = self.model.theta
        w_norm = [math.sqrt(float(np.dot(th[sl], th[sl]))) for sl in self.model.weight_slices]
        with np.errstate(all="ignore"):
            if n_steps:
                means = (np.sqrt(rows).sum(axis=0) / n_steps).tolist()
                glob = float(np.sqrt(rows[:, :S].sum(axis=1)).sum()) / n_steps
            else:
                means, glob = [math.nan] * rows.shape[1], math.nan
        upd = means[S : S + L]
        return {
            "grad_norm": means[:L],
            "grad_norm_b": means[L : 2 * L],
            "update_ratio": [_ratio(u, w) for u, w in zip(upd, w_norm, strict=True)],
            "weight_norm": w_norm,
            "grad_norm_global": glob,
        }


def _ratio(num: float, den: float) -> float:
    """num / den with 0/0 = 0 and x/0 = inf (no exception)."""
    if den == 0.0:
        return 0.0 if num == 0.0 else math.inf
    return num / den


def sample_stride(n_steps: int) -> int:
    """Measure every `stride`-th step so at most SAMPLED_STEPS steps per epoch are measured."""
    return max(1, -(-n_steps // SAMPLED_STEPS))


def activation_stats(
    act: Activation | None,
    z: Array,
    a: Array,
    ones: Array | None = None,
    scratch: Array | None = None,
) -> tuple[float, float, float, float]:
    """(mean, std, dead_frac, saturated_frac) of outputs `a` (n, units), pre-activations `z`.

    Mean and std over every sample and unit; dead and saturated units as defined in
    app.engine.activations, over every sample. For the output layer pass act=None and a = logits
    (dead/saturated are then 0). `ones` may pass a cached ones vector of length n, `scratch` a
    work array of a's shape and dtype (sigmoid and tanh need one; it is overwritten).
    """
    n, units = a.shape
    if n == 0 or units == 0:
        return math.nan, math.nan, 0.0, 0.0
    count = n * units
    name = act.name if act is not None else ""
    center = 0.5 if name == "sigmoid" else 0.0
    if ones is None or ones.shape[0] != n or ones.dtype != a.dtype:
        ones = np.ones(n, dtype=a.dtype)
    saturating = act is not None and act.kind == "saturated"
    if saturating and (scratch is None or scratch.shape != a.shape or scratch.dtype != a.dtype):
        scratch = np.empty_like(a)
    with np.errstate(all="ignore"):
        # centring keeps E[c²] - E[c]² accurate
        c = np.subtract(a, a.dtype.type(center), scratch) if center else a
        col = np.dot(ones, c)  # per-unit sums via BLAS
        flat = c.reshape(-1)
        mean_c = float(col.sum(dtype=np.float64)) / count
        var = float(np.dot(flat, flat)) / count - mean_c * mean_c
        std = math.sqrt(var) if var > 0.0 else (0.0 if var == var else math.nan)
        mean = mean_c + center
        dead = saturated = 0.0
        if act is None or act.kind == "none":
            pass
        elif name == "relu":
            dead = float(np.count_nonzero(col == 0.0)) / units  # outputs >= 0: zero sum = all zero
        elif act.kind == "dead":
            zmax = np.max(z, axis=0)
            flags = zmax <= 0.0 if name == "leaky_relu" else zmax < DEAD_Z
            dead = float(np.count_nonzero(flags)) / units
        else:
            half_width = 0.5 - SIGMOID_SATURATION if name == "sigmoid" else TANH_SATURATION
            assert scratch is not None
            flags = np.abs(c, scratch)  # c is scratch itself when centred
            np.greater(flags, half_width, flags)
            per_unit = np.dot(ones, flags)  # samples in the saturated zone, per unit
            saturated = float(np.count_nonzero(per_unit >= SATURATED_SAMPLE_FRACTION * n)) / units
    return mean, std, dead, saturated


def histogram(values: Array, bins: int = HIST_BINS, max_values: int = 8192) -> dict[str, Any]:
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
