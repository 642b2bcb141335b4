"""The script export, run in a subprocess as it is, prints the run's own numbers."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.data.features import FEATURES, feature_matrix
from app.store import RunStore
from app.training.export import export_run
from app.training.export_script import FEATURE_CODE
from tests.training.recorded_runs import record_run, upload_csv

EPOCHS = 6
CASES: dict[str, dict[str, Any]] = {
    "tanh-sgd-momentum": {"training": {"momentum": 0.9, "learning_rate": 0.05}},
    "relu-sigmoid-adam": {
        "model": {
            "layers": [{"units": 8, "activation": "relu"}, {"units": 6, "activation": "sigmoid"}]
        },
        "training": {"optimizer": "adam", "learning_rate": 0.01},
    },
    "batchnorm-dropout-adamw-cosine": {
        "dataset": {"name": "xor", "features": ["x1", "x2", "x1x2", "sin_x1"]},
        "model": {
            "layers": [
                {"units": 8, "activation": "relu", "batch_norm": True, "dropout": 0.2},
                {"units": 6, "activation": "gelu", "dropout": 0.1},
            ],
            "init": "he",
        },
        "training": {
            "optimizer": "adamw",
            "weight_decay": 0.01,
            "l2": 0.001,
            "clip_norm": 0.5,
            "schedule": {"kind": "cosine", "period": 4, "warmup_epochs": 2},
        },
    },
    "multiclass-rmsprop-plateau": {
        "dataset": {"name": "blobs", "classes": 4},
        "model": {
            "layers": [{"units": 8, "activation": "elu"}, {"units": 5, "activation": "swish"}]
        },
        "training": {
            "optimizer": "rmsprop",
            "momentum": 0.5,
            "l1": 0.001,
            "clip_value": 0.1,
            "batch_size": 7,
            "schedule": {"kind": "plateau", "patience": 1},
        },
    },
    "table-nesterov-early-stopping": {
        "dataset": {"name": "iris"},
        "model": {"layers": [{"units": 8, "activation": "leaky_relu"}], "init": "orthogonal"},
        "training": {
            "momentum": 0.9,
            "nesterov": True,
            "learning_rate": 0.1,
            "early_stopping": {"enabled": True, "patience": 50},
        },
    },
    "regression-float64-adagrad-step": {
        "dataset": {"name": "sine"},
        "model": {"layers": [{"units": 12, "activation": "softplus"}], "dtype": "float64"},
        "training": {
            "optimizer": "adagrad",
            "learning_rate": 0.1,
            "schedule": {"kind": "step", "step_size": 2},
        },
    },
    "csv-upload": {"dataset": {"name": "csv", "upload_id": "u1"}},
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RunStore]:
    """A store with one CSV upload."""
    store = RunStore.open(tmp_path)
    upload_csv(store, "u1")
    yield store
    store.close()


def run_script(store: RunStore, tmp_path: Path, run_id: str, *args: str) -> list[list[float]]:
    """Export the run's script, run it with only NumPy importable, parse its epoch lines."""
    body, media, name = export_run(store, run_id, "script")
    assert media == "text/x-python" and name == f"run-{run_id}.py"
    script = tmp_path / name
    script.write_bytes(body)
    text = body.decode()
    assert "import app" not in text and "from app" not in text
    done = subprocess.run(
        [sys.executable, "-I", str(script), *args],  # -I: isolated, the app is not importable
        capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:3] == ["epoch", "train_loss", "val_loss"]
    return [[float(v) for v in line.split()] for line in lines[1:] if line[0].isdigit()]


def close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(abs(b), 1e-12)


@pytest.mark.parametrize("case", list(CASES))
def test_the_script_reproduces_the_runs_first_epochs(
    case: str, store: RunStore, tmp_path: Path
) -> None:
    records = record_run(store, case, CASES[case], EPOCHS)
    printed = run_script(store, tmp_path, case)
    assert [row[0] for row in printed] == list(range(1, EPOCHS + 1))
    for row, record in zip(printed, records, strict=True):
        expected = [record[k] for k in ("train_loss", "val_loss", "train_acc", "val_acc", "lr")]
        assert all(close(a, b) for a, b in zip(row[1:], expected, strict=True)), (row, expected)


def test_a_live_change_ends_what_it_reproduces_and_the_start_config_is_kept(
    store: RunStore, tmp_path: Path
) -> None:
    patch = {"training": {"learning_rate": 0.02}}
    records = record_run(
        store, "r", patch, 5, change_at=3, change={"training": {"learning_rate": 0.3}}
    )
    text = export_run(store, "r", "script")[0].decode()
    assert "'learning_rate': 0.02" in text and "first 3 epochs" in text
    printed = run_script(store, tmp_path, "r")
    assert [row[0] for row in printed] == [1, 2, 3]
    assert all(close(row[1], r["train_loss"]) for row, r in zip(printed, records, strict=False))
    longer = run_script(store, tmp_path, "r", "--epochs", "5")  # on with the old settings
    assert len(longer) == 5 and not close(longer[4][1], records[4]["train_loss"])


def test_the_feature_expressions_match_the_data_layer() -> None:
    assert set(FEATURE_CODE) == set(FEATURES)
    rng = np.random.default_rng(0)
    points = rng.uniform(-6, 6, (50, 2))
    a, b = points[:, 0], points[:, 1]
    for name, code in FEATURE_CODE.items():
        assert np.array_equal(
            eval(code, {"np": np, "a": a, "b": b}), feature_matrix(points, [name])[:, 0]
        )
