"""Small real datasets shipped as CSV in app/data/datasets (sources and licences in SOURCES.md)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from app.data.csv_parse import parse_csv
from app.data.table import Table

DATASETS_DIR = Path(__file__).resolve().parent / "datasets"


def _entry(
    title: str,
    rows: int,
    features: int,
    task: str,
    target: str,
    classes: tuple[str, ...],
    text: str,
) -> Mapping[str, Any]:
    return MappingProxyType(
        {
            "title": title,
            "rows": rows,
            "features": features,
            "task": task,
            "target": target,
            "classes": classes,
            "description": text,
        }
    )


# name -> JSON-ready description (title, rows, features, task, target, classes, description).
BUILTIN: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {
        "iris": _entry(
            "Iris flowers",
            150,
            4,
            "multiclass",
            "species",
            ("setosa", "versicolor", "virginica"),
            "Fisher's 1936 iris data: sepal and petal sizes of three iris species.",
        ),
        "wine": _entry(
            "Wine cultivars",
            178,
            13,
            "multiclass",
            "cultivar",
            ("class_0", "class_1", "class_2"),
            "Chemical analysis of Italian wines from three cultivars.",
        ),
        "breast_cancer": _entry(
            "Breast cancer (Wisconsin)",
            569,
            30,
            "binary",
            "diagnosis",
            ("benign", "malignant"),
            "Cell-nucleus measurements from biopsy images, benign or malignant.",
        ),
        "diabetes": _entry(
            "Diabetes progression",
            442,
            10,
            "regression",
            "progression",
            (),
            "Age, sex, BMI, blood pressure and six blood tests; predict disease progression.",
        ),
    }
)
FILES: Mapping[str, str] = MappingProxyType({name: f"{name}.csv" for name in BUILTIN})


@lru_cache(maxsize=len(BUILTIN))
def _source(name: str) -> bytes:
    return (DATASETS_DIR / FILES[name]).read_bytes()


@lru_cache(maxsize=32)
def _load(name: str, target: str | None, task: str) -> Table:
    return parse_csv(_source(name), target, task)


def load_builtin(name: str, target: str | None = None, task: str = "auto") -> Table:
    """A shipped dataset as a Table (read-only arrays, cached); another target column if given."""
    if name not in BUILTIN:
        raise ValueError(f"unknown built-in dataset {name!r}; expected one of {', '.join(BUILTIN)}")
    return _load(name, target, task)
