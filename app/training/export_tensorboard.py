"""The `tensorboard` export: a run as TensorBoard event files, written with tensorboardX.

One run directory per segment (`segment-0`, `segment-1` after a rebuild, ...), one step per
epoch. Scalars: `loss/train`, `loss/val`, `accuracy/train`, `accuracy/val` (R² for regression),
`mae/*`, `lr`, `grad_norm/global` and `grad_norm/clipped`, then every per-layer instrument as
`<instrument>/<layer>` (`grad_norm/dense0`, `weight_norm/dense0`, `update_ratio/dense0`, ...) so
TensorBoard groups the layers of one instrument. Histograms: `weights/<layer>`, `grads/<layer>`,
`acts/<layer>` from the stored histogram frames (30 equal bins; their sums are estimated from the
bin centres). Events (play, pause, setting changes, ...) as text at their epoch under `events`.
Records are read from the store a page at a time, so memory stays bounded for long runs, and
each epoch's scalars go out as one event (one Summary of many values), written synchronously
with tensorboardX's EventsWriter: `SummaryWriter.add_scalar`, one event per value through a
bounded inter-thread queue, took ~85 µs a value, over 50 s for a 100 000-epoch run.
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

from tensorboardX.event_file_writer import EventsWriter
from tensorboardX.proto.event_pb2 import Event
from tensorboardX.summary import Summary, histogram_raw, text

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


class EventLog:
    """One TensorBoard run directory: events appended to its event file as they come."""

    def __init__(self, path: Path, walltime: float) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.file = EventsWriter(str(path / "events"))
        self.walltime = walltime

    def add_summary(self, summary: Summary, step: int) -> None:
        """Append one event holding `summary` at `step`."""
        self.file.write_event(Event(wall_time=self.walltime, step=step, summary=summary))

    def close(self) -> None:
        """Flush and close the event file."""
        self.file.close()


def write_tensorboard(store: RunStore, run_id: str, logdir: Path) -> list[Path]:
    """Write the run's event files under `logdir` (created); returns the segment directories."""
    run = store.get_run(run_id)
    if run is None:
        raise KeyError(run_id)
    walltime = float(run["created"])
    writers: dict[int, EventLog] = {}

    def writer(segment: int) -> EventLog:
        if segment not in writers:
            writers[segment] = EventLog(logdir / f"segment-{segment}", walltime)
        return writers[segment]

    try:
        for segment, record in store.iter_records(run_id):
            add_record(writer(segment), record)
        for segment, epoch, layers in store.iter_histograms(run_id):
            add_histograms(writer(segment), epoch, layers)
        texts: dict[tuple[int, int], list[str]] = defaultdict(list)
        for event in store.events(run_id):
            texts[(event["segment"], event["epoch"])].append(event_line(event))
        for (segment, epoch), lines in texts.items():
            writer(segment).add_summary(text("events", "  \n".join(lines)), epoch)
        if not writers:  # a run without records: still a directory TensorBoard opens
            writer(0)
    finally:
        for w in writers.values():
            w.close()
    return [logdir / f"segment-{s}" for s in sorted(writers)]


def add_record(writer: EventLog, record: dict[str, Any]) -> None:
    """One epoch's scalars as one event (None and non-finite values are skipped: TensorBoard
    cannot plot them)."""
    values = []

    def add(tag: str, value: Any) -> None:
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            values.append(Summary.Value(tag=tag, simple_value=float(value)))

    for key, value in record.items():
        if key not in ("epoch", "layers", "histograms"):
            add(SCALARS.get(key, key), value)
    for layer in record.get("layers") or []:
        for key, value in layer.items():
            if key != "name":
                add(f"{key}/{layer['name']}", value)
    writer.add_summary(Summary(value=values), int(record["epoch"]))


def add_histograms(writer: EventLog, epoch: int, layers: list[Any]) -> None:
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
            summary = histogram_raw(
                f"{kind}/{layer['name']}",
                min=lo,
                max=hi,
                num=sum(counts),
                sum=sum(c * x for c, x in zip(counts, centres, strict=True)),
                sum_squares=sum(c * x * x for c, x in zip(counts, centres, strict=True)),
                bucket_limits=limits,
                bucket_counts=counts,
            )
            writer.add_summary(summary, epoch)


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
