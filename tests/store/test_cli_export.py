"""`backprop-lab export`: files equal to the REST export; the config trains the same numbers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from app.cli import main
from app.schemas.config import SessionConfig, merge_config
from app.store import RunStore
from app.training.executors.host import RunHost
from app.training.export import export_run, read_metrics_csv
from app.training.recorder import Recorder
from app.training.run import Run


def record_a_run(data_dir: Path, epochs: int = 6) -> SessionConfig:
    config = merge_config(
        SessionConfig(), {"dataset": {"name": "moons", "samples": 80}, "training": {"seed": 4}}
    )
    store = RunStore.open(data_dir)
    run = Run(config)
    recorder = Recorder(store, "r1", config.model_dump())
    for _ in range(epochs):
        record = run.train_epoch()
        record.pop("histograms")
        recorder.observe("record", record, run.epoch)
    recorder.observe("frame", {"type": "state", "state": "paused"}, run.epoch)
    assert recorder.wants_checkpoint  # a session now has the host of its Run capture one
    checkpoint = RunHost(run, recorder.cadence).checkpoint()
    assert checkpoint is not None
    recorder.saved(checkpoint)
    store.close()
    return config


def test_each_format_matches_the_rest_export(tmp_path: Path) -> None:
    record_a_run(tmp_path)
    store = RunStore.open(tmp_path)
    try:
        for fmt in ("csv", "json", "npz", "config", "script", "png"):
            out = tmp_path / f"out.{fmt}"
            assert main(["export", "r1", "--format", fmt, "--out", str(out),
                         "--data-dir", str(tmp_path)]) == 0  # fmt: skip
            assert out.read_bytes() == export_run(store, "r1", fmt)[0]
    finally:
        store.close()
    rows = read_metrics_csv((tmp_path / "out.csv").read_text())
    assert [r["epoch"] for r in rows if r["train_loss"] is not None] == [1, 2, 3, 4, 5, 6]
    assert set(np.load(tmp_path / "out.npz").files) >= {"dense0.W", "dense2.b"}


def test_tensorboard_writes_a_log_directory(tmp_path: Path) -> None:
    record_a_run(tmp_path)
    logs = tmp_path / "logs"
    for _ in range(2):  # a second export replaces the first one's event files
        assert main(["export", "r1", "--format", "tensorboard", "--out", str(logs),
                     "--data-dir", str(tmp_path)]) == 0  # fmt: skip
    assert [p.name for p in logs.iterdir()] == ["segment-0"]
    assert len(list((logs / "segment-0").iterdir())) == 1
    events = EventAccumulator(str(logs / "segment-0"))
    events.Reload()
    store = RunStore.open(tmp_path)
    stored = [r["val_loss"] for _, r in store.records("r1")]
    store.close()
    assert [e.step for e in events.Scalars("loss/val")] == [1, 2, 3, 4, 5, 6]
    assert [e.value for e in events.Scalars("loss/val")] == pytest.approx(stored, rel=1e-6)
    with pytest.raises(SystemExit, match="no run 'nope'"):
        main(["export", "nope", "--format", "tensorboard", "--out", str(logs),
              "--data-dir", str(tmp_path)])  # fmt: skip


def test_the_exported_config_trains_the_same_numbers(tmp_path: Path) -> None:
    record_a_run(tmp_path)
    config_file, metrics = tmp_path / "config.json", tmp_path / "again.json"
    main(["export", "r1", "--format", "config", "--out", str(config_file),
          "--data-dir", str(tmp_path)])  # fmt: skip
    main(["train", "--quiet", "--config", str(config_file), "--epochs", "6",
          "--out", str(metrics)])  # fmt: skip
    again = json.loads(metrics.read_text())["epochs"]
    store = RunStore.open(tmp_path)
    exported = json.loads(export_run(store, "r1", "json")[0])
    store.close()
    stored = exported["segments"][0]["epochs"]
    assert [r["train_loss"] for r in again] == [r["train_loss"] for r in stored]
    assert [r["layers"][0]["grad_norm"] for r in again] == [
        r["layers"][0]["grad_norm"] for r in stored
    ]


def test_errors_name_what_was_expected(tmp_path: Path) -> None:
    out = str(tmp_path / "x.csv")
    with pytest.raises(SystemExit, match="no run store"):
        main(["export", "r1", "--out", out, "--data-dir", str(tmp_path)])
    record_a_run(tmp_path)
    with pytest.raises(SystemExit, match="no run 'nope'"):
        main(["export", "nope", "--out", out, "--data-dir", str(tmp_path)])
    with pytest.raises(SystemExit, match="does not exist"):
        main(["export", "r1", "--out", str(tmp_path / "no" / "x.csv"), "--data-dir", str(tmp_path)])
