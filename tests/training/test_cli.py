"""Headless CLI: `backprop-lab train` files and errors, and numbers equal to a browser session's."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.cli import main
from app.training.history import LAYER_COLUMNS, SCALAR_COLUMNS
from tests.conftest import make_test_app, strict_json

SMALL: dict[str, Any] = {
    "dataset": {"name": "moons", "samples": 100},
    "model": {"layers": [{"units": 6, "activation": "relu"}, {"units": 4, "activation": "tanh"}]},
    "training": {"optimizer": "adam", "learning_rate": 0.01, "seed": 5},
}


def train(*args: str | Path) -> int:
    return main(["train", "--quiet", *(str(a) for a in args)])


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def exit_message(*args: str | Path) -> str:
    """The message of the SystemExit that `train ARGS` must raise."""
    with pytest.raises(SystemExit) as info:
        train(*args)
    assert isinstance(info.value.code, str), (
        f"expected a message, got exit code {info.value.code!r}"
    )
    return info.value.code


def test_preset_to_json_has_the_documented_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "metrics.json"
    assert train("--preset", "spiral", "--epochs", "4", "--out", out) == 0
    data = strict_json(out.read_text(encoding="utf-8"))
    assert set(data) == {"config", "epochs"}
    assert data["config"]["dataset"]["name"] == "spiral"
    epochs = data["epochs"]
    assert [e["epoch"] for e in epochs] == [1, 2, 3, 4]
    for record in epochs:
        for key in ("train_loss", "val_loss", "train_acc", "val_acc", "lr"):
            assert isinstance(record[key], float) and math.isfinite(record[key]), key
        assert [layer["name"] for layer in record["layers"]] == ["dense0", "dense1", "dense2"]
        for layer in record["layers"]:
            for key in ("grad_norm", "weight_norm", "update_ratio"):
                assert isinstance(layer[key], float) and layer[key] >= 0, key
        assert "histograms" not in record
    assert "epoch 4: train loss" in capsys.readouterr().out


def test_config_file_to_csv_has_one_row_per_epoch_and_per_layer_columns(tmp_path: Path) -> None:
    config = write_json(tmp_path / "config.json", SMALL)
    out = tmp_path / "metrics.csv"
    assert train("--config", config, "--epochs", "5", "--out", out) == 0
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(row["epoch"]) for row in rows] == [1, 2, 3, 4, 5]
    for name in ("dense0", "dense1", "dense2"):
        for key in ("grad_norm", "weight_norm", "update_ratio"):
            assert all(float(row[f"{name}.{key}"]) >= 0 for row in rows), f"{name}.{key}"
    assert "dense3.grad_norm" not in rows[0]
    assert all(float(row["lr"]) == 0.01 for row in rows)
    assert float(rows[-1]["train_loss"]) < float(rows[0]["train_loss"])


def test_a_sparse_validation_cadence_prints_and_writes_what_was_measured(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    patch = {**SMALL, "training": {**SMALL.get("training", {}), "eval_every": 2}}
    config = write_json(tmp_path / "config.json", patch)
    out = tmp_path / "metrics.csv"
    assert train("--config", config, "--epochs", "3", "--out", out) == 0
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["val_loss"] != "" for row in rows] == [False, True, False]
    assert all(float(row["train_loss"]) > 0 for row in rows)
    assert "epoch 3: train loss" in capsys.readouterr().out  # val: n/a, not a crash


def test_seed_option_overrides_the_training_seed(tmp_path: Path) -> None:
    config = write_json(tmp_path / "config.json", SMALL)
    runs = {}
    for seed in ("5", "6"):
        out = tmp_path / f"seed{seed}.json"
        train("--config", config, "--epochs", "2", "--seed", seed, "--out", out)
        runs[seed] = json.loads(out.read_text(encoding="utf-8"))
    assert runs["6"]["config"]["training"]["seed"] == 6
    assert runs["5"]["epochs"][0]["train_loss"] != runs["6"]["epochs"][0]["train_loss"]
    same = tmp_path / "same.json"
    train("--config", config, "--epochs", "2", "--out", same)
    assert json.loads(same.read_text(encoding="utf-8")) == runs["5"], (
        "seed 5 is the file's own seed"
    )


def test_diverging_run_stops_and_writes_null(tmp_path: Path) -> None:
    config = write_json(
        tmp_path / "config.json",
        {
            "dataset": {"name": "plane"},
            "model": {
                "layers": [{"units": 32, "activation": "relu"}] * 3,
                "init": "normal",
                "init_scale": 5.0,
            },
            "training": {"learning_rate": 10.0, "momentum": 0.99},
        },
    )
    out = tmp_path / "diverged.json"
    assert train("--config", config, "--epochs", "200", "--out", out) == 0
    epochs = strict_json(out.read_text(encoding="utf-8"))["epochs"]
    assert len(epochs) < 200 and epochs[-1]["train_loss"] is None


def test_unknown_preset_names_the_choices() -> None:
    message = exit_message("--preset", "nope")
    assert "unknown preset 'nope'" in message and "vanishing-gradients" in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read"),
        ("{not json", "cannot read"),
        ("[1, 2]", "must hold a JSON object, got list"),
        ('{"training": {"learning_rate": -1}}', "training.learning_rate"),
        (
            '{"model": {"layers": [{"units": 8, "activation": "magic"}]}}',
            "model.layers.0.activation",
        ),
        ('{"colour": "blue"}', "colour"),
    ],
)
def test_bad_config_file_names_the_problem(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    path = tmp_path / "config.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    message = exit_message("--config", path)
    assert message.startswith("backprop-lab: ") and expected in message
    if content is None:
        assert str(path) in message


def test_config_that_cannot_be_built_names_the_problem(tmp_path: Path) -> None:
    path = write_json(tmp_path / "config.json", {"model": {"layers": [{"units": 256}] * 5}})
    assert "model too large" in exit_message("--config", path)


def test_bad_options_name_the_problem(tmp_path: Path) -> None:
    assert "--epochs must be at least 1" in exit_message("--preset", "spiral", "--epochs", "0")
    assert "--out must end in .csv or .json" in exit_message(
        "--preset", "spiral", "--out", tmp_path / "m.txt"
    )
    assert not (tmp_path / "m.txt").exists()


def test_preset_and_config_are_mutually_exclusive_and_one_is_required(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        train("--epochs", "3")
    assert info.value.code == 2 and "--preset" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        train("--preset", "spiral", "--config", write_json(tmp_path / "c.json", {}))
    assert "not allowed with" in capsys.readouterr().err


# ---- the same numbers as a browser session ---------------------------------------------------


def session_records(body: dict[str, Any], epochs: int) -> list[dict[str, Any]]:
    """Per-epoch records of a server session created with `body` and stepped `epochs` times."""
    with TestClient(make_test_app()) as client:
        created = client.post("/api/sessions", json=body)
        assert created.status_code == 201, created.text
        sid, token = created.json()["id"], created.json()["token"]
        frames = []
        with client.websocket_connect(f"/ws/sessions/{sid}?token={token}") as ws:
            assert strict_json(ws.receive_text())["type"] == "hello"
            ws.send_json({"type": "step", "epochs": epochs})
            for _ in range(10_000):
                frame = strict_json(ws.receive_text())
                frames.append(frame)
                if frame["type"] == "state" and frame["state"] != "running":
                    break
    assert frames[-1] == {"type": "state", "state": "paused"}, frames[-1]
    records: list[dict[str, Any]] = []
    for frame in frames:
        if frame["type"] != "metrics":
            continue
        for i in range(len(frame["epoch"])):
            record = {key: frame[key][i] for key in SCALAR_COLUMNS}
            record["layers"] = [
                {"name": layer["name"], **{key: layer[key][i] for key in LAYER_COLUMNS}}
                for layer in frame["layers"]
            ]
            records.append(record)
    return records


def cli_records(tmp_path: Path, *args: str | Path) -> list[dict[str, Any]]:
    out = tmp_path / "cli.json"
    assert train(*args, "--out", out) == 0
    epochs: list[dict[str, Any]] = strict_json(out.read_text(encoding="utf-8"))["epochs"]
    return epochs


def assert_same_numbers(cli: list[dict[str, Any]], browser: list[dict[str, Any]]) -> None:
    """Every value the browser charts equals the CLI's, exactly."""
    assert [r["epoch"] for r in browser] == [r["epoch"] for r in cli]
    for mine, theirs in zip(cli, browser, strict=True):
        for key in SCALAR_COLUMNS:
            assert mine.get(key) == theirs[key], f"epoch {mine['epoch']}: {key}"
        assert len(mine["layers"]) == len(theirs["layers"])
        for layer, other in zip(mine["layers"], theirs["layers"], strict=True):
            for key in ("name", *LAYER_COLUMNS):
                assert layer.get(key) == other[key], f"epoch {mine['epoch']}: {layer['name']}.{key}"


def test_cli_numbers_equal_a_browser_session_for_a_preset(tmp_path: Path) -> None:
    epochs = 30
    cli = cli_records(
        tmp_path, "--preset", "overfitting-dropout", "--epochs", str(epochs), "--seed", "3"
    )
    browser = session_records(
        {"preset": "overfitting-dropout", "config": {"training": {"seed": 3}}}, epochs
    )
    assert len(cli) == epochs
    assert_same_numbers(cli, browser)


def test_cli_numbers_equal_a_browser_session_for_a_config_file(tmp_path: Path) -> None:
    config = {
        **SMALL,
        "model": {
            "layers": [
                {"units": 6, "activation": "relu", "batch_norm": True, "dropout": 0.2},
                {"units": 4, "activation": "tanh"},
            ]
        },
        "training": {**SMALL["training"], "clip_norm": 0.5, "l2": 0.001},
    }
    path = write_json(tmp_path / "config.json", config)
    cli = cli_records(tmp_path, "--config", path, "--epochs", "25")
    assert_same_numbers(cli, session_records({"config": config}, 25))


def test_bad_seed_and_missing_out_folder_exit_with_a_message(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=r"invalid --seed: training\.seed"):
        main(["train", "--preset", "spiral", "--epochs", "1", "--seed", "-1", "--quiet"])
    missing = tmp_path / "nope" / "out.csv"
    with pytest.raises(SystemExit, match="does not exist"):
        main(["train", "--preset", "spiral", "--epochs", "1", "--out", str(missing), "--quiet"])
