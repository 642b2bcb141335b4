"""The `tensorboard` export: a run as TensorBoard event files, written with tensorboardX.

One run directory per segment (`segment-0`, `segment-1` after a rebuild, ...), one step per
epoch. Scalars: `loss/train`, `loss/val`, `accuracy/train`, `accuracy/val` (R² for regression),
`mae/*`, `lr`, `grad_norm/global` and `grad_norm/clipped`, then every per-layer instrument as
`<instrument>/<layer>` (`grad_norm/dense0`, `weight_norm/dense0`, `update_ratio/dense0`, ...) so
TensorBoard groups the layers of one instrument. Histograms: `weights/<layer>`, `grads/<layer>`,
`acts/<layer>` from the stored histogram frames (30 equal bins; their sums are estimated from the
bin centres). Events (play, pause, setting changes, ...) as text at their epoch under `events`.
Records are read from the store a page at a time, so memory stays bounded for long runs.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from tensorboardX import SummaryWriter

from app.store import RunStore

SCALARS = {
    "train_loss": "loss/train",
    "val_loss": "loss/val",
    "train_acc": "accuracy/train",
    "val_acc": "accuracy/val",
    "train_mae": "mae/train",
    "val_mae": "mae/val",
    "lr": "lr",
    "grad_norm_global": "grad_norm/global",
    "grad_norm_clipped": "grad_norm/clipped",
}
HISTOGRAM_KINDS = ("weights", "grads", "acts")


def write_tensorboard(store: RunStore, run_id: str, logdir: Path) -> list[Path]:
    """Write the run's event files under `logdir` (created); returns the segment directories."""
    run = store.get_run(run_id)
    if run is None:
        raise KeyError(run_id)
    walltime = float(run["created"])
    writers: dict[int, SummaryWriter] = {}

    def writer(segment: int) -> SummaryWriter:
        if segment not in writers:
            path = logdir / f"segment-{segment}"
            writers[segment] = SummaryWriter(str(path), flush_secs=3600, max_queue=1000)
        return writers[segment]

    try:
        for segment, record in store.iter_records(run_id):
            add_record(writer(segment), record, walltime)
        for segment, epoch, layers in store.iter_histograms(run_id):
            add_histograms(writer(segment), epoch, layers, walltime)
        texts: dict[tuple[int, int], list[str]] = defaultdict(list)
        for event in store.events(run_id):
            texts[(event["segment"], event["epoch"])].append(event_line(event))
        for (segment, epoch), lines in texts.items():
            writer(segment).add_text("events", "  \n".join(lines), epoch, walltime)
        if not writers:  # a run without records: still a directory TensorBoard opens
            writer(0)
    finally:
        for w in writers.values():
            w.close()
    return [logdir / f"segment-{s}" for s in sorted(writers)]


def add_record(writer: SummaryWriter, record: dict[str, Any], walltime: float) -> None:
    """One epoch's scalars (None and non-finite values are skipped: TensorBoard cannot plot)."""
    step = int(record["epoch"])
    for key, value in record.items():
        if key in ("epoch", "layers", "histograms") or isinstance(value, bool):
            continue
        if isinstance(value, int | float) and math.isfinite(value):
            writer.add_scalar(SCALARS.get(key, key), value, step, walltime)
    for layer in record.get("layers") or []:
        for key, value in layer.items():
            if key != "name" and isinstance(value, int | float) and math.isfinite(value):
                writer.add_scalar(f"{key}/{layer['name']}", value, step, walltime)


def add_histograms(writer: SummaryWriter, epoch: int, layers: list[Any], walltime: float) -> None:
    """One histograms frame: {lo, hi, counts} per layer and kind."""
    for layer in layers:
        for kind in HISTOGRAM_KINDS:
            hist = layer.get(kind)
            if not hist or not sum(hist["counts"]):
                continue
            lo, hi, counts = float(hist["lo"]), float(hist["hi"]), hist["counts"]
            if not hi > lo:  # every value equal: one bucket
                limits, counts = [hi], [sum(counts)]
                centres = [hi]
            else:
                width = (hi - lo) / len(counts)
                limits = [lo + (i + 1) * width for i in range(len(counts))]
                centres = [lo + (i + 0.5) * width for i in range(len(counts))]
            writer.add_histogram_raw(
                f"{kind}/{layer['name']}",
                min=lo,
                max=hi,
                num=sum(counts),
                sum=sum(c * x for c, x in zip(counts, centres, strict=True)),
                sum_squares=sum(c * x * x for c, x in zip(counts, centres, strict=True)),
                bucket_limits=limits,
                bucket_counts=counts,
                global_step=epoch,
                walltime=walltime,
            )


def event_line(event: dict[str, Any]) -> str:
    """An event as one line of text: kind and payload."""
    payload = event["payload"]
    return f"**{event['kind']}** {json.dumps(payload)}" if payload else f"**{event['kind']}**"


def tensorboard_zip(store: RunStore, run_id: str, out: Path) -> None:
    """Write the run's log directory as a zip file at `out` (unzip, then `tensorboard --logdir`)."""
    with tempfile.TemporaryDirectory(prefix="backprop-tb-") as tmp:
        root = Path(tmp) / f"run-{run_id}"
        write_tensorboard(store, run_id, root)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(root.parent).as_posix())


def replace_directory(path: Path) -> None:
    """Empty `path` of a previous export's event files (a new export must not mix with them)."""
    if path.is_dir():
        for child in path.glob("segment-*"):
            shutil.rmtree(child)
