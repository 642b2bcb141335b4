"""The backprop inspector for a Run: pick a training sample, trace it, apply its single step."""

from __future__ import annotations

import secrets
from typing import Any

import numpy as np

from app.engine.inspect import LayerTrace, StepSettings, Walkthrough, apply_update, walkthrough
from app.training.run import Run

MAX_INSPECT_UNITS = 64  # per layer and per input: the panel scrolls through at most this many
DROPOUT_STREAM = 2  # the dropout masks' Generator: [seed, DROPOUT_STREAM, epoch, index]


class InspectError(Exception):
    """A sample that cannot be inspected (index out of range)."""

    def __init__(self, message: str, code: str = "bad_index") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def resolve_index(run: Run, index: int | str) -> int:
    """A training-set index: `index` itself (checked) or a random one for "random"."""
    n = run.data.x_train.shape[0]
    if index == "random":
        return secrets.randbelow(n)
    if not isinstance(index, int) or not 0 <= index < n:
        raise InspectError(f"expected a training point index in [0, {n - 1}], got {index!r}")
    return index


def trace(run: Run, index: int) -> Walkthrough:
    """Training sample `index` through the run's model and optimiser (nothing changes)."""
    tr, s = run.trainer, run.trainer.settings
    settings = StepSettings(
        learning_rate=float(tr.schedule.lr(tr.epoch, s.learning_rate)),  # the next epoch's rate
        l1=s.l1,
        l2=s.l2,
        clip_norm=s.clip_norm,
        clip_value=s.clip_value,
    )
    rng = np.random.default_rng([run.config.training.seed, DROPOUT_STREAM, tr.epoch, index])
    data = run.data
    x, y = data.x_train[index], data.y_train[index]
    return walkthrough(run.model, x, y, tr.optimizer, settings, rng)


def inspection_frame(run: Run, index: int | str) -> dict[str, Any]:
    """An `inspection` frame for a training point index or "random" (worker thread)."""
    i = resolve_index(run, index)
    return _frame(run, i, trace(run, i))


def apply_sample(run: Run, index: int) -> dict[str, Any]:
    """Apply sample `index`'s single step to the weights; the fresh `inspection` frame after it."""
    i = resolve_index(run, index)
    walk = trace(run, i)
    apply_update(run.model, run.trainer.optimizer, walk)
    frame = _frame(run, i, trace(run, i))
    frame["applied"] = {"loss_before": walk.loss}
    return frame


def _frame(run: Run, index: int, walk: Walkthrough) -> dict[str, Any]:
    data = run.data
    n = MAX_INSPECT_UNITS
    return {
        "type": "inspection",
        "index": index,
        "epoch": run.epoch,
        "task": walk.task,
        "point": _list(data.points_train[index]),
        "target": _list(walk.target),
        "label": _list(np.asarray(data.y_train[index]).reshape(-1))[0],
        "input_labels": list(data.input_labels),
        "x": _list(walk.x[:n]),
        "logits": _list(walk.logits),
        "output": _list(np.asarray(walk.output).reshape(-1)),
        "loss": walk.loss,
        "d_logits": _list(walk.d_logits),
        "optimizer": {k: v for k, v in walk.optimizer.items() if k != "state"},
        "step": {k: v for k, v in walk.step.items() if k != "grad"},
        "layers": [_layer(tr, walk.optimizer["state"].get(tr.name, {})) for tr in walk.layers],
        "max_units": n,
    }


def _layer(tr: LayerTrace, state: dict[str, dict[str, np.ndarray]]) -> dict[str, Any]:
    n = MAX_INSPECT_UNITS
    n_in, n_out = tr.W.shape
    out: dict[str, Any] = {
        "name": tr.name,
        "activation": tr.activation,
        "n_in": n_in,
        "units": n_out,
        "truncated": n_in > n or n_out > n,
    }
    for key in ("a_prev", "b", "z", "a", "fprime", "out", "d_out", "d_a", "d_y", "d_z", "db"):
        value = getattr(tr, key)
        out[key] = None if value is None else _list(value[:n])
    out["W"] = _matrix(tr.W)
    out["dW"] = _matrix(tr.dW)
    out["bn"] = (
        None
        if tr.bn is None
        else {k: (float(v) if k == "eps" else _list(v[:n])) for k, v in tr.bn.items()}
    )
    if tr.bn is not None:
        out["bn"]["d_gamma"] = _list(np.asarray(tr.d_gamma)[:n])
        out["bn"]["d_beta"] = _list(np.asarray(tr.d_beta)[:n])
    out["dropout"] = (
        None
        if tr.dropout is None
        else {"rate": tr.dropout["rate"], "mask": _list(tr.dropout["mask"][:n])}
    )
    out["grad_used"] = {k: _part(v) for k, v in tr.grad_used.items()}
    out["update"] = {k: _part(v) for k, v in tr.update.items()}
    out["state"] = {p: {k: _part(v) for k, v in d.items()} for p, d in state.items()}
    return out


def _part(value: np.ndarray) -> Any:
    return _matrix(value) if value.ndim == 2 else _list(value[:MAX_INSPECT_UNITS])


def _matrix(value: np.ndarray | None) -> list[list[float]] | None:
    if value is None:
        return None
    n = MAX_INSPECT_UNITS
    return np.asarray(value[:n, :n], dtype=np.float64).tolist()


def _list(value: Any) -> list[Any]:
    return np.asarray(value, dtype=np.float64).reshape(-1).tolist()
