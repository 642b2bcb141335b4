"""`python -m bench.store`: what the run store costs: epochs/s with it on vs off, bytes on disk.

A session's loop in one thread (train an epoch, hand the record to the Recorder, which queues it
and takes a checkpoint every CHECKPOINT_EVERY epochs) against the same loop without a Recorder,
on the default config (2-8-8-1 tanh, spiral, about 1000 epochs/s), BLAS pinned to one thread.
Repeats alternate on and off so background load hits both; medians are printed. Then the size on
disk per 1000 recorded epochs, and of a 100 000-epoch run of the default network (synthetic
records and histograms of the real shape, so it takes seconds; the retention policy bounds it).
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
from app.training.recorder import Recorder
from app.training.run import Run


def _size(data_dir: Path) -> int:
    return sum(p.stat().st_size for p in data_dir.iterdir() if p.name.startswith(DB_NAME))


def rate(run: Run, recorder: Recorder | None, seconds: float) -> tuple[float, float]:
    """(epochs per wall second, per CPU second of the whole process, writer included)."""
    done, start, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        record = run.train_epoch()
        hist = record.pop("histograms", None)
        if recorder is not None:
            recorder.observe("record", record, run)
            if hist:
                frame = {"type": "histograms", "epoch": record["epoch"], "layers": hist}
                recorder.observe("histograms", frame, run)
        done += 1
    if recorder is not None:
        recorder.store.flush()  # the writer's work for these epochs is counted too
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return done / wall, done / max(cpu, 1e-9)


def on_off(
    seconds: float, repeats: int, data_dir: Path
) -> tuple[tuple[float, float], tuple[float, float], float]:
    """Median (wall, CPU) epochs/s off and on, and bytes per 1000 stored epochs."""
    store = RunStore.open(data_dir)
    config = SessionConfig()
    plain, recorded = Run(config), Run(config)
    recorder = Recorder(store, "bench", config.model_dump())
    rate(plain, None, 0.3)  # warm-up
    rate(recorded, recorder, 0.3)
    off, on = [], []
    for _ in range(repeats):
        off.append(rate(plain, None, seconds))
        on.append(rate(recorded, recorder, seconds))
    store.flush()
    store.close()
    medians = [(statistics.median(w for w, _ in r), statistics.median(c for _, c in r))
               for r in (off, on)]  # fmt: skip
    return medians[0], medians[1], 1000 * _size(data_dir) / recorded.epoch


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
    parser.add_argument("--seconds", type=float, default=1.0, help="time per repeat and side")
    parser.add_argument("--repeats", type=int, default=5, help="repeats (median)")
    parser.add_argument("--long", type=int, default=100_000, help="epochs of the long run")
    args = parser.parse_args(argv)
    with threadpool_limits(limits=1), tempfile.TemporaryDirectory() as tmp:
        off, on, per_1000 = on_off(args.seconds, args.repeats, Path(tmp) / "a")
        size, rows = long_run_bytes(args.long, Path(tmp) / "b")
    print("Run store: default config (2-8-8-1 tanh, spiral 400), session-like loop")
    print(f"{'':12}{'wall epochs/s':>16}{'CPU epochs/s':>16}  (CPU: the process, writer included)")
    print(f"  store off {off[0]:16.0f}{off[1]:16.0f}")
    print(f"  store on  {on[0]:16.0f}{on[1]:16.0f}")
    print(
        f"  on/off    {100 * on[0] / off[0]:15.1f}%{100 * on[1] / off[1]:15.1f}%  (target >= 95 %)"
    )
    print(f"  on disk   {per_1000 / 1024:8.1f} KiB per 1000 epochs (records, events, checkpoints)")
    print(f"  {args.long:,} epochs: {size / 2**20:.1f} MiB, {rows:,} rows kept (target < 20 MB)")


if __name__ == "__main__":
    main()
