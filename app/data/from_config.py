"""The data layer's DataSpec from the app's plain config dict (config["dataset"]).

The app calls this on its validated config (`app/training/run.py`), and a notebook calls it on
the JSON config the app writes, so both get the same points:

    data = prepare(data_spec(config["dataset"]))

Every key read below must be present (a config written by the app or the CLI has them all);
keys the data layer does not use (`upload_id`) are ignored. An uploaded CSV is passed as `table`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.data.generators import GENERATORS
from app.data.prepare import DataSpec
from app.data.table import Table

KEYS = ("name", "samples", "noise", "val_fraction", "seed", "classes", "features", "target", "task")


def data_spec(dataset: Mapping[str, Any], table: Table | None = None) -> DataSpec:
    """DataSpec for config["dataset"]; `table` is the uploaded CSV when the name is "csv"."""
    missing = [k for k in KEYS if k not in dataset]
    if missing:
        raise ValueError(f'expected keys {missing} in config["dataset"]; it has {sorted(dataset)}')
    name = dataset["name"]
    # `classes` stays in the config across shape switches; only multi-class shapes read it.
    multi = name in GENERATORS and len(GENERATORS[name].classes) > 1
    return DataSpec(
        name=name,
        samples=dataset["samples"],
        noise=dataset["noise"],
        val_fraction=dataset["val_fraction"],
        seed=dataset["seed"],
        classes=dataset["classes"] if multi else None,
        features=tuple(dataset["features"]),
        table=table,
        target=dataset["target"],
        task=dataset["task"],
    )
