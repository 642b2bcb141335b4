"""Exports of a stored run: metrics with events (CSV, JSON), weights (.npz), the config (JSON).

CSV: one row per stored epoch (`segment`, `epoch`, every scalar, `<layer>.<instrument>` columns,
and `events`: a JSON list of what happened at that epoch); an event at an epoch with no stored
record gets a row of its own. Numbers are written exactly (repr), None as an empty cell.
JSON: {run, config, segments: [{segment, epochs: [records]}], events, histograms: [{segment,
epoch, layers}]}, non-finite numbers as null.
npz: the newest checkpoint's weights named like `Model.parameters()`. config: the JSON object that
`backprop-lab train --config FILE` takes. tensorboard: a zip of the event files' directory
(export_tensorboard.py). script: a standalone NumPy program retraining the run's first epochs
(export_script.py). png: the decision boundary at the newest checkpoint (export_png.py).
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from app.data import CsvError, Table, parse_csv
from app.engine.checkpoint import from_bytes, parameters_of
from app.schemas.messages import replace_non_finite
from app.store import RunStore
from app.training.export_png import boundary_png
from app.training.export_script import script_name, script_text
from app.training.export_tensorboard import tensorboard_zip
from app.training.run import ConfigError, TableLookup

FORMATS = {
    "csv": ("text/csv", "csv"),
    "json": ("application/json", "json"),
    "npz": ("application/octet-stream", "npz"),
    "config": ("application/json", "config.json"),
    "tensorboard": ("application/zip", "tensorboard.zip"),
    "script": ("text/x-python", "py"),
    "png": ("image/png", "png"),
}


class ExportError(Exception):
    """The run or what the format needs is missing; `status` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 404) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def stored_tables(store: RunStore) -> TableLookup:
    """Uploaded CSVs by upload id, parsed from the store (None when unknown or unparsable)."""

    def lookup(upload_id: str) -> Table | None:
        stored = store.upload(upload_id)
        if stored is None:
            return None
        try:
            return parse_csv(stored["data"], stored["target"], stored["task"])
        except CsvError:
            return None

    return lookup


def _summary(store: RunStore, run_id: str, fmt: str) -> dict[str, Any]:
    if fmt not in FORMATS:
        raise ExportError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}", 422)
    run = store.get_run(run_id)
    if run is None:
        raise ExportError(f"no run {run_id!r}")
    return run


def export_file(store: RunStore, run_id: str, fmt: str, out: Path) -> tuple[str, str]:
    """Write the export to the file `out`; (media type, download name). Memory stays bounded
    for the tensorboard zip, which is written from records read a page at a time."""
    _summary(store, run_id, fmt)
    if fmt == "tensorboard":
        tensorboard_zip(store, run_id, out)
        media, suffix = FORMATS[fmt]
        return media, f"run-{run_id}.{suffix}"
    body, media, filename = export_run(store, run_id, fmt)
    out.write_bytes(body)
    return media, filename


def _checkpoint(store: RunStore, run_id: str) -> tuple[int, int, dict[str, Any], bytes]:
    latest = store.latest_checkpoint(run_id)
    if latest is None:
        message = f"run {run_id!r} has no checkpoint yet: train it, then pause it"
        raise ExportError(message, 409)
    return latest


def export_run(store: RunStore, run_id: str, fmt: str) -> tuple[bytes, str, str]:
    """(body, media type, file name) of a run exported as `fmt` (tensorboard: see export_file)."""
    run = _summary(store, run_id, fmt)
    media, suffix = FORMATS[fmt]
    filename = f"run-{run_id}.{suffix}"
    if fmt == "config":
        return json.dumps(run["config"], indent=1).encode(), media, filename
    if fmt == "npz":
        buffer = io.BytesIO()
        weights: dict[str, Any] = parameters_of(from_bytes(_checkpoint(store, run_id)[3]))
        np.savez(buffer, **weights)
        return buffer.getvalue(), media, filename
    if fmt == "tensorboard":
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / filename
            tensorboard_zip(store, run_id, out)
            return out.read_bytes(), media, filename
    if fmt in ("script", "png"):
        try:
            if fmt == "png":
                _, _, config, data = _checkpoint(store, run_id)
                return boundary_png(config, data, stored_tables(store)), media, filename
            records, events = store.iter_records(run_id), store.events(run_id)
            text = script_text(run, records, events, stored_tables(store))
            return text.encode(), media, script_name(run_id)
        except ConfigError as exc:
            raise ExportError(f"run {run_id!r} cannot be rebuilt: {exc.message}", 409) from None
    records, events = store.records(run_id), store.events(run_id)
    if fmt == "json":
        segments: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for segment, record in records:
            segments[segment].append(record)
        body = {
            "run": {k: v for k, v in run.items() if k != "config"},
            "config": run["config"],
            "segments": [{"segment": s, "epochs": r} for s, r in sorted(segments.items())],
            "events": events,
            "histograms": [
                {"segment": s, "epoch": e, "layers": layers}
                for s, e, layers in store.histograms(run_id)
            ],
        }
        return json.dumps(replace_non_finite(body)).encode(), media, filename
    return metrics_csv(records, events).encode(), media, filename


def csv_columns(records: list[tuple[int, dict[str, Any]]]) -> list[str]:
    """Every column, in first-seen order: segment, epoch, scalars, layer instruments, events."""
    columns: dict[str, None] = {"segment": None, "epoch": None}
    for _, record in records:
        for key, value in record.items():
            if key != "layers" and not isinstance(value, dict | list):
                columns[key] = None
        for layer in record.get("layers", []):
            for key in layer:
                if key != "name":
                    columns[f"{layer['name']}.{key}"] = None
    columns["events"] = None
    return list(columns)


def metrics_csv(records: list[tuple[int, dict[str, Any]]], events: list[dict[str, Any]]) -> str:
    """The CSV export's text."""
    at: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        at[(event["segment"], event["epoch"])].append(
            {"kind": event["kind"], "at": event["at"], "payload": event["payload"]}
        )
    rows: list[dict[str, Any]] = []
    for segment, record in records:
        row: dict[str, Any] = {"segment": segment, **record}
        for layer in record.get("layers", []):
            row.update({f"{layer['name']}.{k}": v for k, v in layer.items() if k != "name"})
        row["events"] = at.pop((segment, record["epoch"]), None)
        rows.append(row)
    rows.extend({"segment": s, "epoch": e, "events": ev} for (s, e), ev in at.items())
    rows.sort(key=lambda r: (r["segment"], r["epoch"]))
    out = io.StringIO()
    columns = csv_columns(records)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column)
            if column == "events":
                cells.append(json.dumps(value) if value else "")
            else:
                cells.append("" if value is None else repr(value))
        writer.writerow(cells)
    return out.getvalue()


def read_metrics_csv(text: str) -> list[dict[str, Any]]:
    """Parse the CSV export back into flat rows (numbers, booleans, None, events as a list)."""
    rows = []
    for raw in csv.DictReader(io.StringIO(text)):
        row: dict[str, Any] = {}
        for key, cell in raw.items():
            if key == "events":
                row[key] = json.loads(cell) if cell else []
            elif cell in ("", "None"):
                row[key] = None
            elif cell in ("True", "False"):
                row[key] = cell == "True"
            else:
                number = float(cell)
                row[key] = int(cell) if cell.lstrip("-").isdigit() else number
        rows.append(row)
    return rows
