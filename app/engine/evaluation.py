"""The end of an epoch: training and validation figures, per-layer statistics, the record.

Which rows give the training figures (stated in docs/conventions.md):
- up to EVAL_ROWS training rows: an evaluation-mode pass over all of them, after the epoch;
- more rows, and the training-mode forward equals the evaluation one (no active dropout, no
  batch norm): the mean over the epoch's mini-batches of each batch's figures before its step
  (app.engine.pass_metrics), and no second pass;
- more rows with dropout or batch norm: an evaluation-mode pass over a fixed sample of EVAL_ROWS
  evenly spaced training rows.
Validation figures always come from an evaluation-mode pass over the whole validation set.
Activation statistics come from the evaluation pass over training rows; when there is none,
from an evaluation-mode forward over STATS_ROWS evenly spaced training rows.

Record (Python floats/ints/bools/None, NaN when diverging):
    epoch (completed epochs, from 1), train_loss, val_loss, train_acc, val_acc, train_mae,
    val_mae (None unless regression; val_* None without a validation set and on epochs that
    `eval_every` skips), lr,
    grad_norm_global (pre-clip global norm, mean over steps), grad_norm_clipped (post-clip),
    [per-step quantities are means over at most 8 evenly spaced steps, see app.engine.stats]
    stopped, layers: [{name, grad_norm, grad_norm_b, weight_norm, update_ratio, act_mean,
    act_std, dead_frac, saturated_frac}] per Dense layer (output included; gradient norms are of
    the gradient the optimiser received, i.e. after L1/L2 and clipping; update_ratio is the mean
    |ΔW| per step over |W| at the end of the epoch), histograms: None or
    [{name, weights, grads, acts}] with {lo, hi, counts[30]} each (grads: last mini-batch).
    With instruments off: every layer field, both gradient norms and histograms are None.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.engine.model import Model
from app.engine.numerics import Array, aligned_empty, aligned_full
from app.engine.pass_metrics import Figures
from app.engine.stats import StepMeter, activation_stats, histogram

EVAL_ROWS = 1024  # training rows evaluated after the epoch: all up to this many, else a sample
STATS_ROWS = 256  # rows for activation statistics when the figures come from the pass

LAYER_KEYS = (
    "grad_norm",
    "grad_norm_b",
    "weight_norm",
    "update_ratio",
    "act_mean",
    "act_std",
    "dead_frac",
    "saturated_frac",
)


def evenly_spaced(n: int, count: int) -> Array | None:
    """`count` row indices spread evenly over range(n), or None when n <= count (all rows)."""
    if n <= count:
        return None
    return np.linspace(0, n - 1, count).round().astype(np.intp)


class Evaluator:
    """Owns the evaluation inputs of one training set and turns an epoch's end into a record."""

    def __init__(self, model: Model, x_train: Array, t_train: Array) -> None:
        self.model = model
        n = x_train.shape[0]
        self.large = n > EVAL_ROWS
        self.sample_rows = evenly_spaced(n, EVAL_ROWS)
        self.stats_rows = evenly_spaced(n, STATS_ROWS)
        rows = self.sample_rows
        self.x_eval = x_train if rows is None else x_train[rows]
        self.t_eval = t_train if rows is None else t_train[rows]
        self.x_stats = x_train if self.stats_rows is None else x_train[self.stats_rows]
        self._scratch: dict[tuple[int, ...], Array] = {}  # activation statistics' work arrays
        self._ones: dict[int, Array] = {}

    def from_pass(self) -> bool:
        """True when this epoch's training figures come from its own mini-batches."""
        return self.large and not self.model.forward_differs_in_training

    @property
    def train_rows(self) -> Array | None:
        """Training rows an evaluation pass scores (None = all); from_pass() epochs have none."""
        return self.sample_rows

    def record(
        self,
        epoch: int,
        lr: float,
        x_val: Array,
        t_val: Array | None,
        passed: Figures | None,
        meter: StepMeter | None,
        sampled: int,
        pre_clip: Array | None,
        histograms: bool,
    ) -> dict[str, Any]:
        """The epoch's record (fields above).

        `t_val` None skips the validation set (None figures); `passed` is the pass's training
        figures (None: evaluate them), `meter` the per-step
        instruments of `sampled` steps (None: instruments off), `pre_clip` the sampled steps'
        gradient norms before clipping (None: no clipping).
        """
        m = self.model
        loss = m.loss
        if passed is not None:
            train: Figures = passed
            stats_x = self.x_stats if meter is not None else None
        else:
            stats_x = self.x_eval
        logits = m.forward(stats_x, False, True) if stats_x is not None else None
        if passed is None:
            assert logits is not None
            train = loss.evaluate(logits, self.t_eval)
        pre: float | None = None
        post: float | None = None
        hists: list[dict[str, Any]] | None = None
        if meter is not None:
            assert logits is not None
            summ = meter.summary(sampled)
            layers, hists = self._layers(summ, logits, histograms)
            post = summ["grad_norm_global"]
            pre = float(pre_clip.mean()) if pre_clip is not None else post
        else:
            layers = [{"name": name, **dict.fromkeys(LAYER_KEYS)} for name in m.dense_names]
        val: Figures = (None, None, None)  # type: ignore[assignment]
        if t_val is not None and x_val.shape[0]:
            val = loss.evaluate(m.forward(x_val, False, True), t_val)
        return {
            "epoch": epoch,
            "train_loss": train[0],
            "val_loss": val[0],
            "train_acc": train[1],
            "val_acc": val[1],
            "train_mae": train[2],
            "val_mae": val[2],
            "lr": lr,
            "grad_norm_global": pre,
            "grad_norm_clipped": post,
            "stopped": False,
            "layers": layers,
            "histograms": hists,
        }

    def _layers(
        self, summ: dict[str, Any], logits: Array, histograms: bool
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
        m = self.model
        layers: list[dict[str, Any]] = []
        hists: list[dict[str, Any]] | None = [] if histograms else None
        for i, block in enumerate(m.blocks):
            if block.activation is not None:
                act_layer = block.activation
                a, z, act = act_layer.output, act_layer.pre_activation, act_layer.act
            else:
                a = z = logits
                act = None
            scratch = None
            if act is not None and act.kind == "saturated":  # needs a work array
                scratch = self._scratch.get(a.shape)
                if scratch is None or scratch.dtype != a.dtype:
                    scratch = self._scratch[a.shape] = aligned_empty(a.shape, a.dtype)
            ones = self._ones.get(a.shape[0])
            if ones is None or ones.dtype != a.dtype:
                ones = self._ones[a.shape[0]] = aligned_full(a.shape[0], 1.0, a.dtype)
            mean, std, dead, sat = activation_stats(act, z, a, ones, scratch)
            layers.append(
                {
                    "name": block.name,
                    "grad_norm": float(summ["grad_norm"][i]),
                    "grad_norm_b": float(summ["grad_norm_b"][i]),
                    "weight_norm": float(summ["weight_norm"][i]),
                    "update_ratio": float(summ["update_ratio"][i]),
                    "act_mean": mean,
                    "act_std": std,
                    "dead_frac": dead,
                    "saturated_frac": sat,
                }
            )
            if hists is not None:
                hists.append(
                    {
                        "name": block.name,
                        "weights": histogram(block.dense.W),
                        "grads": histogram(block.dense.gW),
                        "acts": histogram(a, max_values=4096),
                    }
                )
        return layers, hists
