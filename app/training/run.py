"""A Run: one model training on one dataset under one config; sessions and the CLI drive it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from app.data import (
    DataSpec,
    PreparedData,
    Table,
    prepare,
    with_point,
    without_point_near,
)
from app.data import from_config as data_from_config
from app.engine import from_config
from app.engine.model import Model, ModelSpec, build_model, count_parameters
from app.engine.numerics import Array
from app.engine.trainer import Trainer, TrainSettings
from app.engine.transplant import Transplant, transplant
from app.schemas.config import (
    MAX_PARAMETERS,
    SessionConfig,
    TrainingConfig,
    is_network_edit,
    needs_rebuild,
)
from app.training.confusion import confusion
from app.training.unit_maps import health_rows, map_resolution, unit_maps

BOUNDARY_RESOLUTION = 64
MAX_SNAPSHOT_BLOCK = (
    64  # weights beyond a 64×64 block per layer are not sent: the view draws ≤ 32 units
)

TableLookup = Callable[[str], Table | None]


class ConfigError(Exception):
    """A config that is valid field by field but cannot be built (unknown upload, too large)."""

    def __init__(self, message: str, code: str = "bad_config") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def data_spec(config: SessionConfig, tables: TableLookup | None) -> DataSpec:
    """The data layer's spec for a session config."""
    ds = config.dataset
    table = None
    if ds.name == "csv":
        table = tables(ds.upload_id or "") if tables else None
        if table is None:
            raise ConfigError(
                f"unknown upload_id {ds.upload_id!r}: upload the CSV again "
                "(uploads live until the server restarts)"
            )
    return data_from_config.data_spec(ds.model_dump(), table)


def model_spec(config: SessionConfig, data: PreparedData) -> ModelSpec:
    """The engine's model spec: hidden layers from the config, inputs and outputs from the data."""
    spec = from_config.model_spec(
        config.model.model_dump(), data.x_train.shape[1], data.n_outputs(), data.task
    )
    count = count_parameters(spec)
    if count > MAX_PARAMETERS:
        raise ConfigError(
            f"model too large: {count:,} parameters, at most {MAX_PARAMETERS:,} allowed; "
            "use fewer or narrower hidden layers",
            code="too_large",
        )
    return spec


def train_settings(t: TrainingConfig) -> TrainSettings:
    """The engine's training settings for a session's training config."""
    return from_config.train_settings(t.model_dump())


class Run:
    """Data, model and trainer built from a config; changes keep the weights where they can."""

    def __init__(self, config: SessionConfig, tables: TableLookup | None = None) -> None:
        self.tables = tables
        self.config = config
        self.data = prepare(data_spec(config, tables))
        self.model, self.trainer = self._build(config, self.data)
        # What the last `apply` kept across a network edit; None when it started afresh or
        # did not rebuild (the session continues the history only when this is set).
        self.last_edit: Transplant | None = None
        self._unit_inputs: tuple[PreparedData, int, Array | None, Array] | None = None

    def _build(self, config: SessionConfig, data: PreparedData) -> tuple[Model, Trainer]:
        spec = model_spec(config, data)
        seed = config.training.seed
        model = build_model(spec, np.random.default_rng([seed, 0]))
        trainer = Trainer(
            model,
            train_settings(config.training),
            data.x_train,
            data.y_train,
            data.x_val,
            data.y_val,
            np.random.default_rng([seed, 1]),
        )
        return model, trainer

    @property
    def epoch(self) -> int:
        """Completed epochs since the last build or reset."""
        return self.trainer.epoch

    def train_epoch(self) -> dict[str, Any]:
        """Run one epoch (or the rest of the one in progress) and return its record."""
        return self.trainer.run_epoch()

    def train(self, deadline: float) -> dict[str, Any] | None:
        """Train until an epoch completes (its record) or `deadline` passes between batches (None).

        An epoch split across calls gives the same numbers as `train_epoch` (see Trainer.train).
        """
        return self.trainer.train(deadline)

    def reset(self) -> None:
        """Fresh weights from the config's seed, same data."""
        self.model, self.trainer = self._build(self.config, self.data)
        self.last_edit = None

    def apply(self, new: SessionConfig) -> bool:
        """Switch to a new config; returns True when the network had to be rebuilt.

        A rebuild that only edits the network (see `is_network_edit`) of finite weights carries
        the kept units' weights, the optimiser state and the epoch count over (`last_edit` says
        what was kept); any other rebuild starts afresh (`last_edit` is None).
        """
        self.last_edit = None
        if needs_rebuild(self.config, new):
            edit = is_network_edit(self.config, new) and bool(np.isfinite(self.model.theta).all())
            data = self.data if edit else prepare(data_spec(new, self.tables))
            model, trainer = self._build(new, data)
            if edit:
                self.last_edit = transplant(self.trainer, trainer)
            self.config, self.data, self.model, self.trainer = new, data, model, trainer
            return True
        self.trainer.update_settings(train_settings(new.training))
        self.model.set_dropout([layer.dropout for layer in new.model.layers])
        self.config = new
        return False

    def regenerate(self) -> None:
        """New points from the next data seed; the weights are kept."""
        dataset = self.config.dataset.model_copy(
            update={"seed": (self.config.dataset.seed + 1) % 2**31}
        )
        config = self.config.model_copy(update={"dataset": dataset})
        self._set_data(config, prepare(data_spec(config, self.tables)))

    def add_point(self, x: float, y: float, label: float) -> None:
        """Add a hand-placed training point (planar data only)."""
        self._set_data(
            self.config, with_point(self.data, data_spec(self.config, self.tables), (x, y), label)
        )

    def remove_point(self, x: float, y: float) -> None:
        """Remove the point nearest to (x, y) (planar data only)."""
        self._set_data(
            self.config, without_point_near(self.data, data_spec(self.config, self.tables), (x, y))
        )

    def _set_data(self, config: SessionConfig, data: PreparedData) -> None:
        self.trainer.set_data(data.x_train, data.y_train, data.x_val, data.y_val)
        self.config, self.data = config, data

    def snapshot(self) -> dict[str, Any]:
        """The decision boundary (or per-point predictions) and weights: a `snapshot` frame."""
        return {
            "type": "snapshot",
            "epoch": self.epoch,
            "boundary": self._boundary(),
            "weights": self._weights(),
            # The network as the engine built it, so the page never derives names or counts.
            "layer_names": list(self.model.dense_names),
            "parameter_count": count_parameters(self.model.spec),
            "confusion": self._confusion(),
            "units": self._units(),
        }

    def _units(self) -> dict[str, Any]:
        """Per hidden unit: its map over the plane and its health (issue 10, unit_maps.py)."""
        data = self.data
        res = map_resolution([h.units for h in self.model.spec.hidden])
        cached = self._unit_inputs
        if cached is None or cached[0] is not data or cached[1] != res:
            # A grid of its own: data.grid_inputs keeps one resolution, the boundary's.
            grid = data.inputs_for(data.grid_points(res)) if data.is_planar else None
            cached = self._unit_inputs = (data, res, grid, health_rows(data.x_train))
        _, _, grid, rows = cached
        return unit_maps(self.model, grid, rows)

    def _confusion(self) -> dict[str, Any] | None:
        """The validation set's confusion matrix (issue 9); None for regression or no points."""
        data = self.data
        if data.task == "regression" or len(data.y_val) == 0:
            return None
        return confusion(self.model.predict(data.x_val), data.y_val, data.task, data.class_names)

    def _boundary(self) -> dict[str, Any]:
        data, task = self.data, self.data.task
        if not data.is_planar:
            return {
                "task": task,
                "train_pred": _predictions(self.model.predict(data.x_train), task),
                "val_pred": _predictions(self.model.predict(data.x_val), task),
            }
        out = self.model.predict(data.grid_inputs(BOUNDARY_RESOLUTION))  # the grid is cached
        boundary: dict[str, Any] = {
            "task": task,
            "resolution": BOUNDARY_RESOLUTION,
            "extent": [float(v) for v in data.extent],
        }
        if task == "multiclass":
            boundary["values"] = np.argmax(out, axis=1).tolist()
            boundary["confidence"] = np.round(np.max(out, axis=1), 3).tolist()
        else:
            boundary["values"] = np.round(np.asarray(out, dtype=np.float64).ravel(), 4).tolist()
        return boundary

    def _weights(self) -> list[dict[str, Any]]:
        n = MAX_SNAPSHOT_BLOCK
        return [
            {
                "name": name,
                "shape": list(w.shape),
                "W": np.round(w[:n, :n].astype(np.float64), 4).tolist(),
                "b": np.round(b[:n].astype(np.float64), 4).tolist(),
            }
            for name, w, b in self.model.dense_weights()
        ]

    def dataset_frame(self) -> dict[str, Any]:
        """The points to draw and what they mean, as a `dataset` frame."""
        d = self.data
        return {
            "type": "dataset",
            "name": self.config.dataset.name,
            "task": d.task,
            "class_names": list(d.class_names),
            "feature_names": list(d.feature_names),
            "input_labels": list(d.input_labels),
            "is_planar": bool(d.is_planar),
            "extent": [float(v) for v in d.extent],
            "train": {"x": np.round(d.points_train, 3).tolist(), "y": _labels(d.y_train, d.task)},
            "val": {"x": np.round(d.points_val, 3).tolist(), "y": _labels(d.y_val, d.task)},
        }


def _labels(y: np.ndarray, task: str) -> list[Any]:
    if task == "regression":
        return np.round(np.asarray(y, dtype=np.float64).ravel(), 4).tolist()
    return np.asarray(y).ravel().astype(np.int64).tolist()


def _predictions(out: np.ndarray, task: str) -> list[Any]:
    if task == "multiclass":
        return np.argmax(out, axis=1).tolist()
    if task == "binary":
        return (np.asarray(out).ravel() > 0.5).astype(np.int64).tolist()
    return np.round(np.asarray(out, dtype=np.float64).ravel(), 4).tolist()
