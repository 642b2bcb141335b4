"""Rows of the runs panel: each stored run's summary plus its network's widths, task, and what
the panel may do with it (continue it from a checkpoint; whether a session has it open now).

The widths need the data's input and output counts, which only preparing the data tells; that is
cached by the dataset config, so a page of runs that share a few datasets prepares each once.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

from app.data import prepare
from app.schemas.config import SessionConfig
from app.store import RunStore
from app.training.run import ConfigError, TableLookup, data_spec

PAGE_SIZE = 20  # runs per page unless asked otherwise
MAX_PAGE = 100
CACHED_SHAPES = 64


class DataShapes:
    """(inputs, outputs, task) of a dataset config, cached; None when the data cannot be built."""

    def __init__(self, tables: TableLookup | None, size: int = CACHED_SHAPES) -> None:
        self.tables = tables
        self.size = size
        self._cache: OrderedDict[str, tuple[int, int, str] | None] = OrderedDict()
        self._lock = threading.Lock()

    def of(self, config: dict[str, Any]) -> tuple[int, int, str] | None:
        """The data's input count, output count and task for a run's config."""
        dataset = config.get("dataset", {})
        key = json.dumps({k: v for k, v in dataset.items() if k != "seed"}, sort_keys=True)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        try:
            spec = data_spec(SessionConfig.model_validate(config), self.tables)
            data = prepare(spec)
            found: tuple[int, int, str] | None = (data.n_inputs, data.n_outputs(), data.task)
        except (ConfigError, ValueError):  # e.g. an uploaded CSV that is gone
            found = None
        with self._lock:
            self._cache[key] = found
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return found


def run_rows(
    store: RunStore,
    shapes: DataShapes,
    live: set[str],
    offset: int,
    limit: int,
) -> dict[str, Any]:
    """{total, offset, runs: [summary + widths, task, checkpoints, live]} newest first."""
    everything = store.list_runs()
    rows = []
    for run in everything[offset : offset + limit]:
        shape = shapes.of(run["config"])
        units = [layer["units"] for layer in run["config"]["model"]["layers"]]
        rows.append(
            {
                **run,
                "widths": None if shape is None else [shape[0], *units, shape[1]],
                "task": None if shape is None else shape[2],
                "checkpoints": len(store.checkpoints(run["id"])),
                "live": run["id"] in live,
            }
        )
    return {"total": len(everything), "offset": offset, "runs": rows}
