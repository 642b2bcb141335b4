"""From a DataSpec to model-ready arrays: the one entry point the session layer calls."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from app.data.builtin import BUILTIN, load_builtin
from app.data.csv_parse import retarget
from app.data.features import DEFAULT_FEATURES, check_features, feature_labels, feature_matrix
from app.data.generators import EXTENT, GENERATORS, generate
from app.data.split import train_val_split
from app.data.table import Table
from app.data.transform import Pca2, Standardizer

Array = NDArray[np.float64]
CSV = "csv"
DATASET_NAMES: tuple[str, ...] = (*GENERATORS, *BUILTIN, CSV)
MAX_POINTS = 6000  # cap on train + val points after hand edits
MAX_GRID = 512


@dataclass(frozen=True)
class DataSpec:
    """What data to train on; the same spec always gives the same PreparedData."""

    name: str = "spiral"  # a generator, a built-in table or "csv"
    samples: int = 400  # generators only: 10..5000
    noise: float = 0.1  # generators only: 0..1
    val_fraction: float = 0.3
    seed: int = 1  # generation and split
    classes: int | None = None  # spiral/blobs: 2..6; None = the generator's default
    features: tuple[str, ...] = DEFAULT_FEATURES  # generators only
    table: Table | None = field(default=None, repr=False)  # name == "csv": the uploaded table
    target: str | None = None  # tables: target column (None = the table's own)
    task: str = "auto"  # tables: "auto" | "classification" | "regression"


@dataclass(frozen=True, eq=False)
class PreparedData:
    """Model inputs and targets per split, plus what the boundary view needs to draw them."""

    x_train: Array  # (n, k) model inputs: feature columns (planar) or standardised columns
    y_train: NDArray[Any]  # (n,) int64 class index, or float64 target (standardised for tables)
    x_val: Array
    y_val: NDArray[Any]
    points_train: Array  # (n, 2) plot coordinates: raw 2-D points, or the PCA projection
    points_val: Array
    task: str  # "binary" | "multiclass" | "regression"
    class_names: list[str]
    feature_names: list[str]  # input ids ("x1", "x1sq", ...) or table column names
    input_labels: list[str]  # display labels of the inputs
    is_planar: bool  # inputs are a function of the 2-D point: a full heatmap is possible
    extent: tuple[float, float, float, float]  # xmin, xmax, ymin, ymax of the plot
    axis_labels: tuple[str, str] = ("X₁", "X₂")
    source: str = "generated"  # "generated" | "builtin" | "csv"
    target: str = "label"
    target_mean: float = 0.0  # regression on tables: y_model = (y - target_mean) / target_std
    target_std: float = 1.0
    planar_features: tuple[str, ...] | None = None  # inputs = features(point); None: point itself
    _grid: dict[int, Array] = field(default_factory=dict, init=False, repr=False)

    @property
    def n_inputs(self) -> int:
        """Width of the model's input layer."""
        return int(self.x_train.shape[1])

    def n_outputs(self) -> int:
        """Width of the output layer: 1 for binary/regression, k for multiclass."""
        return len(self.class_names) if self.task == "multiclass" else 1

    def inputs_for(self, points: NDArray[np.floating]) -> Array:
        """Model inputs (n, k) for plot points (n, 2); planar data only."""
        if not self.is_planar:
            raise ValueError("this dataset is not planar: plot points are a projection, not inputs")
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        if self.planar_features is None:
            return pts.copy()
        return feature_matrix(pts, self.planar_features)

    def grid_points(self, resolution: int) -> Array:
        """(r·r, 2) cell centres over extent, row-major from the top row (ymax) down, x rising."""
        if isinstance(resolution, bool) or not isinstance(resolution, int | np.integer):
            raise ValueError(f"resolution must be an integer, got {resolution!r}")
        if not 2 <= resolution <= MAX_GRID:
            raise ValueError(f"resolution must be in 2..{MAX_GRID}, got {resolution}")
        xmin, xmax, ymin, ymax = self.extent
        steps = (np.arange(resolution) + 0.5) / resolution
        xs = xmin + steps * (xmax - xmin)
        ys = ymax - steps * (ymax - ymin)
        return np.column_stack([np.tile(xs, resolution), np.repeat(ys, resolution)])

    def grid_inputs(self, resolution: int) -> Array:
        """Model inputs for grid_points(resolution) (read-only, cached); planar data only."""
        if resolution not in self._grid:
            grid = self.inputs_for(self.grid_points(resolution))
            grid.flags.writeable = False
            self._grid.clear()  # keep one resolution: the view uses one at a time
            self._grid[resolution] = grid
        return self._grid[resolution]


def _generated(spec: DataSpec) -> PreparedData:
    features = check_features(spec.features)
    xy, y = generate(spec.name, spec.samples, spec.noise, spec.seed, spec.classes)
    info = GENERATORS[spec.name]
    task = info.task_for(spec.classes)
    train, val = train_val_split(y, spec.val_fraction, spec.seed, stratify=task != "regression")
    k = 0 if task == "regression" else int(spec.classes or info.default_classes or 2)
    return PreparedData(
        x_train=feature_matrix(xy[train], features),
        y_train=y[train],
        x_val=feature_matrix(xy[val], features),
        y_val=y[val],
        points_train=xy[train],
        points_val=xy[val],
        task=task,
        class_names=[str(c) for c in range(k)],
        feature_names=list(features),
        input_labels=feature_labels(features),
        is_planar=True,
        extent=(-EXTENT, EXTENT, -EXTENT, EXTENT),
        planar_features=features,
    )


def _table_for(spec: DataSpec) -> tuple[Table, str]:
    """The table a non-generated spec names, re-targeted when the spec asks for it."""
    if spec.name in BUILTIN:
        return load_builtin(spec.name, spec.target, spec.task), "builtin"
    if spec.name != CSV:
        raise ValueError(
            f"unknown dataset {spec.name!r}; expected one of {', '.join(DATASET_NAMES)}"
        )
    if spec.table is None:
        raise ValueError("dataset 'csv' needs an uploaded table (DataSpec.table)")
    table = spec.table
    wants_other_target = spec.target is not None and spec.target != table.target
    regression = table.task == "regression"
    wants_other_task = (spec.task == "classification" and regression) or (
        spec.task == "regression" and not regression
    )
    if wants_other_target or wants_other_task:
        table = retarget(table, spec.target, spec.task)
    return table, CSV


def _extent(points: Array) -> tuple[float, float, float, float]:
    """Bounding box of the points with an 8% margin (at least ±1 around a single value)."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    pad = np.maximum((hi - lo) * 0.08, 1e-9)
    pad = np.where(hi - lo > 1e-9, pad, 1.0)
    return (
        float(lo[0] - pad[0]),
        float(hi[0] + pad[0]),
        float(lo[1] - pad[1]),
        float(hi[1] + pad[1]),
    )


def _tabular(spec: DataSpec) -> PreparedData:
    table, source = _table_for(spec)
    classify = table.task != "regression"
    train, val = train_val_split(table.y, spec.val_fraction, spec.seed, stratify=classify)
    scaler = Standardizer.fit(table.x[train])
    x_train, x_val = scaler.transform(table.x[train]), scaler.transform(table.x[val])
    y_train, y_val = table.y[train].copy(), table.y[val].copy()
    mean, std = 0.0, 1.0
    if not classify:
        mean, std = float(y_train.mean()), float(y_train.std()) or 1.0
        y_train, y_val = (y_train - mean) / std, (y_val - mean) / std
    k = x_train.shape[1]
    if k == 2:
        pts_train, pts_val, axes = x_train.copy(), x_val.copy(), tuple(table.feature_names)
    elif k == 1:
        pts_train = np.column_stack([x_train[:, 0], np.zeros(len(train))])
        pts_val = np.column_stack([x_val[:, 0], np.zeros(len(val))])
        axes = (table.feature_names[0], "")
    else:
        pca = Pca2.fit(x_train)
        pts_train, pts_val = pca.transform(x_train), pca.transform(x_val)
        axes = tuple(f"PC{i + 1} ({100 * pca.explained[i]:.0f}% of variance)" for i in range(2))
    return PreparedData(
        x_train=x_train,
        y_train=y_train,
        x_val=x_val,
        y_val=y_val,
        points_train=pts_train,
        points_val=pts_val,
        task=table.task,
        class_names=list(table.class_names),
        feature_names=list(table.feature_names),
        input_labels=list(table.feature_names),
        is_planar=k == 2,
        extent=_extent(np.vstack([pts_train, pts_val])),
        axis_labels=(axes[0], axes[1]),
        source=source,
        target=table.target,
        target_mean=mean,
        target_std=std,
    )


def prepare(spec: DataSpec) -> PreparedData:
    """Generate or load the data, split it, build the inputs; ValueError names a bad field."""
    if spec.name in GENERATORS:
        return _generated(spec)
    return _tabular(spec)


def with_features(data: PreparedData, features: tuple[str, ...]) -> PreparedData:
    """Same points (hand edits kept) with other input features; generated data only."""
    if data.planar_features is None:
        raise ValueError("input features can only be chosen for generated 2-D data")
    names = check_features(features)
    return replace(
        data,
        x_train=feature_matrix(data.points_train, names),
        x_val=feature_matrix(data.points_val, names),
        feature_names=list(names),
        input_labels=feature_labels(names),
        planar_features=names,
    )


def _check_label(data: PreparedData, label: float) -> Any:
    """Label as stored in y: a class index for classification, a float for regression."""
    if data.task == "regression":
        value = float(label)
        if not np.isfinite(value):
            raise ValueError(f"label must be a finite number, got {label!r}")
        return value
    k = len(data.class_names)
    if isinstance(label, bool) or float(label) != int(label) or not 0 <= int(label) < k:
        raise ValueError(f"label must be a class index in 0..{k - 1}, got {label!r}")
    return int(label)


def _check_spec(data: PreparedData, spec: DataSpec) -> None:
    """The spec must still describe the data (same dataset and input features)."""
    generated = spec.name in GENERATORS
    if generated != (data.source == "generated") or (
        generated and tuple(spec.features) != data.planar_features
    ):
        raise ValueError(
            f"the data was prepared from another spec ({spec.name!r}, features "
            f"{tuple(spec.features)}); prepare it again first"
        )


def with_point(
    data: PreparedData,
    spec: DataSpec,
    xy: tuple[float, float],
    label: float,
    split: str = "train",
) -> PreparedData:
    """A copy with one more point of the given label in split "train" or "val"; planar data only.

    ``spec`` is the DataSpec the data was prepared from (checked, so a stale spec fails loudly).
    """
    _check_spec(data, spec)
    if not data.is_planar:
        raise ValueError("points can only be added to planar (2-D) data")
    if split not in ("train", "val"):
        raise ValueError(f"split must be 'train' or 'val', got {split!r}")
    point = np.asarray(xy, dtype=np.float64).reshape(-1)
    xmin, xmax, ymin, ymax = data.extent
    if point.shape != (2,) or not np.all(np.isfinite(point)):
        raise ValueError(f"expected a point (x, y) of two finite numbers, got {xy!r}")
    if not (xmin <= point[0] <= xmax and ymin <= point[1] <= ymax):
        raise ValueError(f"point {tuple(point)} is outside the plot area {data.extent}")
    if len(data.points_train) + len(data.points_val) >= MAX_POINTS:
        raise ValueError(f"the dataset already has the maximum of {MAX_POINTS} points")
    value = _check_label(data, label)
    row = data.inputs_for(point[None, :])
    pts, x, y = (
        (data.points_train, data.x_train, data.y_train)
        if split == "train"
        else (data.points_val, data.x_val, data.y_val)
    )
    new = (
        np.vstack([pts, point[None, :]]),
        np.vstack([x, row]),
        np.append(y, value).astype(y.dtype),
    )
    if split == "train":
        return replace(data, points_train=new[0], x_train=new[1], y_train=new[2])
    return replace(data, points_val=new[0], x_val=new[1], y_val=new[2])


def without_point_near(data: PreparedData, spec: DataSpec, xy: tuple[float, float]) -> PreparedData:
    """A copy without the train or val point nearest to xy (plot coordinates; any dataset)."""
    _check_spec(data, spec)
    point = np.asarray(xy, dtype=np.float64).reshape(-1)
    if point.shape != (2,) or not np.all(np.isfinite(point)):
        raise ValueError(f"expected a point (x, y) of two finite numbers, got {xy!r}")
    d_train = np.sum((data.points_train - point) ** 2, axis=1)
    d_val = np.sum((data.points_val - point) ** 2, axis=1)
    in_val = len(d_val) > 0 and (len(d_train) == 0 or d_val.min() < d_train.min())
    d, split = (d_val, "val") if in_val else (d_train, "train")
    if len(d) <= 1:
        raise ValueError(f"cannot remove the last {split} point")
    keep = np.arange(len(d)) != int(np.argmin(d))
    if split == "train":
        return replace(
            data,
            points_train=data.points_train[keep],
            x_train=data.x_train[keep],
            y_train=data.y_train[keep],
        )
    return replace(
        data, points_val=data.points_val[keep], x_val=data.x_val[keep], y_val=data.y_val[keep]
    )
