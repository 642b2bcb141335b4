"""The tensorboard export, read back with TensorBoard's own EventAccumulator."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from app.store import RunStore
from app.training.export_tensorboard import tensorboard_zip, write_tensorboard
from tests.training.recorded_runs import record_run

EVERYTHING = {"scalars": 0, "histograms": 0, "tensors": 0}


def read(path: Path) -> EventAccumulator:
    accumulator = EventAccumulator(str(path), size_guidance=EVERYTHING)
    accumulator.Reload()
    return accumulator


def close32(a: float, b: float) -> bool:
    """Equal up to float32 rounding (event files store scalars as float32)."""
    return abs(a - b) <= 1e-6 * max(abs(b), 1e-30)


@pytest.fixture
def recorded(tmp_path: Path) -> tuple[RunStore, list[dict[str, Any]], list[dict[str, Any]]]:
    store = RunStore.open(tmp_path / "data")
    patch = {"training": {"histogram_every": 5, "learning_rate": 0.05}}
    # New data and a new network: a fresh start, so segment 1 (a network edit alone continues).
    change = {"model": {"layers": [{"units": 5}]}, "dataset": {"seed": 2}}
    records = record_run(store, "r", patch, 14, change_at=12, change=change)
    return store, records[:12], records[12:]


def test_scalars_histograms_and_events_read_back_per_segment(recorded: Any, tmp_path: Path) -> None:
    store, first, second = recorded
    dirs = write_tensorboard(store, "r", tmp_path / "logs")
    assert [d.name for d in dirs] == ["segment-0", "segment-1"]
    seg0, seg1 = read(dirs[0]), read(dirs[1])
    scalars = seg0.Tags()["scalars"]
    assert {"loss/train", "loss/val", "accuracy/train", "accuracy/val", "lr",
            "grad_norm/global", "grad_norm/dense0", "weight_norm/dense1",
            "update_ratio/dense2", "act_std/dense0"} <= set(scalars)  # fmt: skip
    for tag, pick in (("loss/train", lambda r: r["train_loss"]),
                      ("accuracy/val", lambda r: r["val_acc"]),
                      ("lr", lambda r: r["lr"]),
                      ("grad_norm/dense0", lambda r: r["layers"][0]["grad_norm"]),
                      ("update_ratio/dense2", lambda r: r["layers"][2]["update_ratio"]),
                      ):  # fmt: skip
        events = seg0.Scalars(tag)
        assert [e.step for e in events] == list(range(1, 13))
        assert all(close32(e.value, pick(r)) for e, r in zip(events, first, strict=True)), tag
    assert [e.step for e in seg1.Scalars("loss/train")] == [1, 2]
    assert close32(seg1.Scalars("loss/train")[1].value, second[1]["train_loss"])
    assert "grad_norm/dense2" not in seg1.Tags()["scalars"]  # the rebuilt net has two layers

    histograms = seg0.Tags()["histograms"]
    assert {"weights/dense0", "grads/dense1", "acts/dense2"} <= set(histograms)
    weights = seg0.Histograms("weights/dense0")
    assert [h.step for h in weights] == [5, 10]
    stored = next(layers for s, e, layers in store.histograms("r") if (s, e) == (0, 10))[0]
    value = weights[1].histogram_value
    assert list(value.bucket) == stored["weights"]["counts"]
    assert value.min == pytest.approx(stored["weights"]["lo"])
    assert value.max == pytest.approx(stored["weights"]["hi"])

    texts = {
        e.step: e.tensor_proto.string_val[0].decode() for e in seg0.Tensors("events/text_summary")
    }
    assert "**play**" in texts[0] and "**pause**" not in texts[0]
    later = {
        e.step: e.tensor_proto.string_val[0].decode() for e in seg1.Tensors("events/text_summary")
    }
    assert "**architecture**" in later[0] and "model.layers" in later[0]
    assert "**pause**" in later[2]


def test_the_zip_unpacks_to_the_same_log_directory(recorded: Any, tmp_path: Path) -> None:
    store, first, _ = recorded
    tensorboard_zip(store, "r", tmp_path / "tb.zip")
    with zipfile.ZipFile(tmp_path / "tb.zip") as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "unzipped")
    assert all(n.startswith("run-r/segment-") for n in names) and len(names) == 2
    seg0 = read(tmp_path / "unzipped" / "run-r" / "segment-0")
    assert close32(seg0.Scalars("loss/val")[-1].value, first[-1]["val_loss"])


def test_long_runs_are_read_a_page_at_a_time(recorded: Any, tmp_path: Path) -> None:
    store, _first, _second = recorded
    paged = list(store.iter_records("r", page=5))
    assert [(s, r["epoch"]) for s, r in paged] == [(s, r["epoch"]) for s, r in store.records("r")]
    frames = list(store.iter_histograms("r", page=1))
    assert [(s, e) for s, e, _ in frames] == [(0, 5), (0, 10)]
