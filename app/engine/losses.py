"""Losses with the output activation folded in (numerically stable), plus task metrics.

Target formats (`y` as the caller supplies it):
- binary: 0/1 floats (or bools/ints), shape (n,) or (n, 1); logits (n, 1).
- multiclass: integer labels in [0, k), shape (n,); logits (n, k).
- regression: floats, shape (n,) or (n, 1); logits (n, 1).

`prepare(y)` turns that into the loss's working form once per dataset (a float column, or a
one-hot matrix); the fast paths `grad_into` and `evaluate` (loss and scores in one pass) take
the prepared form.
`loss(logits, y)` is the allocating contract call: (mean loss over the batch, dL/dlogits).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from app.engine.numerics import Array, aligned_empty, const, resolve_dtype

_mul = np.multiply
_sub = np.subtract
_greater = np.greater
_max = np.maximum.reduce
_min = np.minimum.reduce


class Loss:
    """Base class; subclasses set `task` and implement prepare/grad_into/_evaluate/outputs."""

    task: ClassVar[str] = ""

    def __init__(self, n_outputs: int, dtype: Any = np.float64) -> None:
        self.n_outputs = n_outputs
        self.dtype = resolve_dtype(dtype)
        self.half = const(self.dtype, 0.5)
        self._scale: dict[int, Array] = {}

    def _grad_scale(self, n: int, factor: float = 1.0) -> Array:
        s = self._scale.get(n)
        if s is None:
            s = self._scale[n] = const(self.dtype, factor / max(n, 1))
        return s

    def prepare(self, y: Any) -> Array:
        """Validated working-form targets for this loss (see module docstring)."""
        raise NotImplementedError

    def grad_into(self, logits: Array, t: Array, out: Array) -> Array:
        """out = dL/dlogits (mean over rows) against prepared targets; returns out."""
        raise NotImplementedError

    def evaluate(self, logits: Array, t: Array) -> tuple[float, float, float | None]:
        """(mean loss, accuracy or R², MAE or None) against prepared targets, in one pass."""
        n = logits.shape[0]
        if n == 0:
            return math.nan, math.nan, None
        with np.errstate(all="ignore"):  # a diverged model yields inf/NaN scores, not warnings
            return self._evaluate(logits, t, n)

    def _evaluate(self, logits: Array, t: Array, n: int) -> tuple[float, float, float | None]:
        """`evaluate` for n >= 1 rows, NumPy floating-point warnings off."""
        raise NotImplementedError

    def outputs(self, logits: Array) -> Array:
        """Predictions from logits: P(class 1) (n,), probabilities (n, k) or values (n,)."""
        raise NotImplementedError

    def value(self, logits: Array, t: Array) -> float:
        """Mean loss over the rows of `logits` against prepared targets `t`."""
        return self.evaluate(logits, t)[0]

    def score(self, logits: Array, t: Array) -> tuple[float, float | None]:
        """(accuracy, None) for classification, (R², MAE) for regression."""
        return self.evaluate(logits, t)[1:]

    def loss(self, logits: Array, y: Any) -> tuple[float, Array]:
        """(mean loss, dL/dlogits) for raw targets `y`."""
        logits = np.ascontiguousarray(logits, dtype=self.dtype)
        t = self.prepare(y)
        if t.shape[0] != logits.shape[0]:
            raise ValueError(f"expected {logits.shape[0]} targets, got {t.shape[0]}")
        d = np.empty_like(logits)
        self.grad_into(logits, t, d)
        return self.value(logits, t), d

    def _column(self, y: Any) -> Array:
        arr = np.asarray(y, dtype=self.dtype)
        if arr.ndim == 1:
            arr = arr.reshape(-1, 1)
        if arr.ndim != 2 or arr.shape[1] != 1:
            raise ValueError(f"{self.task} targets must have shape (n,) or (n, 1), got {arr.shape}")
        return np.ascontiguousarray(arr)


class BinaryCrossEntropy(Loss):
    """Sigmoid + BCE: L = mean(log(1 + e^z) - y z); dL/dz = (sigmoid(z) - y) / n.

    The value is summed from per-row terms softplus((1 - 2y) z) >= 0, never as a difference of
    batch totals (which cancels to a tiny negative number when every row is confidently right).
    """

    task = "binary"

    def __init__(self, n_outputs: int, dtype: Any = np.float64) -> None:
        super().__init__(n_outputs, dtype)
        self._zero, self._one = const(self.dtype, 0.0), const(self.dtype, 1.0)
        self._minus_two = const(self.dtype, -2.0)

    def prepare(self, y: Any) -> Array:
        t = self._column(y)
        if t.size and not np.all((t == 0) | (t == 1)):
            raise ValueError("binary targets must be 0 or 1")
        return t

    def grad_into(self, logits: Array, t: Array, out: Array) -> Array:
        h = self.half
        _mul(logits, h, out)
        np.tanh(out, out)
        _mul(out, h, out)
        np.add(out, h, out)  # sigmoid(z), computed without overflow
        _sub(out, t, out)
        _mul(out, self._grad_scale(logits.shape[0]), out)
        return out

    def _evaluate(self, logits: Array, t: Array, n: int) -> tuple[float, float, float | None]:
        z, y = logits.reshape(-1), t.reshape(-1)
        # per row log(1 + e^(-z)) if y = 1, log(1 + e^z) if y = 0: softplus of s = (1 - 2y)·z,
        # whose sign flip is exact; logaddexp(0, s) = max(s, 0) + log1p(e^-|s|) never cancels
        s = _mul(y, self._minus_two, dtype=z.dtype)
        np.add(s, self._one, s)
        _mul(s, z, s)
        np.logaddexp(self._zero, s, s)
        total = float(s.sum(dtype=np.float64))
        hits = np.count_nonzero(np.equal(_greater(z, 0.0), _greater(y, 0.5)))
        return total / n, float(hits) / n, None

    def outputs(self, logits: Array) -> Array:
        return np.asarray(0.5 * np.tanh(0.5 * logits[:, 0]) + 0.5)


class SoftmaxCrossEntropy(Loss):
    """Softmax + CE: L = mean(logsumexp(z) - z[y]); dL/dz = (softmax(z) - onehot(y)) / n.

    For the gradient, logits are shifted by their overall maximum (one cheap reduction, never
    overflows); a row far below it (every exp underflows) falls back to the exact per-row maximum.
    The value is summed from per-row terms that are each >= 0 (see `_evaluate`).
    """

    task = "multiclass"

    def __init__(self, n_outputs: int, dtype: Any = np.float64) -> None:
        super().__init__(n_outputs, dtype)
        self._ones_k = np.ones((n_outputs, 1), dtype=self.dtype)
        self._ones_1k = np.ones((1, n_outputs), dtype=self.dtype)
        self._bufs: dict[int, tuple[Array, Array]] = {}
        self._tiny = float(np.finfo(self.dtype).tiny) * 1e8
        self._shift = np.zeros((), dtype=self.dtype)  # 0-d: a faster ufunc operand than a scalar
        self._one = const(self.dtype, 1.0)
        self._eval_bufs: dict[int, tuple[Array, ...]] = {}

    def prepare(self, y: Any) -> Array:
        labels = np.asarray(y)
        if labels.ndim == 2 and labels.shape[1] == 1:
            labels = labels[:, 0]
        if labels.ndim != 1:
            raise ValueError(
                f"multiclass targets must be integer labels of shape (n,), got {labels.shape}"
            )
        if labels.size:
            as_int = labels.astype(np.int64)
            if not np.array_equal(as_int, labels):
                raise ValueError("multiclass targets must be integer class labels")
            if as_int.min() < 0 or as_int.max() >= self.n_outputs:
                raise ValueError(
                    f"multiclass labels must lie in [0, {self.n_outputs}), "
                    f"got [{as_int.min()}, {as_int.max()}]"
                )
            labels = as_int
        onehot = np.zeros((labels.shape[0], self.n_outputs), dtype=self.dtype)
        onehot[np.arange(labels.shape[0]), labels.astype(np.int64)] = 1.0
        return onehot

    def _exp_shifted(self, z: Array, e: Array, s: Array, s_flat: Array) -> Any:
        """e = exp(z - shift), s = row sums of e; returns the shift (0-d array or (n, 1)).

        s_flat is s as a 1-D view: its minimum along axis 0 costs 0.7 µs, s's own 1.7.
        """
        shift: Any = _max(z, axis=None, out=self._shift)
        _sub(z, shift, e)
        np.exp(e, e)
        np.dot(e, self._ones_k, s)  # row sums via BLAS: cheaper than a reduction
        if not _min(s_flat) > self._tiny:  # a row underflowed (or NaN): each row's own maximum
            shift = np.max(z, axis=1, keepdims=True)
            _sub(z, shift, e)
            np.exp(e, e)
            np.dot(e, self._ones_k, s)
        return shift

    def grad_into(self, logits: Array, t: Array, out: Array) -> Array:
        n = logits.shape[0]
        bufs = self._bufs.get(n)
        if bufs is None:
            s = aligned_empty((n, 1), self.dtype)
            bufs = self._bufs[n] = (s, s.reshape(n))
        s = bufs[0]
        self._exp_shifted(logits, out, s, bufs[1])
        np.divide(out, s, out)
        _sub(out, t, out)
        _mul(out, self._grad_scale(n), out)
        return out

    def _evaluate(self, logits: Array, t: Array, n: int) -> tuple[float, float, float | None]:
        bufs = self._eval_bufs.get(n)
        if bufs is None or bufs[0].dtype != logits.dtype:  # reused: the evaluation runs per epoch
            if len(self._eval_bufs) >= 4:
                self._eval_bufs.clear()
            dt, k = logits.dtype, logits.shape[1]
            bufs = self._eval_bufs[n] = (
                aligned_empty((n, k), dt),  # e
                aligned_empty((n, k), dt),  # 1 - onehot
                aligned_empty((n, 1), dt),  # z[y] per row, then the loss per row
                aligned_empty((n, 1), dt),  # row maxima m
                aligned_empty((n, 1), dt),  # A = exp(z[y] - m)
                aligned_empty((n, 1), dt),  # B = sum of exp(z - m) over the other columns
                aligned_empty((k, n), dt),  # logits transposed
                np.empty(n, dtype=bool),
            )
        e, others, picked, m, a, b, lt, hit = bufs
        np.copyto(lt, logits.T)
        _max(lt, axis=0, out=m[:, 0])  # over the fast axis of the transposed copy (small k)
        _mul(logits, t, e)
        np.dot(e, self._ones_k, picked)  # z[y] per row (exact: one non-zero term)
        np.greater_equal(picked[:, 0], m[:, 0], hit)
        hits = np.count_nonzero(hit)
        # loss per row = (m - z[y]) + log(A + B), written log1p((A - 1) + B): when y is the
        # argmax, A - 1 = 0 exactly and the tiny B keeps its digits; otherwise both terms are > 0
        np.dot(m, self._ones_1k, e)  # m in every column: an outer product beats broadcasting
        _sub(logits, e, e)
        np.exp(e, e)
        _sub(self._one, t, others)
        _mul(e, others, e)
        np.dot(e, self._ones_k, b)
        _sub(picked, m, a)
        np.exp(a, a)
        _sub(a, self._one, a)
        np.add(a, b, a)
        np.log1p(a, a)
        _sub(m, picked, picked)
        np.add(picked, a, picked)
        return float(picked.sum(dtype=np.float64)) / n, float(hits) / n, None

    def outputs(self, logits: Array) -> Array:
        m = np.max(logits, axis=1, keepdims=True)
        e = np.exp(logits - m)
        return np.asarray(e / np.sum(e, axis=1, keepdims=True))


class MeanSquaredError(Loss):
    """Identity + MSE: L = mean((z - y)²); dL/dz = 2 (z - y) / n. Scores: R² and MAE."""

    task = "regression"

    def prepare(self, y: Any) -> Array:
        return self._column(y)

    def grad_into(self, logits: Array, t: Array, out: Array) -> Array:
        _sub(logits, t, out)
        _mul(out, self._grad_scale(logits.shape[0], 2.0), out)
        return out

    def _evaluate(self, logits: Array, t: Array, n: int) -> tuple[float, float, float | None]:
        diff = (logits - t).reshape(-1)
        ss_res = float(np.dot(diff, diff))
        mae = float(np.abs(diff).sum(dtype=np.float64)) / n
        tc = t.reshape(-1).astype(np.float64)
        tc -= tc.mean()
        ss_tot = float(np.dot(tc, tc))
        # constant targets: R² is undefined; follow scikit-learn (1 if perfect, else 0)
        r2 = (1.0 if ss_res == 0.0 else 0.0) if ss_tot == 0.0 else 1.0 - ss_res / ss_tot
        return ss_res / n, r2, mae

    def outputs(self, logits: Array) -> Array:
        return np.asarray(logits[:, 0].copy())


LOSSES: dict[str, type[Loss]] = {
    "binary": BinaryCrossEntropy,
    "multiclass": SoftmaxCrossEntropy,
    "regression": MeanSquaredError,
}


def make_loss(task: str, n_outputs: int, dtype: Any = np.float64) -> Loss:
    """The loss for a task: binary -> sigmoid+BCE, multiclass -> softmax+CE, regression -> MSE."""
    try:
        cls = LOSSES[task]
    except KeyError:
        raise ValueError(
            f"unknown task {task!r}; expected binary, multiclass or regression"
        ) from None
    if task != "multiclass" and n_outputs != 1:
        raise ValueError(f"a {task} model needs exactly 1 output, got {n_outputs}")
    if task == "multiclass" and n_outputs < 2:
        raise ValueError(f"a multiclass model needs at least 2 outputs, got {n_outputs}")
    return cls(n_outputs, dtype)
