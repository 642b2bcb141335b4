"""CSV parsing: hostile and malformed files are rejected with a located message; good ones parse."""

from __future__ import annotations

import codecs
from typing import Any

import numpy as np
import pytest

from app.data import CsvError, parse_csv, retarget

HEADER = "a,b,y"


def rows(n: int = 12) -> list[str]:
    """Data rows a,b,y with a binary integer target (row i of the list is file row i + 2)."""
    return [f"{i},{i * 0.5},{i % 2}" for i in range(n)]


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def with_row(index: int, line: str, header: str = HEADER) -> bytes:
    """The good file with data row `index` (file row index + 2) replaced."""
    body = rows()
    body[index] = line
    return csv_bytes(header, *body)


BAD: list[tuple[str, bytes, dict[str, Any], str, int | None, str | None]] = [
    ("empty", b"", {}, "the file is empty", None, None),
    ("only-whitespace", b"  \n\t\r\n   \n", {}, "contains only whitespace", None, None),
    ("bom-only", codecs.BOM_UTF8, {}, "the file is empty", None, None),
    ("header-only", b"a,b,y\n", {}, "a header row but no data rows", 1, None),
    ("header-then-blank-lines", b"a,b,y\n\n\n", {}, "no data rows", 1, None),
    ("ragged-short", with_row(2, "1,0"), {}, "row 4 has 2 values but the header has 3", 4, None),
    ("ragged-long", with_row(5, "1,2,0,9"), {}, "row 7 has 4 values but the header has 3", 7, None),
    (
        "non-utf8-latin1",
        csv_bytes("name,b,y", *rows()).replace(b"\n3,", "\ncaf\u00e9,".encode("latin-1"), 1),
        {},
        "row 5 is not valid UTF-8 text (byte 0xe9",
        5,
        None,
    ),
    ("utf16", csv_bytes(HEADER, *rows()).decode().encode("utf-16"), {}, "UTF-16", 1, None),
    (
        "binary-garbage-nul",
        bytes(range(256)) * 4,
        {},
        "NUL byte: this looks like a binary file",
        1,
        None,
    ),
    (
        "png-image",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        {},
        "not valid UTF-8 text (byte 0x89",
        1,
        None,
    ),
    (
        "control-characters",
        b"a,b,y\n1,2\x07,0\n",
        {},
        "control character 0x07: this looks like a binary file",
        2,
        None,
    ),
    ("nan-cell", with_row(3, "3,NaN,1"), {}, "row 5, column 'b': missing value 'NaN'", 5, "b"),
    ("na-cell", with_row(0, "NA,1,0"), {}, "row 2, column 'a': missing value 'NA'", 2, "a"),
    ("null-cell", with_row(1, "1,null,1"), {}, "missing value 'null'", 3, "b"),
    ("inf-cell", with_row(4, "inf,1,0"), {}, "row 6, column 'a': expected a finite number", 6, "a"),
    ("minus-infinity", with_row(4, "1,-Infinity,0"), {}, "got '-Infinity'", 6, "b"),
    ("overflow-number", with_row(6, "1e999,1,0"), {}, "got '1e999'", 8, "a"),
    ("too-big-number", with_row(6, "2e15,1,0"), {}, "between -1e15 and 1e15", 8, "a"),
    ("blank-cell", with_row(2, "1,,0"), {}, "row 4, column 'b': the cell is empty", 4, "b"),
    ("whitespace-cell", with_row(2, "1,   ,0"), {}, "row 4, column 'b': the cell is empty", 4, "b"),
    ("blank-target", with_row(9, "1,2,"), {}, "row 11, column 'y': the cell is empty", 11, "y"),
    ("nan-target", with_row(7, "1,2,nan"), {}, "row 9, column 'y': missing value 'nan'", 9, "y"),
    (
        "huge-single-line",
        csv_bytes(HEADER, *rows(), "1," + "9" * 70_000 + ",0"),
        {},
        "row 14 is 70,004 bytes long; the limit is 65,536 bytes per line",
        14,
        None,
    ),
    (
        "huge-header",
        ("x" * 100_000 + ",y\n1,0\n").encode(),
        {},
        "row 1 is 100,002 bytes long",
        1,
        None,
    ),
    (
        "too-many-rows",
        csv_bytes(HEADER, *rows(30)),
        {"max_rows": 20},
        "more than 20 data rows; the limit is 20",
        None,
        None,
    ),
    (
        "too-many-columns",
        csv_bytes(",".join(f"c{j}" for j in range(51)), *[",".join("1" * 51)] * 12),
        {},
        "the header has 51 columns; the limit is 50",
        1,
        None,
    ),
    (
        "duplicate-header",
        csv_bytes("a,b,a,y", *[r + ",1" for r in rows()]),
        {},
        "column 'a' appears twice in the header (columns 1 and 3)",
        1,
        "a",
    ),
    (
        "huge-column-name",
        csv_bytes("a," + "b" * 300 + ",y", *rows()),
        {},
        "column 2 in the header has a name of 300 characters",
        1,
        None,
    ),
    ("empty-column-name", csv_bytes("a,,y", *rows()), {}, "column 2 has an empty name", 1, None),
    (
        "no-header-numbers-only",
        csv_bytes(*rows()),
        {},
        "the first row holds only numbers; expected a header row with column names",
        1,
        None,
    ),
    (
        "single-column",
        csv_bytes("y", *[str(i % 2) for i in range(12)]),
        {},
        "a single column 'y'; expected at least two",
        1,
        None,
    ),
    (
        "one-class-target",
        csv_bytes(HEADER, *[f"{i},{i},1" for i in range(12)]),
        {},
        "target column 'y' has a single class ('1') in all 12 rows",
        None,
        "y",
    ),
    (
        "one-class-text-target",
        csv_bytes(HEADER, *[f"{i},{i},cat" for i in range(12)]),
        {},
        "a single class ('cat')",
        None,
        "y",
    ),
    (
        "no-numeric-feature",
        csv_bytes("name,city,y", *[f"n{i},c{i},{i % 2}" for i in range(12)]),
        {},
        "no numeric feature column: every feature column holds text ('name', 'city'",
        2,
        "name",
    ),
    (
        "text-feature-column-when-strict",
        csv_bytes("a,name,y", *[f"{i},bob{i},{i % 2}" for i in range(12)]),
        {"text_columns": "error"},
        "column 'name' holds text ('bob0' in row 2) but feature columns must be numbers",
        2,
        "name",
    ),
    (
        "typo-in-number",
        with_row(5, "4,abc,0"),
        {},
        "row 7, column 'b': expected a number, got 'abc'",
        7,
        "b",
    ),
    (
        "missing-target-column",
        csv_bytes(HEADER, *rows()),
        {"target": "label"},
        "target column 'label' not found; the columns are 'a', 'b', 'y'",
        None,
        "label",
    ),
    (
        "unclosed-quote",
        csv_bytes(HEADER, *rows(), '1,"2,0', "3,4,1"),
        {},
        'a quoted cell is never closed (a " is missing)',
        14,
        None,
    ),
    (
        "stray-quote",
        with_row(3, '1,"2"x,0'),
        {},
        "row 5: a quote",
        5,
        None,
    ),
    (
        "regression-on-text-target",
        csv_bytes(HEADER, *[f"{i},{i},{'ab'[i % 2]}" for i in range(12)]),
        {"task": "regression"},
        "row 2, column 'y': a regression target must be numeric, got 'a'",
        2,
        "y",
    ),
    (
        "constant-regression-target",
        csv_bytes(HEADER, *[f"{i},{i},2.5" for i in range(12)]),
        {},
        "target column 'y' has the same value (2.5) in all 12 rows",
        None,
        "y",
    ),
    (
        "too-few-rows",
        csv_bytes(HEADER, *rows(4)),
        {},
        "only 4 data rows; at least 10 are needed",
        None,
        None,
    ),
    (
        "too-many-classes",
        csv_bytes(HEADER, *[f"{i},{i},k{i}" for i in range(30)]),
        {},
        "target column 'y' has 30 distinct values; at most 20 classes",
        None,
        "y",
    ),
    (
        "decimal-comma-with-semicolons",
        csv_bytes("a;b;y", *[f"{i};{i},5;{i % 2}" for i in range(12)]),
        {},
        "expected a number, got '0,5' (use a dot as the decimal separator)",
        2,
        "b",
    ),
    (
        "bad-task",
        csv_bytes(HEADER, *rows()),
        {"task": "clustering"},
        "task must be one of",
        None,
        None,
    ),
]


@pytest.mark.parametrize(
    ("data", "kwargs", "message", "row", "column"),
    [case[1:] for case in BAD],
    ids=[case[0] for case in BAD],
)
def test_bad_csv_is_rejected_with_a_located_message(
    data: bytes, kwargs: dict[str, Any], message: str, row: int | None, column: str | None
) -> None:
    with pytest.raises(CsvError) as err:
        parse_csv(data, **kwargs)
    assert message in str(err.value)
    assert err.value.message == str(err.value)
    assert err.value.row == row
    assert err.value.column == column
    msg = err.value.message
    if row is not None:  # the row is named, or it is the header / whole-file encoding
        assert f"row {row}" in msg or (row == 1 and any(w in msg for w in ("header", "UTF-16")))
    if column is not None:
        assert repr(column) in err.value.message


def test_csv_errors_are_value_errors_that_callers_can_catch_as_such() -> None:
    with pytest.raises(ValueError, match="only 4 data rows"):
        parse_csv(csv_bytes(HEADER, *rows(4)))


def test_quoted_fields_with_embedded_commas_are_one_cell() -> None:
    data = csv_bytes(
        '"length, cm",width,"kind, long name"',
        *[f'{i},"{i}.5","{"big, red" if i % 2 else "small"}"' for i in range(12)],
    )
    t = parse_csv(data)
    assert t.feature_names == ["length, cm", "width"]
    assert t.target == "kind, long name"
    assert t.class_names == ["big, red", "small"]
    np.testing.assert_array_equal(t.x[:3], [[0, 0.5], [1, 1.5], [2, 2.5]])
    np.testing.assert_array_equal(t.y[:4], [1, 0, 1, 0])


def test_utf8_bom_crlf_and_blank_lines_accepted() -> None:
    text = "\r\n".join([HEADER, *rows(6), "", *rows(6)[::-1], "", ""])
    t = parse_csv(codecs.BOM_UTF8 + text.encode())
    assert t.feature_names == ["a", "b"] and t.rows == 12


def test_semicolon_and_tab_delimiters() -> None:
    for d in (";", "\t"):
        t = parse_csv(csv_bytes(*[line.replace(",", d) for line in [HEADER, *rows()]]))
        assert t.feature_names == ["a", "b"] and t.x.shape == (12, 2) and t.task == "binary"


def test_row_numbers_count_blank_lines() -> None:
    data = csv_bytes(HEADER, "", *rows()[:3], "", "", "1,x,0", *rows()[:8])
    with pytest.raises(CsvError) as err:
        parse_csv(data)
    assert err.value.row == 8 and "row 8, column 'b'" in err.value.message


def test_categorical_target_becomes_sorted_classes() -> None:
    species = ["virginica", "setosa", "versicolor"]
    t = parse_csv(csv_bytes("a,b,species", *[f"{i},{i * 2},{species[i % 3]}" for i in range(12)]))
    assert t.task == "multiclass" and t.class_names == ["setosa", "versicolor", "virginica"]
    assert t.y.dtype == np.int64
    np.testing.assert_array_equal(t.y[:3], [2, 0, 1])


def test_integer_target_becomes_classes() -> None:
    t = parse_csv(csv_bytes(HEADER, *[f"{i},{i},{i % 3 + 1}" for i in range(12)]))
    assert t.task == "multiclass" and t.class_names == ["1", "2", "3"]
    np.testing.assert_array_equal(t.y[:4], [0, 1, 2, 0])
    t = parse_csv(csv_bytes(HEADER, *rows()))
    assert t.task == "binary" and t.class_names == ["0", "1"]


def test_float_or_many_integer_target_is_regression() -> None:
    t = parse_csv(csv_bytes(HEADER, *[f"{i},{i},{i * 0.37:.2f}" for i in range(12)]))
    assert t.task == "regression" and t.class_names == [] and t.y.dtype == np.float64
    np.testing.assert_allclose(t.y[:3], [0.0, 0.37, 0.74])
    t = parse_csv(csv_bytes(HEADER, *[f"{i},{i},{i}" for i in range(15)]))
    assert t.task == "regression"


def test_task_override() -> None:
    many = csv_bytes(HEADER, *[f"{i},{i},{i % 15}" for i in range(30)])
    t = parse_csv(many, task="classification")
    assert (
        t.task == "multiclass" and len(t.class_names) == 15 and t.class_names[:3] == ["0", "1", "2"]
    )
    t = parse_csv(csv_bytes(HEADER, *rows()), task="regression")
    assert t.task == "regression"
    np.testing.assert_array_equal(t.y[:3], [0.0, 1.0, 0.0])
    t = parse_csv(
        csv_bytes(HEADER, *[f"{i},{i},{i % 2 + 0.5}" for i in range(12)]), task="classification"
    )
    assert t.class_names == ["0.5", "1.5"]


def test_target_by_name_and_case_insensitive() -> None:
    data = csv_bytes("Label,a,b", *[f"{i % 2},{i},{i * 3}" for i in range(12)])
    t = parse_csv(data, target="Label")
    assert (
        t.target == "Label" and t.feature_names == ["a", "b"] and t.columns == ["Label", "a", "b"]
    )
    assert parse_csv(data, target=" label ").target == "Label"
    t = parse_csv(data, target="b")  # numeric, 12 distinct integers -> regression
    assert t.task == "regression" and t.feature_names == ["Label", "a"]


def test_numbers_in_many_spellings_and_spaces() -> None:
    data = csv_bytes(" a , b ,y", *[f" +{i} , {i}e0,{i % 2}" for i in range(11)], ".5,-1.25E+1,1")
    t = parse_csv(data)
    assert t.feature_names == ["a", "b"]
    np.testing.assert_array_equal(t.x[-1], [0.5, -12.5])


def test_table_is_read_only_with_summary() -> None:
    t = parse_csv(csv_bytes(HEADER, *rows()))
    with pytest.raises(ValueError):
        t.x[0, 0] = 5.0
    assert t.summary() == {
        "rows": 12,
        "features": ["a", "b"],
        "target": "y",
        "task": "binary",
        "classes": ["0", "1"],
        "columns": ["a", "b", "y"],
        "ignored": [],
    }


def test_text_feature_columns_are_left_out_and_listed() -> None:
    data = csv_bytes("name,a,kind,y", *[f"bob{i},{i},{'pq'[i % 2]},{i % 3}" for i in range(12)])
    t = parse_csv(data)
    assert t.feature_names == ["a"] and t.ignored == ["name", "kind"] and t.x.shape == (12, 1)
    assert t.summary()["ignored"] == ["name", "kind"]
    # Picking another target turns the old text label into an ignored column, not an error.
    r = retarget(
        parse_csv(csv_bytes("a,b,label", *[f"{i},{i % 4},{'xy'[i % 2]}" for i in range(12)])), "a"
    )
    assert r.task == "regression" and r.feature_names == ["b"] and r.ignored == ["label"]


def test_a_broken_cell_is_named_even_in_a_tiny_file() -> None:
    with pytest.raises(CsvError) as err:
        parse_csv(b"a,b,label\n1,2,x\n3,oops,y\n")
    assert err.value.row == 3 and err.value.column == "b" and "got 'oops'" in err.value.message


def test_limits_are_inclusive() -> None:
    t = parse_csv(csv_bytes(HEADER, *rows(20)), max_rows=20)
    assert t.rows == 20
    wide = csv_bytes(
        ",".join(f"c{j}" for j in range(50)), *[",".join(str(i % 2) * 50) for i in range(12)]
    )
    assert parse_csv(wide).x.shape == (12, 49)


def test_retarget_reparses_the_source() -> None:
    t = parse_csv(csv_bytes(HEADER, *rows()))
    r = retarget(t, "a")
    assert r.target == "a" and r.task == "regression" and r.feature_names == ["b", "y"]
    r = retarget(r, None, "classification")  # None keeps the current target
    assert r.target == "a" and r.task == "multiclass" and len(r.class_names) == 12
