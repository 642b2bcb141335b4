"""Runs recorded into a store as a session records them, for the export tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.schemas.config import SessionConfig, merge_config
from app.store import RunStore
from app.training.executors.host import RunHost
from app.training.export import stored_tables
from app.training.recorder import Recorder
from app.training.run import Run


def record_run(
    store: RunStore,
    run_id: str,
    patch: dict[str, Any],
    epochs: int,
    *,
    change_at: int | None = None,
    change: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Train `epochs` epochs of `patch` (applying `change` live after `change_at` epochs), record
    them with histograms and events, pause (a checkpoint); returns the engine's records."""
    config = merge_config(SessionConfig(), patch)
    run = Run(config, stored_tables(store))
    recorder = Recorder(store, run_id, config.model_dump())
    host = RunHost(run, recorder.cadence)  # captures checkpoints, as where a session's Run lives

    def observe(kind: str, payload: dict[str, Any]) -> None:
        recorder.observe(kind, payload, run.epoch)
        if recorder.wants_checkpoint:  # as the session has its host capture one
            recorder.wants_checkpoint = False
            if (checkpoint := host.checkpoint()) is not None:
                recorder.saved(checkpoint)

    observe("frame", {"type": "state", "state": "running"})
    records = []
    for _ in range(epochs):
        if change is not None and run.epoch == change_at:
            new = merge_config(run.config, change)
            rebuilt = run.apply(new)
            if rebuilt:
                host.policy.rebuilt()
            frame = {"type": "config", "config": new.model_dump(), "rebuilt": rebuilt}
            if run.last_edit is not None:  # as the session says: a network edit keeps the history
                frame["kept_history"] = True
            observe("frame", frame)
        record = run.train_epoch()
        hists = record.pop("histograms")
        observe("record", record)
        if hists:
            observe("histograms", {"epoch": record["epoch"], "layers": hists})
        if (checkpoint := host.policy.at_epoch_end(run)) is not None:
            recorder.saved(checkpoint)  # after the record it continues
        records.append(record)
    observe("frame", {"type": "state", "state": "paused"})
    store.flush()
    return records


def upload_csv(store: RunStore, upload_id: str) -> None:
    """Store a small two-class CSV upload (three columns) under `upload_id`."""
    rows = ["a,b,c,label"]
    for i in range(60):
        a, b, c = (i * 7 % 13) / 13, (i * 5 % 11) / 11, (i * 3 % 7) / 7
        rows.append(f"{a:.3f},{b:.3f},{c:.3f},{'yes' if a + b > 1 else 'no'}")
    store.save_upload(upload_id, "small.csv", "label", "classification",
                      ("\n".join(rows) + "\n").encode())  # fmt: skip
    store.flush()


def open_store(tmp_path: Path) -> RunStore:
    """A store in tmp_path."""
    return RunStore.open(tmp_path)
