"""Regenerate compact-fixtures.json: real frames, JSON and compact, for the Node decoder's tests.

Usage, from the repository root: python -m tests.js.compact_fixtures
tests/training/test_compact.py checks that the encoder still writes exactly these bytes.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import numpy as np

from app.schemas.config import SessionConfig
from app.schemas.messages import encode_frame
from app.training.compact import frame_block
from app.training.compact_metrics import metrics_message, packed_entry
from app.training.compact_wire import hello_message
from app.training.history import record_rows
from app.training.run import Run
from app.training.wire import Hello, Metrics, encode_parts

OUT = Path(__file__).with_name("compact-fixtures.json")
CONFIGS: dict[str, dict[str, Any]] = {
    "binary": {},
    "multiclass": {"dataset": {"name": "blobs"}, "training": {"histogram_every": 1}},
    "regression": {
        "dataset": {"name": "sine"},
        "model": {"layers": [{"units": 6, "activation": "relu"}]},  # other layers than the rest
        "training": {"histogram_every": 1},
    },
}
EPOCHS = 12


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _rows_json(rows: np.ndarray) -> list[list[float | None]]:
    return [[None if np.isnan(v) else float(v) for v in row] for row in rows]


def two_entries(halves: tuple[np.ndarray, ...], names: tuple[str, ...]) -> bytes:
    """Two log entries' rows as one message: one metrics block of two packed entries."""
    return metrics_message([packed_entry(h, len(names)) for h in halves], names)


def hello_case(run: Run, rows: np.ndarray, histograms: list[str]) -> dict[str, Any]:
    """A `hello` of `run`: its JSON text, and the compact client's binary message."""
    hello = Hello(
        head={"type": "hello", "session": "fixture", "config": run.config.model_dump()},
        rows=rows,
        layer_names=tuple(run.model.dense_names),
        dataset=encode_parts(run.dataset_frame()),
        snapshot="null",  # as before the first snapshot: it stays in the head
        histograms=histograms,
    )
    return {
        "name": "hello",
        "json": json.loads(hello.encode()),
        "binary": _b64(hello_message(hello)),
    }


def cases() -> list[dict[str, Any]]:
    """Metrics (two log entries in one block), snapshot, histograms and dataset of each task."""
    out: list[dict[str, Any]] = []
    for name, partial in CONFIGS.items():
        run = Run(SessionConfig.model_validate(partial))
        records = [run.train_epoch() for _ in range(EPOCHS)]
        hist = next(r["histograms"] for r in reversed(records) if r.get("histograms"))
        for r in records:
            r.pop("histograms", None)
        rows = record_rows(records)
        names = tuple(run.model.dense_names)
        halves = (rows[: EPOCHS // 2], rows[EPOCHS // 2 :])
        out.append(
            {
                "name": f"{name} metrics",
                "json": json.loads(Metrics(rows, names).encode()),
                "parts": [_rows_json(h) for h in halves],
                "layer_names": list(names),
                "binary": _b64(two_entries(halves, names)),
            }
        )
        histograms = {"type": "histograms", "epoch": records[-1]["epoch"], "layers": hist}
        if name == "multiclass":
            out.append(hello_case(run, rows, [encode_frame(histograms)]))
        for frame in (run.snapshot(), json.loads(encode_frame(histograms)), run.dataset_frame()):
            text = encode_parts(frame)
            out.append(
                {
                    "name": f"{name} {frame['type']}",
                    "json": json.loads(text),
                    "binary": _b64(frame_block(json.loads(text))),
                }
            )
    return out


def main() -> None:
    """Write the fixtures file."""
    OUT.write_text(json.dumps(cases(), separators=(",", ":")) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
