"""Read CSV bytes into a header and rows of text cells (encoding, delimiter, shape checks).

Rows in messages are file lines as a spreadsheet numbers them (the header is row 1). The first
non-blank line is the header; blank lines are skipped. The delimiter is a comma, or ';' or a tab
when the header has more of those.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field

import numpy as np

from app.data.table import CsvError

MAX_NAME_CHARS = 200
_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FIRST_TEXT = re.compile(r"[^\s]")


def show(cell: str, limit: int = 40) -> str:
    """Quote a cell for a message, shortened."""
    return repr(cell if len(cell) <= limit else cell[:limit] + "…")


def decode(data: bytes, max_line_bytes: int) -> str:
    """UTF-8 text of the file (BOM dropped), or a CsvError saying why it is not CSV text."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise CsvError(f"expected the file's bytes, got {type(data).__name__}")
    raw = bytes(data)
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise CsvError('the file is UTF-16 text; save it as UTF-8 CSV ("CSV UTF-8")', row=1)
    raw = raw.removeprefix(codecs.BOM_UTF8)
    if not raw.strip():
        what = "is empty" if not raw else "contains only whitespace"
        raise CsvError(f"the file {what}; expected a header row followed by data rows")
    raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    found: list[tuple[int, int, str]] = []  # (row, order, message): the earliest row wins
    ends = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == 10)
    lengths = np.diff(np.concatenate([[-1], ends, [len(raw)]])) - 1
    long_rows = np.flatnonzero(lengths > max_line_bytes)
    if len(long_rows):
        i = int(long_rows[0])
        found.append(
            (
                i + 1,
                0,
                f"row {i + 1} is {int(lengths[i]):,} bytes long; the limit is "
                f"{max_line_bytes:,} bytes per line (is this really a CSV file?)",
            )
        )
    nul = raw.find(b"\x00")
    if nul >= 0:
        i = raw.count(b"\n", 0, nul) + 1
        found.append(
            (i, 1, f"row {i} contains a NUL byte: this looks like a binary file, not CSV text")
        )
    text = ""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        i = raw.count(b"\n", 0, e.start) + 1
        col = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        found.append(
            (
                i,
                2,
                f"row {i} is not valid UTF-8 text (byte 0x{raw[e.start]:02x} at "
                f"position {col}); save the file as UTF-8 CSV",
            )
        )
    m = _CONTROL.search(text)
    if m:
        i = text.count("\n", 0, m.start()) + 1
        found.append(
            (
                i,
                3,
                f"row {i} contains the control character 0x{ord(m.group()):02x}: "
                "this looks like a binary file, not CSV text",
            )
        )
    if found:
        row, _, message = min(found)
        raise CsvError(message, row=row)
    return text


def _sniff(text: str) -> str:
    """Delimiter: whichever of ',', ';', tab the header line has most of (ties: comma)."""
    m = _FIRST_TEXT.search(text)
    begin = text.rfind("\n", 0, m.start()) + 1 if m else 0
    end = text.find("\n", begin)
    header = text[begin : end if end >= 0 else len(text)]
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def _csv_problem(err: csv.Error) -> str:
    """Plain-words version of a csv module error."""
    msg = str(err)
    if "unexpected end of data" in msg or "EOF" in msg:
        return 'a quoted cell is never closed (a " is missing)'
    if "field larger than field limit" in msg:
        return "a cell is far too long"
    if "expected after" in msg:
        return 'a quote (") appears inside a cell without being escaped as ""'
    return f"the CSV is malformed here ({msg})"


@dataclass
class Sheet:
    """Header, data rows and the file line of each row."""

    header: list[str]
    header_line: int
    rows: list[list[str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    delimiter: str = ","


def _check_header(header: list[str], max_columns: int, row: int) -> None:
    """Names present, unique, not all numbers; column count within limits."""
    if len(header) > max_columns:
        raise CsvError(f"the header has {len(header)} columns; the limit is {max_columns}", row=row)
    if len(header) < 2:
        raise CsvError(
            f"the header has a single column {show(header[0])}; expected at least two "
            "(features and a target) separated by commas",
            row=row,
        )
    if all(is_number(n) for n in header):
        raise CsvError(
            "the first row holds only numbers; expected a header row with column names",
            row=row,
        )
    for j, name in enumerate(header, start=1):
        if len(name) > MAX_NAME_CHARS:
            raise CsvError(
                f"column {j} in the header has a name of {len(name):,} characters "
                f"({show(name)}); the limit is {MAX_NAME_CHARS}",
                row=row,
            )
        if not name:
            raise CsvError(
                f"column {j} has an empty name in the header row; every column needs a name",
                row=row,
            )
    seen: dict[str, int] = {}
    for j, name in enumerate(header, start=1):
        if name in seen:
            raise CsvError(
                f"column {name!r} appears twice in the header (columns {seen[name]} and {j}); "
                "column names must be unique",
                row=row,
                column=name,
            )
        seen[name] = j


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def read_sheet(text: str, max_rows: int, max_columns: int) -> Sheet:
    """Split into header and rows; reject ragged rows, blank cells and too many rows."""
    delimiter = _sniff(text)
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter, strict=True, skipinitialspace=True
    )
    sheet: Sheet | None = None
    last = 0  # file line where the previous record ended
    try:
        for raw in reader:
            start, last = last + 1, reader.line_num
            row = [c.strip() for c in raw]
            if not row or (len(row) == 1 and not row[0]):
                if last > 2 * max_rows + 1000:  # a flood of blank lines
                    raise CsvError(f"the file has more than {last:,} lines, most of them blank")
                continue
            line = start
            if sheet is None:
                _check_header(row, max_columns, line)
                sheet = Sheet(header=row, header_line=line, delimiter=delimiter)
                continue
            if len(row) != len(sheet.header):
                raise CsvError(
                    f"row {line} has {len(row)} values but the header has "
                    f"{len(sheet.header)} columns",
                    row=line,
                )
            for name, cell in zip(sheet.header, row, strict=True):
                if not cell:
                    raise CsvError(
                        f"row {line}, column {name!r}: the cell is empty; every cell needs a value",
                        row=line,
                        column=name,
                    )
            if len(sheet.rows) >= max_rows:
                raise CsvError(
                    f"the file has more than {max_rows:,} data rows; the limit is {max_rows:,}"
                )
            sheet.rows.append(row)
            sheet.lines.append(line)
    except csv.Error as e:
        raise CsvError(f"row {last + 1}: {_csv_problem(e)}", row=last + 1) from None
    assert sheet is not None  # decode() rejected whitespace-only files
    if not sheet.rows:
        raise CsvError("the file has a header row but no data rows", row=sheet.header_line)
    return sheet
