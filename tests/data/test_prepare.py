"""prepare(): generated and tabular data to model inputs, grids and hand-edited points."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from app.data import (
    DATASET_NAMES,
    GENERATORS,
    DataSpec,
    PreparedData,
    Standardizer,
    Table,
    feature_matrix,
    parse_csv,
    prepare,
    train_val_split,
    with_features,
    with_point,
    without_point_near,
)


def _csv(n: int = 40, k: int = 3, seed: int = 0) -> Table:
    rng = np.random.default_rng(seed)
    x = rng.normal(5, 2, (n, k))
    y = (x[:, 0] > 5).astype(int)
    head = ",".join([*(f"f{j}" for j in range(k)), "label"])
    lines = [
        head,
        *(",".join([*(f"{v:.6f}" for v in row), str(t)]) for row, t in zip(x, y, strict=True)),
    ]
    return parse_csv("\n".join(lines).encode())


def test_default_spec_is_the_playground_spiral() -> None:
    d = prepare(DataSpec())
    assert d.task == "binary" and d.class_names == ["0", "1"] and d.n_outputs() == 1
    assert d.x_train.shape == (280, 2) and d.x_val.shape == (120, 2)
    assert d.is_planar and d.extent == (-6.0, 6.0, -6.0, 6.0) and d.source == "generated"
    np.testing.assert_array_equal(d.x_train, d.points_train)
    assert d.feature_names == ["x1", "x2"] and d.input_labels == ["X₁", "X₂"]


@pytest.mark.parametrize("name", list(GENERATORS))
def test_every_generator_prepares(name: str) -> None:
    d = prepare(DataSpec(name=name, samples=100))
    info = GENERATORS[name]
    assert d.task == info.task
    assert len(d.y_train) + len(d.y_val) == 100 and len(d.y_val) == 30
    assert d.n_outputs() == (info.default_classes if info.task == "multiclass" else 1)
    assert d.y_train.dtype == (np.float64 if info.task == "regression" else np.int64)


def test_same_spec_same_data_other_seed_other_data() -> None:
    spec = DataSpec(name="blobs", classes=5, noise=0.3, seed=9)
    a, b = prepare(spec), prepare(spec)
    c = prepare(dataclasses.replace(spec, seed=10))
    for f in ("x_train", "y_train", "x_val", "y_val"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    assert not np.array_equal(a.x_train, c.x_train)
    assert (
        a.task == "multiclass" and a.n_outputs() == 5 and a.class_names == ["0", "1", "2", "3", "4"]
    )


def test_features_are_applied_to_the_points() -> None:
    feats = ("x1", "x2", "x1sq", "x1x2", "sin_x2")
    d = prepare(DataSpec(name="circle", features=feats))
    assert d.n_inputs == 5 and d.feature_names == list(feats)
    assert d.input_labels == ["X₁", "X₂", "X₁²", "X₁X₂", "sin(X₂)"]
    np.testing.assert_array_equal(d.x_train, feature_matrix(d.points_train, feats))
    np.testing.assert_array_equal(d.x_val, feature_matrix(d.points_val, feats))


def test_grid_is_row_major_from_the_top_with_x_rising() -> None:
    d = prepare(DataSpec(features=("x1", "x2", "x2sq")))
    pts = d.grid_points(4)
    assert pts.shape == (16, 2)
    np.testing.assert_array_equal(pts[:4, 0], [-4.5, -1.5, 1.5, 4.5])
    np.testing.assert_array_equal(pts[:4, 1], [4.5] * 4)
    np.testing.assert_array_equal(pts[::4, 1], [4.5, 1.5, -1.5, -4.5])
    g = d.grid_inputs(4)
    np.testing.assert_array_equal(g, feature_matrix(pts, ("x1", "x2", "x2sq")))
    assert g is d.grid_inputs(4) and not g.flags.writeable
    assert d.grid_inputs(50).shape == (2500, 3)
    with pytest.raises(ValueError, match=r"resolution must be in 2\.\.512, got 1"):
        d.grid_inputs(1)


def test_builtin_table_is_standardised_with_train_statistics_and_projected() -> None:
    d = prepare(DataSpec(name="wine", val_fraction=0.25, seed=4))
    assert d.source == "builtin" and d.task == "multiclass" and d.n_outputs() == 3
    assert d.x_train.shape[1] == 13 and len(d.y_train) + len(d.y_val) == 178
    np.testing.assert_allclose(d.x_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(d.x_train.std(axis=0), 1, atol=1e-12)
    assert np.abs(d.x_val.mean(axis=0)).max() > 1e-3  # validation is not re-centred on itself
    assert d.points_train.shape == (len(d.y_train), 2) and not d.is_planar
    assert d.axis_labels[0].startswith("PC1 (") and d.axis_labels[1].startswith("PC2 (")
    xmin, xmax, ymin, ymax = d.extent
    allp = np.vstack([d.points_train, d.points_val])
    assert xmin < allp[:, 0].min() and allp[:, 0].max() < xmax
    assert ymin < allp[:, 1].min() and allp[:, 1].max() < ymax
    with pytest.raises(ValueError, match="not planar"):
        d.grid_inputs(10)


def test_validation_rows_do_not_leak_into_training_inputs() -> None:
    table = _csv(n=60)
    d1 = prepare(DataSpec(name="csv", table=table, seed=2))
    # Same rows, but wildly different values in the validation rows only.
    in_val = np.isin(np.arange(60), _val_rows(table, d1))
    x2 = table.x.copy()
    x2[in_val] = x2[in_val] * 100 + 1000
    table2 = dataclasses.replace(table, x=x2)
    d2 = prepare(DataSpec(name="csv", table=table2, seed=2))
    np.testing.assert_array_equal(d1.x_train, d2.x_train)
    np.testing.assert_array_equal(d1.points_train, d2.points_train)
    assert not np.allclose(d1.x_val, d2.x_val)


def _val_rows(table: Table, d: PreparedData) -> np.ndarray:
    """Indices of the table rows that went to validation (checked against prepare's output)."""
    train, val = train_val_split(table.y, 0.3, 2, stratify=True)
    z = Standardizer.fit(table.x[train]).transform(table.x[val])
    np.testing.assert_allclose(z, d.x_val)
    return val


def test_regression_table_targets_are_standardised_and_reversible() -> None:
    d = prepare(DataSpec(name="diabetes"))
    assert d.task == "regression" and d.n_outputs() == 1 and d.class_names == []
    assert abs(d.y_train.mean()) < 1e-12 and abs(d.y_train.std() - 1) < 1e-12
    raw = np.concatenate([d.y_train, d.y_val]) * d.target_std + d.target_mean
    assert raw.min() == pytest.approx(25) and raw.max() == pytest.approx(346)


def test_csv_table_with_two_features_is_planar() -> None:
    d = prepare(DataSpec(name="csv", table=_csv(k=2)))
    assert d.is_planar and d.source == "csv" and d.axis_labels == ("f0", "f1")
    np.testing.assert_array_equal(d.points_train, d.x_train)
    np.testing.assert_array_equal(d.grid_inputs(3), d.grid_points(3))


def test_csv_spec_can_pick_another_target_or_task() -> None:
    table = _csv()
    d = prepare(DataSpec(name="csv", table=table, target="f0"))
    assert d.task == "regression" and d.target == "f0" and "label" in d.feature_names
    d = prepare(DataSpec(name="csv", table=table, task="regression"))
    assert d.task == "regression" and d.target == "label"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (DataSpec(name="mnist"), "unknown dataset 'mnist'; expected one of circle"),
        (DataSpec(name="csv"), "dataset 'csv' needs an uploaded table"),
        (DataSpec(samples=5), "samples must be in 10..5000"),
        (DataSpec(val_fraction=1.0), "val_fraction must be between 0 and 1"),
        (DataSpec(features=("x1", "z")), "unknown feature 'z'"),
        (DataSpec(name="iris", target="nope"), "target column 'nope' not found"),
    ],
)
def test_bad_specs(spec: DataSpec, message: str) -> None:
    with pytest.raises(ValueError) as err:
        prepare(spec)
    assert message in str(err.value)


def test_dataset_names() -> None:
    assert DATASET_NAMES[-1] == "csv"
    assert {"spiral", "iris", "csv"} <= set(DATASET_NAMES)
    assert len(set(DATASET_NAMES)) == len(DATASET_NAMES)


def test_add_and_remove_points_by_hand() -> None:
    spec = DataSpec(name="xor", samples=50, features=("x1", "x2", "x1x2"))
    d = prepare(spec)
    n_train, n_val = len(d.y_train), len(d.y_val)
    d2 = with_point(d, spec, (1.5, -2.0), 1)
    assert len(d2.y_train) == n_train + 1 and len(d2.y_val) == n_val
    np.testing.assert_array_equal(d2.points_train[-1], [1.5, -2.0])
    np.testing.assert_array_equal(d2.x_train[-1], [1.5, -2.0, -3.0])
    assert d2.y_train[-1] == 1 and d2.y_train.dtype == np.int64
    assert len(d.y_train) == n_train  # the original is untouched
    d3 = with_point(d2, spec, (0.0, 0.0), 0, split="val")
    assert len(d3.y_val) == n_val + 1 and d3.y_val[-1] == 0
    d4 = without_point_near(d3, spec, (1.4, -2.1))
    assert len(d4.y_train) == n_train and len(d4.y_val) == n_val + 1
    assert not np.any(np.all(d4.points_train == [1.5, -2.0], axis=1))
    d5 = without_point_near(d4, spec, (0.01, 0.0))
    assert len(d5.y_val) == n_val
    np.testing.assert_array_equal(d5.x_train, feature_matrix(d5.points_train, spec.features))


def test_regression_point_takes_a_value() -> None:
    spec = DataSpec(name="plane", samples=20)
    d2 = with_point(prepare(spec), spec, (0.0, 1.0), 0.25)
    assert d2.y_train[-1] == 0.25 and d2.y_train.dtype == np.float64


CIRCLE = DataSpec(name="circle", samples=20)


@pytest.mark.parametrize(
    ("spec", "xy", "label", "split", "message"),
    [
        (CIRCLE, (7.0, 0.0), 1, "train", "outside the plot area"),
        (CIRCLE, (float("nan"), 0.0), 1, "train", "two finite numbers"),
        (CIRCLE, (0.0, 0.0), 2, "train", "label must be a class index in 0..1, got 2"),
        (CIRCLE, (0.0, 0.0), 0.5, "train", "label must be a class index"),
        (CIRCLE, (0.0, 0.0), 1, "test", "split must be 'train' or 'val'"),
        (
            dataclasses.replace(CIRCLE, features=("x1sq",)),
            (0.0, 0.0),
            1,
            "train",
            "prepared from another spec",
        ),
        (DataSpec(name="iris"), (0.0, 0.0), 1, "train", "prepared from another spec"),
    ],
)
def test_bad_point_edits(
    spec: DataSpec, xy: tuple[float, float], label: float, split: str, message: str
) -> None:
    d = prepare(CIRCLE)
    with pytest.raises(ValueError) as err:
        with_point(d, spec, xy, label, split)
    assert message in str(err.value)


def test_cannot_add_points_to_projected_data_or_empty_a_split() -> None:
    iris = DataSpec(name="iris")
    with pytest.raises(ValueError, match="planar"):
        with_point(prepare(iris), iris, (0.0, 0.0), 0)
    spec = DataSpec(name="circle", samples=10, val_fraction=0.1)
    d = prepare(spec)
    assert len(d.y_val) == 1
    val_point = (float(d.points_val[0, 0]), float(d.points_val[0, 1]))
    with pytest.raises(ValueError, match="cannot remove the last val point"):
        without_point_near(d, spec, val_point)


def test_removing_a_projected_point() -> None:
    iris = DataSpec(name="iris")
    d = prepare(iris)
    p = d.points_train[7]
    e = without_point_near(d, iris, (float(p[0]), float(p[1])))
    assert len(e.y_train) == len(d.y_train) - 1 and e.x_train.shape[1] == 4


def test_with_features_keeps_edited_points() -> None:
    spec = DataSpec(name="moons", samples=30)
    d = with_point(prepare(spec), spec, (2.0, 3.0), 0)
    e = with_features(d, ("x1sq", "cos_x2"))
    np.testing.assert_array_equal(e.points_train, d.points_train)
    np.testing.assert_array_equal(e.x_train[-1], [4.0, np.cos(3.0)])
    assert e.input_labels == ["X₁²", "cos(X₂)"] and e.n_inputs == 2
    with pytest.raises(ValueError, match="only be chosen for generated 2-D data"):
        with_features(prepare(DataSpec(name="iris")), ("x1",))
