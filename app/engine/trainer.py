"""Mini-batch training epochs with live-changeable settings, returning one plain record per epoch.

An epoch: shuffle the training set with the trainer's Generator, then per mini-batch
forward(training) -> dL/dlogits -> backward -> + L1/L2 gradient -> clip -> optimiser step.
Then one eval-mode pass over the training set and one over the validation set give the losses
(data loss only, without the L1/L2 penalty), accuracy (R² and MAE for regression) and the
activation statistics. The learning rate is constant within an epoch (from the schedule);
the plateau schedule and early stopping observe the validation loss (the training loss when
there is no validation set) after each epoch. Overflow never raises: NaN/inf go into the record.

Record (Python floats/ints/bools/None, NaN when diverging):
    epoch (completed epochs, from 1), train_loss, val_loss, train_acc, val_acc, train_mae,
    val_mae (None unless regression; val_* None without a validation set), lr,
    grad_norm_global (pre-clip global norm, mean over steps), grad_norm_clipped (post-clip),
    [per-step quantities are means over at most 8 evenly spaced steps, see app.engine.stats]
    stopped, layers: [{name, grad_norm, grad_norm_b, weight_norm, update_ratio, act_mean,
    act_std, dead_frac, saturated_frac}] per Dense layer (output included; gradient norms are of
    the gradient the optimiser received, i.e. after L1/L2 and clipping; update_ratio is the mean
    |ΔW| per step over |W| at the end of the epoch), histograms: None or
    [{name, weights, grads, acts}] with {lo, hi, counts[30]} each (grads: last mini-batch).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.engine.clipping import clip_global_norm, clip_value, global_norm
from app.engine.early_stopping import EarlyStopping, EarlyStoppingSpec
from app.engine.model import Model
from app.engine.numerics import Array, aligned_empty, aligned_full, aligned_like
from app.engine.optimizers import AdamW, Optimizer, OptimizerSpec, make_optimizer
from app.engine.regularizers import add_penalty_grad
from app.engine.schedules import Schedule, ScheduleSpec, make_schedule
from app.engine.stats import StepMeter, activation_stats, histogram, sample_stride

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


@dataclass
class TrainSettings:
    """Everything that can change between epochs without rebuilding the model."""

    learning_rate: float = 0.03
    batch_size: int = 10
    optimizer: OptimizerSpec = field(default_factory=OptimizerSpec)
    l1: float = 0.0
    l2: float = 0.0
    clip_norm: float | None = None
    clip_value: float | None = None
    schedule: ScheduleSpec = field(default_factory=ScheduleSpec)
    early_stopping: EarlyStoppingSpec | None = None
    histogram_every: int = 0  # 0 = never

    def __post_init__(self) -> None:
        if not (math.isfinite(self.learning_rate) and self.learning_rate >= 0):
            raise ValueError(
                f"learning_rate must be a finite number >= 0, got {self.learning_rate}"
            )
        if (
            isinstance(self.batch_size, bool)
            or int(self.batch_size) != self.batch_size
            or self.batch_size < 1
        ):
            raise ValueError(f"batch_size must be an integer >= 1, got {self.batch_size!r}")
        for name in ("l1", "l2"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {v}")
        for name in ("clip_norm", "clip_value"):
            v = getattr(self, name)
            if v is not None and not (math.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be None or a finite number > 0, got {v}")
        if int(self.histogram_every) != self.histogram_every or self.histogram_every < 0:
            raise ValueError(
                f"histogram_every must be an integer >= 0, got {self.histogram_every!r}"
            )


class Trainer:
    """Trains `model` on (x_train, y_train), evaluating on (x_val, y_val) after each epoch."""

    def __init__(
        self,
        model: Model,
        settings: TrainSettings,
        x_train: Array,
        y_train: Array,
        x_val: Array,
        y_val: Array,
        rng: np.random.Generator,
        *,
        instruments: bool = True,
    ) -> None:
        self.model = model
        self.rng = rng
        self.instruments = instruments
        self.epoch = 0
        self.stopped = False
        self.settings = settings
        self.optimizer: Optimizer = self._make_optimizer(settings.optimizer)
        self.schedule: Schedule = make_schedule(settings.schedule)
        self.early: EarlyStopping | None = None
        self._best_state: Array | None = None
        if settings.early_stopping is not None:
            self.early = EarlyStopping(settings.early_stopping)
        self._params = {"theta": model.theta}
        self._grads = {"theta": model.grad}
        self._meter = StepMeter(model)
        self._pre_clip = np.zeros(0)
        self._sampled = 0
        self.set_data(x_train, y_train, x_val, y_val)

    # -- configuration -----------------------------------------------------------------------
    def _make_optimizer(self, spec: OptimizerSpec) -> Optimizer:
        opt = make_optimizer(spec)
        if isinstance(opt, AdamW):  # decoupled decay on the Dense weights only, like L1/L2
            opt.decay_slices["theta"] = slice(0, self.model.n_weights)
        return opt

    def update_settings(self, settings: TrainSettings) -> None:
        """Apply new settings live; the weights stay (and the optimiser state, if it is kept)."""
        old = self.settings
        if settings.optimizer != old.optimizer:
            if settings.optimizer.name == self.optimizer.name:
                self.optimizer.update_spec(settings.optimizer)
            else:
                self.optimizer = self._make_optimizer(settings.optimizer)
        if settings.schedule != old.schedule:
            self.schedule.update_spec(settings.schedule)
        if settings.early_stopping != old.early_stopping:
            if settings.early_stopping is None:
                self.early = None
            elif self.early is None:
                self.early = EarlyStopping(settings.early_stopping)
            else:
                self.early.update_spec(settings.early_stopping)
            self.stopped = False
        self.settings = settings
        if settings.batch_size != old.batch_size:
            self._make_batches()

    def set_data(self, x_train: Array, y_train: Array, x_val: Array, y_val: Array) -> None:
        """Replace the training and validation data (e.g. edited points); weights are kept."""
        m = self.model
        self._x_train, self._t_train = self._prepare(x_train, y_train, "training")
        self._x_val, self._t_val = self._prepare(x_val, y_val, "validation")
        if self._x_train.shape[0] == 0:
            raise ValueError("the training set is empty; expected at least one sample")
        self._xs = aligned_like(self._x_train)
        self._ts = aligned_like(self._t_train)
        self._ones_train = aligned_full(self._x_train.shape[0], 1.0, m.dtype)
        self._scratch: dict[tuple[int, ...], Array] = {}  # activation statistics' work arrays
        self._make_batches()

    def _prepare(self, x: Array, y: Array, what: str) -> tuple[Array, Array]:
        m = self.model
        xa = np.asarray(x)
        if xa.ndim != 2 or xa.shape[1] != m.spec.n_inputs:
            raise ValueError(
                f"expected {what} inputs of shape (n, {m.spec.n_inputs}), got {xa.shape}"
            )
        t = m.loss.prepare(y)
        if t.shape[0] != xa.shape[0]:
            raise ValueError(f"{what} set: {xa.shape[0]} inputs but {t.shape[0]} targets")
        tc = aligned_like(t)  # aligned: faster SIMD
        np.copyto(tc, t)
        return m.augment(xa), tc  # [x | 1]: the first layer adds its bias inside the product

    def _make_batches(self) -> None:
        n = self._x_train.shape[0]
        bs = min(int(self.settings.batch_size), n)
        dl: dict[int, Array] = {}
        batches = []
        for start in range(0, n, bs):
            stop = min(start + bs, n)
            size = stop - start
            if size not in dl:
                dl[size] = aligned_empty((size, self.model.spec.n_outputs), self.model.dtype)
            batches.append((self._xs[start:stop], self._ts[start:stop], dl[size]))
        self._batches = batches
        self._pre_clip = np.zeros(len(batches))

    # -- training ------------------------------------------------------------------------------
    def run_epoch(self) -> dict[str, Any]:
        """Train one epoch and return its record (see the module docstring)."""
        s = self.settings
        lr = float(self.schedule.lr(self.epoch, s.learning_rate))
        self.optimizer.lr = lr
        perm = self.rng.permutation(self._x_train.shape[0])
        # mode="clip": the indices are a permutation, and "raise" would buffer the output
        np.take(self._x_train, perm, axis=0, out=self._xs, mode="clip")
        np.take(self._t_train, perm, axis=0, out=self._ts, mode="clip")
        with np.errstate(all="ignore"):
            self._train_steps()
            self.epoch += 1
            record = self._evaluate(lr)
        monitor = record["val_loss"] if record["val_loss"] is not None else record["train_loss"]
        self.schedule.observe(monitor)
        if self.early is not None and not self.stopped:
            if self.early.update(self.epoch, monitor, self.model.theta):
                self.stopped = True
                if self.early.restore(self.model.theta) and self._best_state is not None:
                    np.copyto(self.model.state, self._best_state)
            elif self.early.best_epoch == self.epoch and self.model.state.size:
                self._best_state = self.model.state.copy()
        record["stopped"] = self.stopped
        return record

    def _train_steps(self) -> None:
        m, s = self.model, self.settings
        forward, backward = m.forward, m.backward
        grad_into = m.loss.grad_into
        step, params, grads = self.optimizer.step, self._params, self._grads
        l1, l2 = s.l1, s.l2
        reg = bool(l1 or l2)
        nw = m.n_weights
        g_w, th_w, scratch = m.grad[:nw], m.theta[:nw], m.work[:nw]
        cn, cv = s.clip_norm, s.clip_value
        clipping = cn is not None or cv is not None
        pre = self._pre_clip
        instr = self.instruments
        meter = self._meter
        n_steps = len(self._batches)
        stride = sample_stride(n_steps)
        if instr:
            opt = self.optimizer
            decays = isinstance(opt, AdamW) and opt.spec.weight_decay > 0
            meter.begin_epoch(n_steps, None if decays else opt.last_update("theta"))
        copy = meter.copy_mode
        before, after = meter.before_step, meter.after_step
        grad = m.grad
        sampled = 0
        for k, (xb, tb, dl) in enumerate(self._batches):
            backward(grad_into(forward(xb, True, True), tb, dl))
            if reg:
                add_penalty_grad(g_w, th_w, l1, l2, scratch)
            if clipping:
                if cv is not None:
                    pre[k] = global_norm(grad) if k % stride == 0 else 0.0
                    clip_value(grad, cv)
                    if cn is not None:
                        clip_global_norm(grad, cn)
                else:
                    assert cn is not None
                    pre[k] = clip_global_norm(grad, cn)
            if instr and k % stride == 0:
                if copy:
                    before()
                step(params, grads)
                after(sampled)
                sampled += 1
            else:
                step(params, grads)
        self._sampled = sampled

    # -- evaluation and the record ---------------------------------------------------------------
    def _evaluate(self, lr: float) -> dict[str, Any]:
        m, s = self.model, self.settings
        loss = m.loss
        n_steps = len(self._batches)
        hist_due = (
            bool(s.histogram_every) and self.epoch % s.histogram_every == 0 and self.instruments
        )
        logits = m.forward(self._x_train, False, True)
        train_loss, train_acc, train_mae = loss.evaluate(logits, self._t_train)
        layers: list[dict[str, Any]] = []
        hists: list[dict[str, Any]] | None = [] if hist_due else None
        if self.instruments:
            summ = self._meter.summary(self._sampled)
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
                mean, std, dead, sat = activation_stats(act, z, a, self._ones_train, scratch)
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
            post = summ["grad_norm_global"]
            clipping = s.clip_norm is not None or s.clip_value is not None
            stride = sample_stride(n_steps)
            pre = float(self._pre_clip[:n_steps:stride].mean()) if clipping else post
        else:
            layers = [{"name": name, **dict.fromkeys(LAYER_KEYS)} for name in m.dense_names]
            pre = post = None
        val_loss: float | None = None
        val_acc: float | None = None
        val_mae: float | None = None
        if self._x_val.shape[0]:
            vlogits = m.forward(self._x_val, False, True)
            val_loss, val_acc, val_mae = loss.evaluate(vlogits, self._t_val)
        return {
            "epoch": self.epoch,
            "train_loss": train_loss,
            "val_loss": val_loss,
            "train_acc": train_acc,
            "val_acc": val_acc,
            "train_mae": train_mae,
            "val_mae": val_mae,
            "lr": lr,
            "grad_norm_global": pre,
            "grad_norm_clipped": post,
            "stopped": False,
            "layers": layers,
            "histograms": hists,
        }
