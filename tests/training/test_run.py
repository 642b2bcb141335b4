"""Run: determinism, live changes versus rebuilds, regenerated data, snapshots and size limits."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.data import Table
from app.schemas.config import SessionConfig, merge_config
from app.training.run import BOUNDARY_RESOLUTION, ConfigError, Run

# Dropout and batch norm draw from and keep state, so they are what could break determinism.
STATEFUL: dict[str, Any] = {
    "dataset": {"name": "moons", "samples": 120},
    "model": {
        "layers": [
            {"units": 8, "activation": "relu", "batch_norm": True, "dropout": 0.2},
            {"units": 6, "activation": "tanh", "dropout": 0.1},
        ]
    },
    "training": {"optimizer": "adam", "learning_rate": 0.01, "batch_size": 16, "seed": 7},
}


def config(patch: dict[str, Any] | None = None) -> SessionConfig:
    return merge_config(SessionConfig(), patch or {})


def weights(run: Run) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Copies of every Dense layer's (name, W, b)."""
    return [(name, w.copy(), b.copy()) for name, w, b in run.model.dense_weights()]


def same_weights(
    a: list[tuple[str, np.ndarray, np.ndarray]], b: list[tuple[str, np.ndarray, np.ndarray]]
) -> bool:
    return [n for n, _, _ in a] == [n for n, _, _ in b] and all(
        np.array_equal(wa, wb) and np.array_equal(ba, bb)
        for (_, wa, ba), (_, wb, bb) in zip(a, b, strict=True)
    )


def assert_identical(a: Any, b: Any, where: str = "record") -> None:
    """Bit-identical nested records: floats by ==, arrays by array_equal (NaN never expected)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), f"{where}: keys differ"
        for key in a:
            assert_identical(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list | tuple):
        assert isinstance(b, list | tuple) and len(a) == len(b), f"{where}: lengths differ"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_identical(x, y, f"{where}[{i}]")
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and np.array_equal(a, b), f"{where}: arrays differ"
    else:
        assert type(a) is type(b) and a == b, f"{where}: {a!r} != {b!r}"


def test_same_config_gives_bit_identical_records() -> None:
    first, second = Run(config(STATEFUL)), Run(config(STATEFUL))
    records = []
    for _ in range(20):
        records.append((first.train_epoch(), second.train_epoch()))
        first.snapshot()  # sessions draw snapshots between epochs, the CLI never does
    for a, b in records:
        assert_identical(a, b, f"epoch {a['epoch']}")
    assert [a["epoch"] for a, _ in records] == list(range(1, 21))
    assert records[0][0]["train_loss"] != records[-1][0]["train_loss"], "it trained"
    other = Run(config({**STATEFUL, "training": {**STATEFUL["training"], "seed": 8}}))
    assert other.train_epoch()["train_loss"] != records[0][0]["train_loss"], "the seed matters"


def test_training_change_applies_live_and_keeps_the_weights() -> None:
    run = Run(config(STATEFUL))
    for _ in range(3):
        run.train_epoch()
    before = weights(run)
    patch = {
        "training": {"learning_rate": 0.2, "optimizer": "sgd", "l2": 0.001, "clip_norm": 1.0},
        "model": {"layers": [{**layer, "dropout": 0.5} for layer in STATEFUL["model"]["layers"]]},
    }
    new = merge_config(run.config, patch)
    assert run.apply(new) is False
    assert same_weights(before, weights(run))
    assert run.config == new and run.epoch == 3
    assert run.model.dropout_rates == [0.5, 0.5]
    record = run.train_epoch()
    assert record["epoch"] == 4 and record["lr"] == pytest.approx(0.2)


def test_architecture_or_data_change_rebuilds() -> None:
    run = Run(config())
    run.train_epoch()
    first = run.model.dense_weights()[0][1].copy()
    wider = merge_config(
        run.config, {"model": {"layers": [{"units": 5}, {"units": 4}, {"units": 3}]}}
    )
    assert run.apply(wider) is True
    assert run.epoch == 1, "a network edit keeps the epoch count"
    assert run.last_edit is not None and run.last_edit.kept > 0
    np.testing.assert_array_equal(run.model.dense_weights()[0][1], first[:, :5])
    assert [(name, w.shape) for name, w, _ in run.model.dense_weights()] == [
        ("dense0", (2, 5)),
        ("dense1", (5, 4)),
        ("dense2", (4, 3)),
        ("dense3", (3, 1)),
    ]
    points = run.data.points_train.copy()
    assert run.apply(merge_config(run.config, {"dataset": {"name": "xor"}})) is True
    assert not np.array_equal(points, run.data.points_train)
    assert run.epoch == 0 and run.last_edit is None, "a data change starts afresh"
    run.train_epoch()
    assert run.apply(merge_config(run.config, {"model": {"init": "he"}})) is True
    assert run.epoch == 0 and run.last_edit is None, "so does another initialiser"


def test_a_diverged_network_is_not_carried_over() -> None:
    run = Run(config())
    run.train_epoch()
    run.model.theta[0] = np.nan
    run.apply(merge_config(run.config, {"model": {"layers": [{"units": 3}]}}))
    assert run.last_edit is None and run.epoch == 0


def test_regenerate_keeps_the_weights_and_draws_new_points() -> None:
    run = Run(config())
    for _ in range(2):
        run.train_epoch()
    before, points = weights(run), run.data.points_train.copy()
    run.regenerate()
    assert same_weights(before, weights(run))
    assert run.config.dataset.seed == 2 and run.epoch == 2
    assert run.data.points_train.shape == points.shape
    assert not np.array_equal(points, run.data.points_train)
    assert run.train_epoch()["epoch"] == 3


def test_planar_snapshot_has_a_boundary_grid_and_the_weights() -> None:
    run = Run(config({"model": {"layers": [{"units": 3}]}}))
    run.train_epoch()
    snap = run.snapshot()
    assert snap["type"] == "snapshot" and snap["epoch"] == 1
    boundary = snap["boundary"]
    assert boundary["task"] == "binary" and boundary["resolution"] == BOUNDARY_RESOLUTION
    assert boundary["extent"] == [-6.0, 6.0, -6.0, 6.0]
    values = np.array(boundary["values"])
    assert values.shape == (BOUNDARY_RESOLUTION**2,)
    assert np.all((values >= 0) & (values <= 1)), "binary: P(class 1)"
    assert [(w["name"], w["shape"]) for w in snap["weights"]] == [
        ("dense0", [2, 3]),
        ("dense1", [3, 1]),
    ]
    assert np.array(snap["weights"][0]["W"]).shape == (2, 3)
    assert np.array(snap["weights"][1]["b"]).shape == (1,)


def test_multiclass_planar_snapshot_gives_class_and_confidence() -> None:
    run = Run(config({"dataset": {"name": "blobs", "classes": 4}}))
    boundary = run.snapshot()["boundary"]
    assert boundary["task"] == "multiclass"
    assert len(boundary["values"]) == len(boundary["confidence"]) == BOUNDARY_RESOLUTION**2
    assert set(boundary["values"]) <= {0, 1, 2, 3}
    assert all(0.25 <= c <= 1.0 for c in boundary["confidence"]), "argmax of 4 classes is >= 1/4"


def test_tabular_snapshot_gives_per_point_predictions() -> None:
    run = Run(config({"dataset": {"name": "iris"}}))
    run.train_epoch()
    snap = run.snapshot()
    boundary = snap["boundary"]
    assert boundary["task"] == "multiclass" and "values" not in boundary
    assert len(boundary["train_pred"]) == len(run.data.y_train)
    assert len(boundary["val_pred"]) == len(run.data.y_val)
    assert len(boundary["train_pred"]) + len(boundary["val_pred"]) == 150
    assert set(boundary["train_pred"] + boundary["val_pred"]) <= {0, 1, 2}
    assert snap["weights"][0]["shape"] == [4, 8], "four measurements in"
    assert snap["weights"][-1]["shape"] == [8, 3], "three species out"


def test_model_too_large_is_a_config_error() -> None:
    huge = config({"model": {"layers": [{"units": 256}] * 5}})
    with pytest.raises(ConfigError, match="model too large") as info:
        Run(huge)
    assert info.value.code == "too_large"
    assert "250,000" in info.value.message


def test_unknown_upload_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown upload_id 'nope'"):
        Run(config({"dataset": {"name": "csv", "upload_id": "nope"}}))


def _blob_table(rows: int, columns: int, classes: int = 5) -> Table:
    rng = np.random.default_rng(4)
    centres = rng.normal(0.0, 1.0, size=(classes, columns))
    y = rng.integers(0, classes, size=rows)
    x = centres[y] + rng.normal(size=(rows, columns))
    names = [f"f{i}" for i in range(columns)]
    labels = [str(c) for c in range(classes)]
    return Table(names, x, y.astype(np.int64), "multiclass", labels, "label", [*names, "label"])


def test_a_large_table_trains_through_the_run_with_figures_from_the_pass() -> None:
    table = _blob_table(2_000, 100)
    run = Run(
        config(
            {
                "dataset": {"name": "csv", "upload_id": "big", "val_fraction": 0.2},
                "model": {"layers": [{"units": 64, "activation": "relu"}], "init": "he"},
                "training": {"batch_size": 64, "learning_rate": 0.05},
            }
        ),
        lambda upload_id: table if upload_id == "big" else None,
    )
    n_train = run.data.x_train.shape[0]
    assert abs(n_train - 1_600) <= 5, "a stratified 80/20 split"
    assert run.trainer.train_figures_from_pass
    first, second = run.train_epoch(), run.train_epoch()
    assert second["train_loss"] < first["train_loss"]
    assert second["val_acc"] > 0.5
    assert len(run.snapshot()["boundary"]["train_pred"]) == n_train


def test_instruments_and_validation_cadence_come_from_the_config_and_apply_live() -> None:
    run = Run(config({"training": {"instruments": False, "eval_every": 2}}))
    rec = run.train_epoch()
    assert rec["layers"][0]["grad_norm"] is None and rec["histograms"] is None
    assert rec["val_loss"] is None and rec["train_loss"] is not None
    assert run.train_epoch()["val_loss"] is not None
    rebuilt = run.apply(config({"training": {"instruments": True, "eval_every": 1}}))
    assert not rebuilt and run.epoch == 2, "a live change: the weights stay"
    rec = run.train_epoch()
    assert rec["layers"][0]["grad_norm"] is not None and rec["val_loss"] is not None


def test_cadence_out_of_range_is_refused_by_the_schema() -> None:
    with pytest.raises(ValueError, match="eval_every"):
        config({"training": {"eval_every": 0}})
