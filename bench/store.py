"""`python -m bench.store`: what the run store costs: epochs/s with it on vs off, bytes on disk.

A session's loop in one thread (train an epoch, hand the record and histograms to the Recorder,
which queues them, and the checkpoints its host captures on the CADENCE) against the same loop
without a Recorder, on the default config (2-8-8-1 tanh, spiral, about 1000 epochs/s), BLAS
pinned to one thread. Measured as CPU time per epoch of the training thread, of its calls into
the Recorder and of the writer thread (another process's load hardly moves those), alternating
on and off; medians. Then the size on disk per 1000 recorded epochs, and of a 100 000-epoch run
of the default network (synthetic records and histograms of the real shape, so it takes seconds;
the retention policy bounds it).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

from app.schemas.config import SessionConfig
from app.store import DB_NAME, RunStore
from app.training.executors.host import CheckpointPolicy
from app.training.recorder import Recorder
from app.training.run import Run


def _size(data_dir: Path) -> int:
    return sum(p.stat().st_size for p in data_dir.iterdir() if p.name.startswith(DB_NAME))


def session_loop(run: Run, recorder: Recorder | None, epochs: int) -> tuple[float, float]:
    """CPU seconds of this (training) thread for `epochs` epochs, and of that in the Recorder."""
    started, recording = time.thread_time(), 0.0
    policy = CheckpointPolicy(None if recorder is None else recorder.cadence)
    for _ in range(epochs):
        record = run.train_epoch()
        hist = record.pop("histograms", None)
        checkpoint = policy.at_epoch_end(run)  # captured where the Run lives (the host)
        if recorder is not None:
            handed = time.thread_time()
            recorder.observe("record", record, run.epoch)
            if hist:
                frame = {"type": "histograms", "epoch": record["epoch"], "layers": hist}
                recorder.observe("histograms", frame, run.epoch)
            if checkpoint is not None:
                recorder.saved(checkpoint)
            recording += time.thread_time() - handed
    return time.thread_time() - started, recording


def on_off(epochs: int, repeats: int, data_dir: Path) -> dict[str, float]:
    """Median µs per epoch: training thread off and on, its Recorder calls, the writer thread."""
    store = RunStore.open(data_dir)
    config = SessionConfig()
    plain, recorded = Run(config), Run(config)
    recorder = Recorder(store, "bench", config.model_dump())
    session_loop(plain, None, 100)  # warm-up
    session_loop(recorded, recorder, 100)
    store.flush()
    rows: dict[str, list[float]] = {"off": [], "on": [], "recorder": [], "writer": []}
    for _ in range(repeats):
        rows["off"].append(session_loop(plain, None, epochs)[0] / epochs)
        before = store.writer.cpu_seconds
        total, recording = session_loop(recorded, recorder, epochs)
        store.flush()
        rows["on"].append(total / epochs)
        rows["recorder"].append(recording / epochs)
        rows["writer"].append((store.writer.cpu_seconds - before) / epochs)
    store.close()
    medians = {key: 1e6 * statistics.median(values) for key, values in rows.items()}
    medians["per_1000"] = 1000 * _size(data_dir) / recorded.epoch
    return medians


def long_run_bytes(epochs: int, data_dir: Path) -> tuple[int, int]:
    """(bytes on disk, rows kept) after `epochs` synthetic records of the default network."""
    run = Run(SessionConfig())
    for _ in range(10):
        template = run.train_epoch()
    hist = template.pop("histograms")
    rng = random.Random(0)
    store = RunStore.open(data_dir)
    store.create_run("long", "long", SessionConfig().model_dump(), "running")
    for epoch in range(1, epochs + 1):
        record = {k: rng.random() if isinstance(v, float) else v for k, v in template.items()}
        record["epoch"] = epoch
        record["layers"] = [
            {k: rng.random() if isinstance(v, float) else v for k, v in layer.items()}
            for layer in template["layers"]
        ]
        store.add_record("long", 0, record)
        if epoch % SessionConfig().training.histogram_every == 0:
            store.add_histograms("long", 0, epoch, hist)
    store.flush()
    rows = len(store.records("long"))
    store.close()
    return _size(data_dir), rows


def main(argv: list[str] | None = None) -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(prog="python -m bench.store", description=__doc__)
    parser.add_argument("--epochs", type=int, default=1000, help="epochs per repeat and side")
    parser.add_argument("--repeats", type=int, default=7, help="repeats (median)")
    parser.add_argument("--long", type=int, default=100_000, help="epochs of the long run")
    args = parser.parse_args(argv)
    with threadpool_limits(limits=1), tempfile.TemporaryDirectory() as tmp:
        m = on_off(args.epochs, args.repeats, Path(tmp) / "a")
        size, rows = long_run_bytes(args.long, Path(tmp) / "b")
    cost = m["recorder"] + m["writer"]
    print("Run store: default config (2-8-8-1 tanh, spiral 400), session-like loop;")
    print("CPU time per epoch by thread, medians (another process's load hardly moves them)")
    print(f"  training thread, store off    {m['off']:7.1f} µs/epoch")
    print(f"  training thread, store on     {m['on']:7.1f} µs/epoch  (difference: noise + cost)")
    print(f"    of which in the Recorder    {m['recorder']:7.1f} µs/epoch")
    print(f"  writer thread                 {m['writer']:7.1f} µs/epoch")
    print(
        f"  at 1000 epochs/s the store costs {cost:.1f} µs of each 1000 µs epoch even when the"
        f" writer shares the core: {100 * 1000 / (1000 + cost):.1f} % of the epochs/s"
        " (target >= 95 %)"
    )
    print(f"  on disk {m['per_1000'] / 1024:.1f} KiB per 1000 epochs (records, histograms, events,"
          " checkpoints)")  # fmt: skip
    print(f"  {args.long:,} epochs: {size / 2**20:.1f} MiB, {rows:,} rows kept (target < 20 MB)")


if __name__ == "__main__":
    main()
