"""The parsed form of tabular data (an uploaded CSV or a shipped dataset)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray


class CsvError(ValueError):
    """A CSV file that cannot be used; ``row`` (file line, header = 1) and ``column`` locate it."""

    def __init__(self, message: str, row: int | None = None, column: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.row = row
        self.column = column


@dataclass(frozen=True, eq=False)
class Table:
    """Features x (n, k) float64 and target y (n,): int64 class indices or float64 values."""

    feature_names: list[str]
    x: NDArray[np.float64]
    y: NDArray[Any]
    task: str  # "binary" | "multiclass" | "regression"
    class_names: list[str]  # [] for regression; y indexes this list otherwise
    target: str
    columns: list[str] = field(default_factory=list)  # every header column (target candidates)
    source: bytes = field(default=b"", repr=False)  # the CSV bytes, to re-parse with another target
    ignored: list[str] = field(default_factory=list)  # text columns left out of the features

    @property
    def rows(self) -> int:
        """Number of data rows."""
        return int(self.x.shape[0])

    def summary(self) -> dict[str, Any]:
        """JSON-ready description: rows, features, target, task, classes, columns, ignored."""
        return {
            "rows": self.rows,
            "features": list(self.feature_names),
            "target": self.target,
            "task": self.task,
            "classes": list(self.class_names),
            "columns": list(self.columns),
            "ignored": list(self.ignored),
        }
