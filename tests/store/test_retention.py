"""Long runs stay bounded: every early epoch, a decimated middle, a full recent window."""

from __future__ import annotations

import os
import random
from pathlib import Path

from app.schemas.config import SessionConfig
from app.store import DB_NAME, Retention, RunStore
from app.training.run import Run

SMALL = Retention(full_prefix=100, recent_window=50, decimated_budget=40)


def stored_epochs(store: RunStore, run_id: str = "r1") -> list[int]:
    return [r["epoch"] for _, r in store.records(run_id)]


def test_the_policy_keeps_prefix_window_and_a_bounded_stride() -> None:
    last = 10_000
    kept = [e for e in range(1, last + 1) if SMALL.keeps(e, last)]
    assert kept[:100] == list(range(1, 101))
    assert kept[-50:] == list(range(last - 49, last + 1))
    middle = kept[100:-50]
    stride = SMALL.stride(last)
    assert all(e % stride == 0 for e in middle)
    assert len(middle) <= SMALL.decimated_budget
    assert len(kept) <= SMALL.max_rows()


def test_the_store_keeps_exactly_what_the_policy_says(tmp_path: Path) -> None:
    store = RunStore.open(tmp_path, retention=SMALL)
    try:
        store.create_run("r1", "long", {}, "running")
        last = 0
        for batch_end in (90, 160, 400, 1_000, 2_345, 5_000):  # flushes of different sizes
            for epoch in range(last + 1, batch_end + 1):
                store.add_record("r1", 0, {"epoch": epoch, "train_loss": 1.0})
            store.flush()
            last = batch_end
            assert stored_epochs(store) == [e for e in range(1, last + 1) if SMALL.keeps(e, last)]
        assert len(stored_epochs(store)) <= SMALL.max_rows()
    finally:
        store.close()


def test_a_reopened_store_keeps_pruning_a_resumed_segment(tmp_path: Path) -> None:
    for start, stop in ((1, 700), (701, 3_000)):
        store = RunStore.open(tmp_path, retention=SMALL)
        if start == 1:
            store.create_run("r1", "long", {}, "running")
        for epoch in range(start, stop + 1):
            store.add_record("r1", 0, {"epoch": epoch, "train_loss": 1.0})
        store.flush()
        assert stored_epochs(store) == [e for e in range(1, stop + 1) if SMALL.keeps(e, stop)]
        store.close()


def test_100k_epochs_of_the_default_net_with_histograms_stay_under_20_mb(tmp_path: Path) -> None:
    run = Run(SessionConfig())
    for _ in range(10):
        template = run.train_epoch()
    hist = template.pop("histograms")
    assert hist, "the default config draws histograms every 10 epochs"
    rng = random.Random(0)
    store = RunStore.open(tmp_path)
    try:
        store.create_run("r1", "long", SessionConfig().model_dump(), "running")
        for epoch in range(1, 100_001):
            record = {k: (rng.random() if isinstance(v, float) else v) for k, v in template.items()}
            record["epoch"] = epoch
            record["layers"] = [
                {k: (rng.random() if isinstance(v, float) else v) for k, v in layer.items()}
                for layer in template["layers"]
            ]
            store.add_record("r1", 0, record)
            if epoch % 10 == 0:
                store.add_histograms("r1", 0, epoch, hist)
            if epoch % 5_000 == 0:
                store.flush()
        store.flush()
        assert len(stored_epochs(store)) <= Retention().max_rows()
    finally:
        store.close()
    size = sum(os.path.getsize(p) for p in tmp_path.iterdir() if p.name.startswith(DB_NAME))
    assert size < 20 * 1024 * 1024
