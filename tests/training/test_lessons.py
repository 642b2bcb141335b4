"""The lesson loader: a folder's good files are served, each bad one is logged and named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.training.lessons import load_lessons
from tests.schemas.test_lessons import good


def test_a_folder_with_bad_files_keeps_the_good_ones(tmp_path: Path, caplog: Any) -> None:
    (tmp_path / "fine.json").write_text(json.dumps(good()))
    (tmp_path / "broken.json").write_text('{"title": ')
    bad = good()
    bad["steps"][0]["question"]["choices"][0]["correct"] = False
    (tmp_path / "no-answer.json").write_text(json.dumps(bad))
    (tmp_path / "Bad Name.json").write_text(json.dumps(good()))
    (tmp_path / "latin1.json").write_bytes(b'{"title": "\xe9"}')
    with caplog.at_level("WARNING"):
        catalog = load_lessons(tmp_path)
    assert list(catalog.lessons) == ["fine"]
    assert set(catalog.invalid) == {"broken.json", "no-answer.json", "Bad Name.json", "latin1.json"}
    assert "exactly one choice" in catalog.invalid["no-answer.json"]
    assert "is the lesson's id" in catalog.invalid["Bad Name.json"]
    assert "not UTF-8" in catalog.invalid["latin1.json"]
    logged = caplog.text
    assert "broken.json skipped: not valid JSON" in logged
    assert "no-answer.json skipped: steps.0.question" in logged


def test_lessons_sort_by_order_then_id(tmp_path: Path) -> None:
    for name, order in (("b", 5), ("a", 5), ("c", 1)):
        (tmp_path / f"{name}.json").write_text(json.dumps({**good(), "order": order}))
    assert list(load_lessons(tmp_path).lessons) == ["c", "a", "b"]
    assert load_lessons(tmp_path / "missing").lessons == {}
