"""Parse an uploaded CSV into a Table, rejecting bad input with messages a user can act on.

Rows in messages are file lines as a spreadsheet numbers them (the header is row 1); reading
and shape checks are in csv_read. A categorical (text) target becomes classes (sorted names); a
numeric target with at most 10 distinct integer values is a class label, otherwise it is
regression; ``task`` = "classification" or "regression" overrides that choice. Feature columns
must be numbers; a column of text is left out (``Table.ignored``) unless none would remain.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from app.data.csv_read import Sheet, decode, read_sheet, show
from app.data.table import CsvError, Table

TASK_CHOICES = ("auto", "classification", "regression")
MAX_AUTO_CLASSES = 10  # a numeric target with at most this many distinct integers is a label
MAX_ABS_VALUE = 1e15
MISSING = frozenset({"na", "n/a", "nan", "null", "none", "?", "-", "--", "missing", "#n/a"})
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")


@dataclass
class _Column:
    """One column's cells classified: float values plus the positions of problem cells."""

    values: NDArray[np.float64]
    text: list[int]
    missing: list[int]
    nonfinite: list[int]

    def is_text(self) -> bool:
        """Mostly text (as opposed to numbers with a few typos)."""
        return 2 * len(self.text) > len(self.values) - len(self.missing)


def _scan(cells: Sequence[str]) -> _Column:
    """Parse a column of cells as float64, noting text, missing and non-finite cells."""
    n = len(cells)
    text: list[int] = []
    missing: list[int] = []
    try:
        values = np.fromiter((float(c) for c in cells), dtype=np.float64, count=n)
    except ValueError:
        values = np.zeros(n)
        for i, c in enumerate(cells):
            try:
                values[i] = float(c)
            except ValueError:
                (missing if c.lower() in MISSING else text).append(i)
    nan = np.isnan(values)
    missing = sorted([*missing, *np.flatnonzero(nan).tolist()])
    bad = ~nan & ~(np.abs(values) <= MAX_ABS_VALUE)
    return _Column(values, text, missing, np.flatnonzero(bad).tolist())


def _first_problem(
    col: _Column, name: str, cells: Sequence[str], lines: list[int], hint: str
) -> None:
    """Raise for the earliest bad cell of a numeric column (text typo, missing, non-finite)."""
    probs = [(i, "text") for i in col.text] + [(i, "missing") for i in col.missing]
    probs += [(i, "nonfinite") for i in col.nonfinite]
    if not probs:
        return
    i, kind = min(probs)
    where = f"row {lines[i]}, column {name!r}"
    if kind == "text":
        extra = " (use a dot as the decimal separator)" if _DECIMAL_COMMA.match(cells[i]) else ""
        msg = f"{where}: expected a number, got {show(cells[i])}{extra}{hint}"
    elif kind == "missing":
        msg = f"{where}: missing value {show(cells[i])}; every cell needs a number"
    else:
        msg = f"{where}: expected a finite number between -1e15 and 1e15, got {show(cells[i])}"
    raise CsvError(msg, row=lines[i], column=name)


def _features(
    sheet: Sheet, cols: list[list[str]], target_j: int, text_columns: str
) -> tuple[list[str], NDArray[np.float64], list[str]]:
    """Feature names, numeric matrix and the ignored text columns, from the non-target columns."""
    scanned = {j: _scan(cols[j]) for j in range(len(cols)) if j != target_j}
    text_cols = [j for j, c in scanned.items() if c.is_text()]
    if text_cols:
        j = text_cols[0]
        i = scanned[j].text[0]
        if _DECIMAL_COMMA.match(cols[j][i]):
            _first_problem(scanned[j], sheet.header[j], cols[j], sheet.lines, "")
        quoted = ", ".join(repr(sheet.header[k]) for k in text_cols)
        example = f"{show(cols[j][i])} in row {sheet.lines[i]}"
        if len(text_cols) == len(scanned):
            msg = (
                f"no numeric feature column: every feature column holds text ({quoted}; e.g. "
                f"{example}); at least one feature must be numeric"
            )
            raise CsvError(msg, row=sheet.lines[i], column=sheet.header[j])
        if text_columns == "error":
            msg = (
                f"column {sheet.header[j]!r} holds text ({example}) but feature columns must be "
                f"numbers; make it the target or remove it (text columns: {quoted})"
            )
            raise CsvError(msg, row=sheet.lines[i], column=sheet.header[j])
    numeric = [j for j in scanned if j not in text_cols]
    for j in numeric:
        _first_problem(scanned[j], sheet.header[j], cols[j], sheet.lines, "")
    x = np.column_stack([scanned[j].values for j in numeric])
    names = [sheet.header[j] for j in numeric]
    return names, np.ascontiguousarray(x, dtype=np.float64), [sheet.header[j] for j in text_cols]


def _class_name(v: float) -> str:
    return str(int(v)) if v.is_integer() else repr(v)


def _target(
    sheet: Sheet, cells: list[str], name: str, task: str, max_classes: int
) -> tuple[NDArray[Any], str, list[str]]:
    """y, task and class names from the target column."""
    col = _scan(cells)
    n = len(cells)
    categorical = bool(col.text) and col.is_text()
    if task == "regression" and col.text:
        i = col.text[0]
        raise CsvError(
            f"row {sheet.lines[i]}, column {name!r}: a regression target must be numeric, got "
            f"{show(cells[i])}",
            row=sheet.lines[i],
            column=name,
        )
    if not categorical:
        _first_problem(col, name, cells, sheet.lines, " (the target column)")
    if categorical:
        names = sorted(set(cells))
        index = {c: k for k, c in enumerate(names)}
        y: NDArray[Any] = np.fromiter((index[c] for c in cells), np.int64, count=n)
    else:
        distinct = np.unique(col.values)
        integral = bool(np.all(distinct == np.round(distinct)))
        if task == "regression" or (
            task == "auto" and not (integral and len(distinct) <= MAX_AUTO_CLASSES)
        ):
            if len(distinct) < 2:
                only = _class_name(float(distinct[0]))
                raise CsvError(
                    f"target column {name!r} has the same value ({only}) in all {n} rows; "
                    "there is nothing to predict",
                    column=name,
                )
            return col.values.copy(), "regression", []
        names = [_class_name(float(v)) for v in distinct]
        y = np.searchsorted(distinct, col.values).astype(np.int64)
    if len(names) < 2:
        raise CsvError(
            f"target column {name!r} has a single class ({names[0]!r}) in all {n} rows; "
            "a classifier needs at least two classes",
            column=name,
        )
    if len(names) > max_classes:
        raise CsvError(
            f"target column {name!r} has {len(names)} distinct values; at most {max_classes} "
            "classes are supported (choose another target, or regression for a numeric target)",
            column=name,
        )
    return y, ("binary" if len(names) == 2 else "multiclass"), names


def _find_target(header: list[str], target: str | None) -> int:
    """Index of the target column (default: the last); a clear error listing the columns."""
    if target is None:
        return len(header) - 1
    if target in header:
        return header.index(target)
    folded = [j for j, h in enumerate(header) if h.casefold() == target.strip().casefold()]
    if len(folded) == 1:
        return folded[0]
    available = ", ".join(repr(h) for h in header[:20])
    if len(header) > 20:
        available += f" and {len(header) - 20} more"
    raise CsvError(
        f"target column {show(target)} not found; the columns are {available}", column=target
    )


def parse_csv(
    data: bytes,
    target: str | None = None,
    task: str = "auto",
    *,
    max_rows: int = 10_000,
    max_columns: int = 50,
    max_line_bytes: int = 65_536,
    min_rows: int = 10,
    max_classes: int = 20,
    text_columns: str = "ignore",
) -> Table:
    """Parse CSV bytes into a Table (target default: last column); CsvError on bad input.

    Text feature columns are left out and listed in ``Table.ignored`` (``text_columns="error"``
    rejects them instead); at least one numeric feature column must remain.
    """
    if task not in TASK_CHOICES:
        raise CsvError(f"task must be one of {', '.join(TASK_CHOICES)}, got {task!r}")
    if text_columns not in ("ignore", "error"):
        raise CsvError(f"text_columns must be 'ignore' or 'error', got {text_columns!r}")
    if target is not None and not isinstance(target, str):
        raise CsvError(f"target must be a column name, got {target!r}")
    sheet = read_sheet(decode(data, max_line_bytes), max_rows, max_columns)
    target_j = _find_target(sheet.header, target)
    cols = [list(c) for c in zip(*sheet.rows, strict=True)]
    feature_names, x, ignored = _features(sheet, cols, target_j, text_columns)
    name = sheet.header[target_j]
    y, kind, class_names = _target(sheet, cols[target_j], name, task, max_classes)
    if len(sheet.rows) < min_rows:  # after the cell checks, so a broken cell is named first
        raise CsvError(
            f"the file has only {len(sheet.rows)} data rows; at least {min_rows} are needed to "
            "train and validate"
        )
    x.flags.writeable = False
    y.flags.writeable = False
    return Table(
        feature_names, x, y, kind, class_names, name, list(sheet.header), bytes(data), ignored
    )


def retarget(table: Table, target: str | None, task: str = "auto") -> Table:
    """The same CSV with another target (None: the table's own) and/or task; size limits kept."""
    if not table.source:
        raise ValueError("this table has no CSV source to re-read with another target")
    return parse_csv(
        table.source,
        table.target if target is None else target,
        task,
        max_rows=table.rows,
        max_columns=max(len(table.columns), 2),
        max_line_bytes=len(table.source) + 1,
    )
