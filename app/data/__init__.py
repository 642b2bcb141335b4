"""Data for Backprop Lab: generated 2-D shapes, input features, shipped tables and uploaded CSVs.

NumPy and the standard library only. The session layer needs one call::

    data = prepare(DataSpec(name="spiral", samples=400, noise=0.1, seed=1, features=("x1", "x2")))
    data.x_train, data.y_train, data.x_val, data.y_val    # model inputs (n, k) and targets (n,)
    data.points_train, data.points_val, data.extent       # what the boundary view plots
    data.grid_inputs(resolution)                          # heatmap inputs (planar data only)

- ``generate(name, samples, noise, seed, classes=None)``: the TensorFlow Playground shapes and more
  in [-6, 6]²; ``GENERATORS`` describes each (task, allowed and default class counts).
- ``feature_matrix(xy, names)``: the input features x1, x2, x1sq, x2sq, x1x2, sin_x1, sin_x2,
  cos_x1, cos_x2 (``FEATURES`` holds their display labels).
- ``parse_csv(data, target=None, task="auto", ...) -> Table``, else ``CsvError(message, row,
  column)``; ``retarget(table, target, task)`` re-reads the same CSV with another target.
- ``load_builtin(name, target=None, task="auto") -> Table``; ``BUILTIN`` maps each shipped table's
  name to a JSON-ready description: title, rows, features, task, target, classes, description
  (sources and licences in app/data/datasets/SOURCES.md).
- ``train_val_split``, ``Standardizer`` and ``Pca2``: building blocks ``prepare`` uses (statistics
  and projections are fitted on the training split only).
- ``with_point``, ``without_point_near``, ``with_features``: edit prepared planar data by hand.

Dataset names: ``DATASET_NAMES`` = the generators, the built-in tables, and "csv" (an uploaded
``Table`` passed as ``DataSpec.table``).
"""

from __future__ import annotations

from app.data.builtin import BUILTIN, load_builtin
from app.data.csv_parse import TASK_CHOICES, parse_csv, retarget
from app.data.features import (
    DEFAULT_FEATURES,
    FEATURES,
    FeatureInfo,
    check_features,
    feature_labels,
    feature_matrix,
)
from app.data.generators import (
    EXTENT,
    GENERATORS,
    MAX_SAMPLES,
    MIN_SAMPLES,
    GeneratorInfo,
    generate,
)
from app.data.prepare import (
    CSV,
    DATASET_NAMES,
    MAX_POINTS,
    DataSpec,
    PreparedData,
    prepare,
    with_features,
    with_point,
    without_point_near,
)
from app.data.split import train_val_split
from app.data.table import CsvError, Table
from app.data.transform import Pca2, Standardizer

__all__ = [
    "BUILTIN",
    "CSV",
    "DATASET_NAMES",
    "DEFAULT_FEATURES",
    "EXTENT",
    "FEATURES",
    "GENERATORS",
    "MAX_POINTS",
    "MAX_SAMPLES",
    "MIN_SAMPLES",
    "TASK_CHOICES",
    "CsvError",
    "DataSpec",
    "FeatureInfo",
    "GeneratorInfo",
    "Pca2",
    "PreparedData",
    "Standardizer",
    "Table",
    "check_features",
    "feature_labels",
    "feature_matrix",
    "generate",
    "load_builtin",
    "parse_csv",
    "prepare",
    "retarget",
    "train_val_split",
    "with_features",
    "with_point",
    "without_point_near",
]
