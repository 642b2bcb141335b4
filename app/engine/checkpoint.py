"""Trainer checkpoints: weights, BN statistics, optimiser state, schedule, early stopping, RNGs.

`capture(trainer)` copies everything a bit-identical continuation needs into a TrainerState (cheap:
a few array copies, safe to call between epochs); `to_bytes` / `from_bytes` turn it into `.npz`
bytes (no pickle: metadata travels as JSON in a uint8 array); `restore(trainer, state)` loads it
into a trainer built from the same config. `parameters_of(state)` gives the weights named like
`Model.parameters()`. Reads the engine objects' attributes only; the engine classes are unchanged.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.engine.numerics import Array
from app.engine.optimizer_base import Optimizer
from app.engine.trainer import Trainer

FORMAT = 1
META_KEY = "meta.json"
SLOT_FIELDS = ("u", "a", "b")


@dataclass
class TrainerState:
    """Everything a trainer needs to continue exactly where it was."""

    meta: dict[str, Any]
    arrays: dict[str, Array] = field(default_factory=dict)

    @property
    def epoch(self) -> int:
        """Completed epochs at capture time."""
        return int(self.meta["epoch"])


def _slots(opt: Optimizer) -> dict[str, Any]:
    # The per-key optimiser state has no public accessor; its slots' fields are plain attributes.
    return opt._state


def _float(value: float) -> float | str:
    return value if math.isfinite(value) else repr(value)


def _unfloat(value: float | str) -> float:
    return float(value)


def capture(trainer: Trainer) -> TrainerState:
    """Copy the trainer's full state (call between epochs, never while one runs)."""
    model, opt = trainer.model, trainer.optimizer
    arrays: dict[str, Array] = {"theta": model.theta.copy(), "bn_state": model.state.copy()}
    slots = {}
    for key, slot in _slots(opt).items():
        fields = []
        for name in SLOT_FIELDS:
            value = getattr(slot, name)
            if name == "u" or value is not slot.u:  # a and b alias u when the optimiser lacks them
                arrays[f"opt.{key}.{name}"] = value.copy()
                fields.append(name)
        slots[key] = {"t": int(slot.t), "fields": fields}
    schedule = trainer.schedule
    meta: dict[str, Any] = {
        "format": FORMAT,
        "epoch": int(trainer.epoch),
        "stopped": bool(trainer.stopped),
        "optimizer": opt.name,
        "slots": slots,
        "rng": trainer.rng.bit_generator.state,
        "model_rng": model.rng.bit_generator.state,
        "schedule": {
            "scale": schedule.scale,
            "best_loss": _float(schedule.best_loss),
            "bad_epochs": schedule.bad_epochs,
        },
        "params": [
            [name, seg.start, seg.stop, list(value.shape)]
            for (name, value, _), seg in zip(model.parameters(), _ordered(model), strict=True)
        ],
        "dtype": str(model.theta.dtype),
        "early": None,
    }
    early = trainer.early
    if early is not None:
        meta["early"] = {
            "best_epoch": early.best_epoch,
            "best_loss": _float(early.best_loss),
            "wait": early.wait,
            "stopped_epoch": early.stopped_epoch,
        }
        if early.best_theta is not None:
            arrays["early.best_theta"] = early.best_theta.copy()
    return TrainerState(meta, arrays)


def _ordered(model: Any) -> list[Any]:
    """The model's theta segments in the order of parameters() (checked by name)."""
    by_name = {seg.name: seg for seg in model.segments}
    return [by_name[name] for name, _, _ in model.parameters()]


def restore(trainer: Trainer, state: TrainerState) -> None:
    """Load a captured state into a trainer built from the same config; ValueError if it differs."""
    model, meta = trainer.model, state.meta
    theta = state.arrays["theta"]
    if theta.shape != model.theta.shape or str(theta.dtype) != str(model.theta.dtype):
        raise ValueError(
            f"checkpoint holds {theta.shape[0]} {theta.dtype} parameters; this model has "
            f"{model.theta.shape[0]} {model.theta.dtype}: was it built from another config?"
        )
    if meta["optimizer"] != trainer.optimizer.name:
        raise ValueError(
            f"checkpoint was taken with optimiser {meta['optimizer']!r}, "
            f"this trainer uses {trainer.optimizer.name!r}"
        )
    np.copyto(model.theta, theta)
    np.copyto(model.state, state.arrays["bn_state"])
    opt = trainer.optimizer
    opt.reset()
    params = {"theta": model.theta}
    for key, info in meta["slots"].items():
        p = params.get(key, model.theta)
        opt._slot(key, p, p)  # creates the slot with the right shapes and dtype
        slot = _slots(opt)[key]
        slot.t = int(info["t"])
        for name in info["fields"]:
            np.copyto(getattr(slot, name), state.arrays[f"opt.{key}.{name}"])
    trainer.epoch = int(meta["epoch"])
    trainer.stopped = bool(meta["stopped"])
    trainer.rng.bit_generator.state = meta["rng"]
    model.rng.bit_generator.state = meta["model_rng"]
    sched = meta["schedule"]
    trainer.schedule.scale = float(sched["scale"])
    trainer.schedule.best_loss = _unfloat(sched["best_loss"])
    trainer.schedule.bad_epochs = int(sched["bad_epochs"])
    early, saved = trainer.early, meta["early"]
    if early is not None and saved is not None:
        early.best_epoch = int(saved["best_epoch"])
        early.best_loss = _unfloat(saved["best_loss"])
        early.wait = int(saved["wait"])
        early.stopped_epoch = saved["stopped_epoch"]
        best = state.arrays.get("early.best_theta")
        early.best_theta = None if best is None else best.copy()


def to_bytes(state: TrainerState) -> bytes:
    """The state as `.npz` bytes (arrays by name plus a JSON metadata entry)."""
    buffer = io.BytesIO()
    meta = np.frombuffer(json.dumps(state.meta).encode(), dtype=np.uint8)
    entries: dict[str, Any] = {META_KEY: meta, **state.arrays}
    np.savez(buffer, **entries)
    return buffer.getvalue()


def from_bytes(data: bytes) -> TrainerState:
    """Read `.npz` bytes written by `to_bytes`; ValueError when they are not a checkpoint."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (OSError, ValueError) as exc:
        raise ValueError(f"expected checkpoint .npz bytes, could not read them: {exc}") from None
    raw = arrays.pop(META_KEY, None)
    if raw is None:
        raise ValueError(f"expected a checkpoint with a {META_KEY!r} entry, found none")
    meta = json.loads(raw.tobytes().decode())
    if meta.get("format") != FORMAT:
        raise ValueError(f"expected checkpoint format {FORMAT}, found {meta.get('format')!r}")
    return TrainerState(meta, arrays)


def parameters_of(state: TrainerState) -> dict[str, Array]:
    """The weights named like `Model.parameters()` (dense0.W, dense0.b, bn0.gamma, ...)."""
    theta = state.arrays["theta"]
    return {
        name: theta[start:stop].reshape(shape).copy()
        for name, start, stop, shape in state.meta["params"]
    }
