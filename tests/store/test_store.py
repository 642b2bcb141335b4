"""RunStore: runs, records, events, checkpoints, rename, delete, restart, read-only opening."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.store import DB_NAME, RunStore


def record(epoch: int, val_loss: float | None = 1.0, val_acc: float | None = 0.5) -> dict:
    return {
        "epoch": epoch,
        "train_loss": 1.0 / epoch,
        "val_loss": val_loss,
        "val_acc": val_acc,
        "stopped": False,
        "layers": [{"name": "dense0", "grad_norm": 0.1 * epoch}],
    }


def test_records_events_and_checkpoints_come_back(store: RunStore) -> None:
    store.create_run("r1", "first", {"a": 1}, "idle")
    for epoch in range(1, 6):
        store.add_record("r1", 0, record(epoch, val_loss=10.0 - epoch, val_acc=0.1 * epoch))
    store.add_event("r1", 0, 5, "configure", {"changes": [{"path": "x", "old": 1, "new": 2}]})
    store.add_record("r1", 1, record(1, val_loss=None, val_acc=None))  # after a reset
    store.save_checkpoint("r1", 1, 1, {"a": 2}, lambda: b"npz bytes")
    store.update_run("r1", state="paused", config={"a": 2})
    store.flush()

    run = store.get_run("r1")
    assert run is not None
    assert (run["state"], run["config"], run["epochs"]) == ("paused", {"a": 2}, 1)
    assert run["best_val_loss"] == 5.0 and run["best_val_acc"] == 0.5
    assert [(s, r["epoch"]) for s, r in store.records("r1")] == [
        *((0, e) for e in range(1, 6)),
        (1, 1),
    ]
    assert store.records("r1")[0][1] == record(1, val_loss=9.0, val_acc=0.1)
    (event,) = store.events("r1")
    assert (event["kind"], event["epoch"], event["payload"]["changes"][0]["new"]) == (
        "configure",
        5,
        2,
    )
    assert store.latest_checkpoint("r1") == (1, 1, {"a": 2}, b"npz bytes")
    assert [r["id"] for r in store.list_runs()] == ["r1"]


def test_rename_and_delete_answer_whether_the_run_existed(store: RunStore) -> None:
    store.create_run("r1", "first", {}, "idle")
    store.add_record("r1", 0, record(1))
    store.add_event("r1", 0, 1, "play", {})
    store.save_checkpoint("r1", 0, 1, {}, lambda: b"x")
    assert store.rename("r1", "renamed").result(5) is True
    assert store.rename("nope", "x").result(5) is False
    assert store.get_run("r1")["name"] == "renamed"  # type: ignore[index]
    assert store.delete("r1").result(5) is True
    store.add_record("r1", 0, record(2))  # a session still recording: dropped, no error
    store.flush()
    assert store.get_run("r1") is None
    assert store.records("r1") == [] and store.events("r1") == []
    assert store.latest_checkpoint("r1") is None
    assert store.delete("r1").result(5) is False


def test_checkpoints_are_thinned_and_the_newest_kept(store: RunStore) -> None:
    policy = store.checkpoint_retention
    store.create_run("r1", "first", {}, "running")
    last = policy.max_count + 5
    for epoch in range(1, last + 1):
        store.save_checkpoint("r1", 0, epoch, {}, lambda e=epoch: str(e).encode())  # type: ignore[misc]
    store.flush()
    kept = store.checkpoints("r1")
    assert len(kept) == policy.max_count
    assert kept[0] == (0, 1) and kept[-1] == (0, last)
    assert store.latest_checkpoint("r1")[3] == str(last).encode()  # type: ignore[index]


def test_a_restart_marks_running_runs_interrupted_and_keeps_the_rest(tmp_path: Path) -> None:
    first = RunStore.open(tmp_path)
    first.create_run("live", "live", {}, "running")
    first.create_run("paused", "paused", {}, "paused")
    first.save_checkpoint("live", 0, 3, {"c": 1}, lambda: b"ckpt")
    first.close()
    second = RunStore.open(tmp_path)
    try:
        assert second.interrupted == ["live"]
        states = {r["id"]: r["state"] for r in second.list_runs()}
        assert states == {"live": "interrupted", "paused": "paused"}
        assert second.latest_checkpoint("live") == (0, 3, {"c": 1}, b"ckpt")
    finally:
        second.close()


def test_read_only_store_reads_and_never_writes(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="data-dir"):
        RunStore(tmp_path / DB_NAME, read_only=True)
    writer = RunStore.open(tmp_path)
    writer.create_run("live", "live", {}, "running")
    writer.flush()
    reader = RunStore(tmp_path / DB_NAME, read_only=True)
    try:
        assert reader.get_run("live")["state"] == "running"  # type: ignore[index]
        with pytest.raises(RuntimeError, match="read-only"):
            reader.rename("live", "x")
        writer.close()
        with pytest.raises(RuntimeError, match="is closed"):
            writer.add_record("live", 0, record(1))
    finally:
        reader.close()
        writer.close()


def test_a_failed_write_does_not_stop_the_writer(store: RunStore) -> None:
    store.create_run("r1", "first", {}, "idle")

    def broken() -> bytes:
        raise sqlite3.OperationalError("disk trouble")

    store.save_checkpoint("r1", 0, 1, {}, broken)
    with pytest.raises(sqlite3.OperationalError):
        store.flush()  # the failing batch reports to whoever waits on it
    store.create_run("r2", "second", {}, "idle")
    store.flush()
    assert store.get_run("r2") is not None


def test_histograms_come_back_and_are_pruned_like_records(tmp_path: Path) -> None:
    from app.store import Retention

    policy = Retention(full_prefix=100, recent_window=50, decimated_budget=40)
    store = RunStore.open(tmp_path, retention=policy)
    try:
        store.create_run("r1", "first", {}, "running")
        layers = [{"name": "dense0", "weights": {"lo": -1.0, "hi": 1.0, "counts": [1, 2, 3]}}]
        for epoch in range(10, 3_001, 10):
            store.add_histograms("r1", 0, epoch, layers)
        store.flush()
        frames = store.histograms("r1")
        assert frames[0] == (0, 10, layers)
        assert [e for _, e, _ in frames] == [
            e for e in range(10, 3_001, 10) if policy.keeps(e, 3_000)
        ]
        assert store.delete("r1").result(5) and store.histograms("r1") == []
    finally:
        store.close()
