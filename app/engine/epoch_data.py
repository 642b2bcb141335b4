"""A trainer's data: inputs as [x | 1], prepared targets, the shuffled copy and its mini-batches."""

from __future__ import annotations

import numpy as np

from app.engine.evaluation import Evaluator
from app.engine.model import Model
from app.engine.numerics import Array, aligned_empty, aligned_like
from app.engine.pass_metrics import PassMeter

Batch = tuple[Array, Array, Array]  # inputs, targets, dL/dlogits buffer (views and a buffer)


class EpochData:
    """Training and validation arrays for one model, and the batches of the shuffled training set.

    Every epoch copies the training rows in the permutation's order into `xs`/`ts` (one `take`
    each), so each batch is a contiguous view and a step allocates nothing.
    """

    def __init__(
        self, model: Model, x_train: Array, y_train: Array, x_val: Array, y_val: Array
    ) -> None:
        self.model = model
        self.x_train, self.t_train = self._prepare(x_train, y_train, "training")
        self.x_val, self.t_val = self._prepare(x_val, y_val, "validation")
        if self.x_train.shape[0] == 0:
            raise ValueError("the training set is empty; expected at least one sample")
        self.xs = aligned_like(self.x_train)
        self.ts = aligned_like(self.t_train)
        self.evaluator = Evaluator(model, self.x_train, self.t_train)
        self.batch_size = 0
        self.batches: list[Batch] = []
        self.pass_meter = PassMeter(model.loss, model.spec.n_outputs, [])

    @property
    def rows(self) -> int:
        """Number of training rows."""
        return int(self.x_train.shape[0])

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

    def make_batches(self, batch_size: int) -> None:
        """Cut the shuffled copy into batches of `batch_size` rows (the last one may be smaller)."""
        m = self.model
        n = self.rows
        bs = min(int(batch_size), n)
        dl: dict[int, Array] = {}
        batches: list[Batch] = []
        bounds = []
        for start in range(0, n, bs):
            stop = min(start + bs, n)
            size = stop - start
            if size not in dl:
                dl[size] = aligned_empty((size, m.spec.n_outputs), m.dtype)
            batches.append((self.xs[start:stop], self.ts[start:stop], dl[size]))
            bounds.append((start, stop))
        self.batches = batches
        self.pass_meter = PassMeter(m.loss, m.spec.n_outputs, bounds)
        self.batch_size = batch_size

    def shuffle(self, perm: Array) -> None:
        """Copy the training rows into the batches' buffers in the order of `perm`."""
        # mode="clip": the indices are a permutation, and "raise" would buffer the output
        np.take(self.x_train, perm, axis=0, out=self.xs, mode="clip")
        np.take(self.t_train, perm, axis=0, out=self.ts, mode="clip")
