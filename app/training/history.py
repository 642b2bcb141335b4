"""Epoch records as chart columns, and a bounded history that decimates instead of dropping."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.engine.trainer import LAYER_KEYS

SCALAR_COLUMNS = (
    "epoch",
    "train_loss",
    "val_loss",
    "train_acc",
    "val_acc",
    "train_mae",
    "val_mae",
    "lr",
    "grad_norm_global",
    "grad_norm_clipped",
)
LAYER_COLUMNS = LAYER_KEYS  # per-layer instruments, as the trainer names them


def to_columns(records: Sequence[dict[str, Any]], layer_names: Sequence[str]) -> dict[str, Any]:
    """Turn per-epoch records into column arrays: the body of a `metrics` frame."""
    columns: dict[str, Any] = {key: [r.get(key) for r in records] for key in SCALAR_COLUMNS}
    columns["layers"] = [
        {"name": name, **{key: [r["layers"][i].get(key) for r in records] for key in LAYER_COLUMNS}}
        for i, name in enumerate(layer_names)
    ]
    return columns


class DecimatedHistory:
    """At most `capacity` records spread over the whole run: when full, every other one goes."""

    def __init__(self, capacity: int = 4000) -> None:
        self.capacity = capacity
        self.stride = 1
        self.records: list[dict[str, Any]] = []

    def add(self, record: dict[str, Any]) -> None:
        """Keep the record if it falls on the current stride."""
        if record["epoch"] % self.stride:
            return
        self.records.append(record)
        if len(self.records) > self.capacity:
            self.stride *= 2
            self.records = [r for r in self.records if r["epoch"] % self.stride == 0]

    def clear(self) -> None:
        """Forget everything (after a rebuild or reset)."""
        self.stride = 1
        self.records = []
