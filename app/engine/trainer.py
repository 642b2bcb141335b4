"""Mini-batch training epochs with live-changeable settings, returning one plain record per epoch.

An epoch: shuffle the training set with the trainer's Generator, then per mini-batch
forward(training) -> dL/dlogits -> backward -> + L1/L2 gradient -> clip -> optimiser step.
Then the record: losses (data loss only, without the L1/L2 penalty), accuracy (R² and MAE for
regression) and activation statistics, from an eval-mode pass over the validation set and, for the
training figures, over the training set up to 1,024 rows or else from the epoch's own mini-batches
(app.engine.evaluation says exactly when). `eval_every` > 1 evaluates the validation set every
k-th epoch only; `instruments` off leaves out the per-layer statistics. The learning rate is
constant within an epoch (from the schedule); the plateau schedule and early stopping observe the
validation loss (the training loss when there is no validation set) after each evaluated epoch.
Overflow never raises: NaN/inf go into the record.

An epoch can be split: `train(deadline)` runs mini-batches until the epoch completes (and returns
its record) or until `time.perf_counter()` passes the deadline between two batches (and returns
None); the next call resumes at the next batch of the same permutation, so a split epoch is
bit-identical to an unsplit one. Between calls, a settings change applies from the next batch
(a new learning rate, optimiser, schedule, clipping or L1/L2) except the batch size, `instruments`
and `eval_every`, which apply from the next epoch; new data (`set_data`) abandons the epoch in
progress (the weights keep the steps already taken; the next call starts a fresh epoch on the new
data). The record's `lr` is the
learning rate of the epoch's last step. `add_step_hook` calls a function after every optimiser step.

The record's fields: see app.engine.evaluation.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from app.engine.clipping import clip_global_norm, clip_value, global_norm
from app.engine.early_stopping import EarlyStopping
from app.engine.epoch_data import EpochData
from app.engine.evaluation import LAYER_KEYS
from app.engine.model import Model
from app.engine.numerics import Array
from app.engine.optimizers import AdamW, Optimizer, OptimizerSpec, make_optimizer
from app.engine.regularizers import add_penalty_grad
from app.engine.schedules import Schedule, make_schedule
from app.engine.stats import StepMeter, sample_stride
from app.engine.train_settings import StepHook, StepInfo, TrainSettings

__all__ = ["LAYER_KEYS", "StepHook", "StepInfo", "TrainSettings", "Trainer"]


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
        instruments: bool | None = None,
    ) -> None:
        if instruments is not None:  # overrides settings.instruments
            settings = replace(settings, instruments=instruments)
        self.model = model
        self.rng = rng
        self._instr = settings.instruments  # of the epoch in progress (changes between epochs)
        self._evaluating = True
        self._passing = False
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
        self._hooks: list[StepHook] = []
        self._lr = float(settings.learning_rate)
        self._next: int | None = None  # next batch of the epoch in progress; None between epochs
        self._perm = np.zeros(0, dtype=np.intp)
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
        if self._next is not None:  # mid-epoch: the rest of the epoch uses the new settings
            self._lr = float(self.schedule.lr(self.epoch, settings.learning_rate))
            if self._instr and settings.optimizer != old.optimizer:
                # the meter may point at the old optimiser's update buffer: measure by copying
                self._meter.begin_epoch(len(self.data.batches), None)

    def add_step_hook(self, hook: StepHook) -> Callable[[], None]:
        """Call `hook(StepInfo)` after every optimiser step; returns a function that removes it."""
        self._hooks.append(hook)

        def remove() -> None:
            if hook in self._hooks:
                self._hooks.remove(hook)

        return remove

    @property
    def instruments(self) -> bool:
        """Per-layer statistics on (from the next epoch when changed mid-epoch)."""
        return self.settings.instruments

    @property
    def eval_train_rows(self) -> Array | None:
        """Training rows an evaluation pass scores (None = all; see app.engine.evaluation)."""
        return self.data.evaluator.train_rows

    @property
    def train_figures_from_pass(self) -> bool:
        """True when the next epoch's training figures come from its mini-batches' forwards."""
        return self.data.evaluator.from_pass()

    @property
    def in_epoch(self) -> bool:
        """True while an epoch is split: some of its batches ran, its record is not out yet."""
        return self._next is not None

    @property
    def batches_left(self) -> int:
        """Batches of the epoch in progress still to run (0 between epochs)."""
        return 0 if self._next is None else len(self.data.batches) - self._next

    def set_data(self, x_train: Array, y_train: Array, x_val: Array, y_val: Array) -> None:
        """Replace the training and validation data (e.g. edited points); weights are kept."""
        self.data = EpochData(self.model, x_train, y_train, x_val, y_val)
        self._next = None  # an epoch in progress is abandoned: its permutation was of the old data
        self._make_batches()

    def _make_batches(self) -> None:
        self.data.make_batches(self.settings.batch_size)
        self._pre_clip = np.zeros(len(self.data.batches))

    # -- training ------------------------------------------------------------------------------
    def run_epoch(self) -> dict[str, Any]:
        """Train one epoch (or the rest of the one in progress) and return its record."""
        record = self.train()
        assert record is not None  # without a deadline the epoch always completes
        return record

    def train(self, deadline: float | None = None) -> dict[str, Any] | None:
        """Run batches until the epoch completes (its record) or `deadline` passes (None).

        `deadline` is a `time.perf_counter()` value checked between batches; at least one batch
        runs per call. The next call resumes the same epoch at its next batch.
        """
        if self._next is None:
            self._begin_epoch()
        with np.errstate(all="ignore"):
            if not self._train_steps(deadline):
                return None
            self._next = None
            self.epoch += 1
            record = self._evaluate(self._lr)
        if not self._evaluating:  # the plateau schedule and early stopping watch evaluations
            return record
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

    def _begin_epoch(self) -> None:
        s = self.settings
        data = self.data
        if s.batch_size != data.batch_size:
            self._make_batches()
        self._lr = float(self.schedule.lr(self.epoch, s.learning_rate))
        self._perm = self.rng.permutation(data.rows)
        data.shuffle(self._perm)
        self._next = self._sampled = 0
        self._instr = s.instruments
        self._evaluating = (self.epoch + 1) % s.eval_every == 0
        self._passing = not self._evaluating or data.evaluator.from_pass()
        if self._instr:
            opt = self.optimizer
            decays = isinstance(opt, AdamW) and opt.spec.weight_decay > 0
            self._meter.begin_epoch(len(data.batches), None if decays else opt.last_update("theta"))

    def _train_steps(self, deadline: float | None) -> bool:
        """Batches from `self._next` on; True when the epoch's last batch has run."""
        m, s = self.model, self.settings
        forward, backward = m.forward, m.backward
        grad_into = m.loss.grad_into
        self.optimizer.lr = self._lr
        step, params, grads = self.optimizer.step, self._params, self._grads
        l1, l2 = s.l1, s.l2
        reg = bool(l1 or l2)
        nw = m.n_weights
        g_w, th_w, scratch = m.grad[:nw], m.theta[:nw], m.work[:nw]
        cn, cv = s.clip_norm, s.clip_value
        clipping = cn is not None or cv is not None
        pre = self._pre_clip
        instr = self._instr
        meter = self._meter
        batches = self.data.batches
        n_steps = len(batches)
        stride = sample_stride(n_steps)
        copy = meter.copy_mode
        before, after = meter.before_step, meter.after_step
        grad = m.grad
        hooks = self._hooks
        clock = time.perf_counter
        first = self._next or 0
        sampled = self._sampled
        passing = self._passing
        keep = self.data.pass_meter.views
        copyto = np.copyto
        for k in range(first, n_steps):
            if deadline is not None and k > first and clock() >= deadline:
                self._next, self._sampled = k, sampled
                return False
            xb, tb, dl = batches[k]
            logits = forward(xb, True, True)
            batch_loss = m.loss.value(logits, tb) if hooks else 0.0
            if passing:
                copyto(keep[k], logits)
            backward(grad_into(logits, tb, dl))
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
            if hooks:
                self._next, self._sampled = k + 1, sampled  # consistent if a hook raises
                self._call_hooks(k, batch_loss)
        self._sampled = sampled
        return True

    def _call_hooks(self, k: int, batch_loss: float) -> None:
        bs = self.data.batch_size
        rows = self._perm[k * bs : (k + 1) * bs]
        rows.flags.writeable = False
        info = StepInfo(self.epoch + 1, k, rows, float(batch_loss), self._lr)
        for hook in list(self._hooks):
            hook(info)

    # -- the record ------------------------------------------------------------------------------
    def _evaluate(self, lr: float) -> dict[str, Any]:
        s = self.settings
        data = self.data
        n_steps = len(data.batches)
        hist_due = bool(s.histogram_every) and self.epoch % s.histogram_every == 0 and self._instr
        pre_clip = None
        if self._instr and (s.clip_norm is not None or s.clip_value is not None):
            pre_clip = self._pre_clip[: n_steps : sample_stride(n_steps)]
        # an evaluated epoch whose dropout was switched on midway is evaluated after all
        passed = None
        if self._passing and (not self._evaluating or data.evaluator.from_pass()):
            passed = data.pass_meter.figures(data.ts)
        return data.evaluator.record(
            self.epoch,
            lr,
            data.x_val,
            data.t_val if self._evaluating else None,
            passed,
            self._meter if self._instr else None,
            self._sampled,
            pre_clip,
            hist_due,
        )
