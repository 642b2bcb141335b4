"""Exports of a stored run, one function per way out: `export_file` writes a file (REST
streams it), `export_run` gives the bytes.

csv, json: metrics with events (export_metrics.py).
npz: the newest checkpoint's weights named like `Model.parameters()`. config: the JSON object that
`backprop-lab train --config FILE` takes. tensorboard: a zip of the event files' directory
(export_tensorboard.py). script: a standalone NumPy program retraining the run's first epochs
(export_script.py). png: the decision boundary at the newest checkpoint (export_png.py).
"""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from app.data import CsvError, Table, parse_csv
from app.engine.checkpoint import from_bytes, parameters_of
from app.store import RunStore
from app.training.export_metrics import read_metrics_csv, write_csv, write_json
from app.training.export_png import boundary_png
from app.training.export_script import script_name, script_text
from app.training.export_tensorboard import tensorboard_zip
from app.training.run import ConfigError, TableLookup

__all__ = ["FORMATS", "ExportError", "export_file", "export_run", "read_metrics_csv"]

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
    """Write the run exported as `fmt` to the file `out`; (media type, download name).

    Memory stays bounded: metrics and TensorBoard events are written from records read a page at
    a time, the others are small (one checkpoint, one config, the data of one run)."""
    if fmt not in FORMATS:
        raise ExportError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}", 422)
    run = store.get_run(run_id)
    if run is None:
        raise ExportError(f"no run {run_id!r}")
    media, suffix = FORMATS[fmt]
    filename = script_name(run_id) if fmt == "script" else f"run-{run_id}.{suffix}"
    if fmt in ("csv", "json"):
        with out.open("w", encoding="utf-8", newline="") as text:
            if fmt == "csv":
                write_csv(text, store, run_id)
            else:
                write_json(text, store, run_id, run)
    elif fmt == "tensorboard":
        tensorboard_zip(store, run_id, out)
    else:
        out.write_bytes(_small(store, run_id, run, fmt))
    return media, filename


def export_run(store: RunStore, run_id: str, fmt: str) -> tuple[bytes, str, str]:
    """(body, media type, file name) of the run exported as `fmt`, in memory."""
    with tempfile.TemporaryDirectory(prefix="backprop-export-") as folder:
        out = Path(folder) / "export"
        media, filename = export_file(store, run_id, fmt, out)
        return out.read_bytes(), media, filename


def _small(store: RunStore, run_id: str, run: dict[str, Any], fmt: str) -> bytes:
    """The body of the config, npz, script and png exports."""
    if fmt == "config":
        return json.dumps(run["config"], indent=1).encode()
    try:
        if fmt == "script":
            records, events = store.iter_records(run_id), store.events(run_id)
            return script_text(run, records, events, stored_tables(store)).encode()
        latest = store.latest_checkpoint(run_id)
        if latest is None:
            message = f"run {run_id!r} has no checkpoint yet: train it, then pause it"
            raise ExportError(message, 409)
        if fmt == "png":
            return boundary_png(latest[2], latest[3], stored_tables(store))
    except (ConfigError, ValueError) as exc:
        why = exc.message if isinstance(exc, ConfigError) else str(exc)
        raise ExportError(f"run {run_id!r} cannot be rebuilt: {why}", 409) from None
    buffer = io.BytesIO()
    weights: dict[str, Any] = parameters_of(from_bytes(latest[3]))
    np.savez(buffer, **weights)
    return buffer.getvalue()
