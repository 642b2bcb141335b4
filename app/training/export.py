"""Exports of a stored run: metrics with events (CSV, JSON), weights (.npz), the config (JSON).

CSV: one row per stored epoch (`segment`, `epoch`, every scalar, `<layer>.<instrument>` columns,
and `events`: a JSON list of what happened at that epoch); an event at an epoch with no stored
record gets a row of its own. Numbers are written exactly (repr), None as an empty cell.
JSON: {run, config, segments: [{segment, epochs: [records]}], events, histograms: [{segment,
epoch, layers}]}, non-finite numbers as null.
npz: the newest checkpoint's weights named like `Model.parameters()`. config: the JSON object that
`backprop-lab train --config FILE` takes.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from typing import Any

import numpy as np

from app.engine.checkpoint import from_bytes, parameters_of
from app.schemas.messages import replace_non_finite
from app.store import RunStore

FORMATS = {
    "csv": ("text/csv", "csv"),
    "json": ("application/json", "json"),
    "npz": ("application/octet-stream", "npz"),
    "config": ("application/json", "config.json"),
}


class ExportError(Exception):
    """The run or what the format needs is missing; `status` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 404) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def export_run(store: RunStore, run_id: str, fmt: str) -> tuple[bytes, str, str]:
    """(body, media type, file name) of a run exported as `fmt`."""
    if fmt not in FORMATS:
        raise ExportError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}", 422)
    run = store.get_run(run_id)
    if run is None:
        raise ExportError(f"no run {run_id!r}")
    media, suffix = FORMATS[fmt]
    filename = f"run-{run_id}.{suffix}"
    if fmt == "config":
        return json.dumps(run["config"], indent=1).encode(), media, filename
    if fmt == "npz":
        latest = store.latest_checkpoint(run_id)
        if latest is None:
            message = f"run {run_id!r} has no checkpoint yet: train it, then pause it"
            raise ExportError(message, 409)
        buffer = io.BytesIO()
        weights: dict[str, Any] = parameters_of(from_bytes(latest[3]))
        np.savez(buffer, **weights)
        return buffer.getvalue(), media, filename
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
