"""The metrics exports (CSV, JSON), written as streams: records are read from the store a page
at a time, so a run of any length is exported in bounded memory.

CSV: one row per stored epoch (`segment`, `epoch`, every scalar, `<layer>.<instrument>` columns,
and `events`: a JSON list of what happened at that epoch); an event at an epoch with no stored
record gets a row of its own. Numbers are written exactly (repr), None as an empty cell.
JSON: {run, config, segments: [{segment, epochs: [records]}], events, histograms: [{segment,
epoch, layers}]}, non-finite numbers as null (the same text `json.dumps` gives the whole object).
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, TextIO

from app.schemas.messages import replace_non_finite
from app.store import RunStore

Record = tuple[int, dict[str, Any]]


def csv_columns(records: Iterable[Record]) -> list[str]:
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


def write_csv(out: TextIO, store: RunStore, run_id: str) -> None:
    """The CSV export of a run (two passes over its records: the columns, then the rows)."""
    at: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for event in store.events(run_id):
        at[(event["segment"], event["epoch"])].append(
            {"kind": event["kind"], "at": event["at"], "payload": event["payload"]}
        )
    columns = csv_columns(store.iter_records(run_id))
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)

    def write(row: dict[str, Any]) -> None:
        cells = []
        for column in columns:
            value = row.get(column)
            if column == "events":
                cells.append(json.dumps(value) if value else "")
            else:
                cells.append("" if value is None else repr(value))
        writer.writerow(cells)

    pending = sorted(at)  # event epochs; those without a record get rows of their own, in order
    next_event = 0
    for segment, record in store.iter_records(run_id):
        key = (segment, record["epoch"])
        while next_event < len(pending) and pending[next_event] < key:
            alone = pending[next_event]
            write({"segment": alone[0], "epoch": alone[1], "events": at[alone]})
            next_event += 1
        if next_event < len(pending) and pending[next_event] == key:
            next_event += 1
        row: dict[str, Any] = {"segment": segment, **record}
        for layer in record.get("layers", []):
            row.update({f"{layer['name']}.{k}": v for k, v in layer.items() if k != "name"})
        row["events"] = at.get(key)
        write(row)
    for alone in pending[next_event:]:
        write({"segment": alone[0], "epoch": alone[1], "events": at[alone]})


def write_json(out: TextIO, store: RunStore, run_id: str, run: dict[str, Any]) -> None:
    """The JSON export of a run, piece by piece."""

    def dump(value: Any) -> str:
        return json.dumps(replace_non_finite(value))

    summary = {k: v for k, v in run.items() if k != "config"}
    out.write(f'{{"run": {dump(summary)}, "config": {dump(run["config"])}, "segments": [')
    current = None
    for segment, record in store.iter_records(run_id):
        if segment != current:
            out.write("]}, " if current is not None else "")
            out.write(f'{{"segment": {segment}, "epochs": [')
            current = segment
        else:
            out.write(", ")
        out.write(dump(record))
    out.write("]}" if current is not None else "")
    out.write(f'], "events": {dump(store.events(run_id))}, "histograms": [')
    for i, (segment, epoch, layers) in enumerate(store.iter_histograms(run_id)):
        entry = {"segment": segment, "epoch": epoch, "layers": layers}
        out.write((", " if i else "") + dump(entry))
    out.write("]}")


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
