"""Lesson files: read every app/lessons/*.json once, keep the valid ones, say why the others fail.

A bad file never stops the server: it is logged with the field at fault and listed under
`invalid`, and the other lessons are served.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from app.schemas.lessons import LESSON_ID, Lesson, check_references
from app.schemas.messages import describe_validation_error
from app.training.presets import PRESETS

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 256 * 1024


class LessonError(ValueError):
    """A lesson file that cannot be used; the message names the field at fault."""


@dataclass(frozen=True)
class LessonCatalog:
    """The valid lessons by id (sorted by order, then id) and {file name: problem} for the rest."""

    lessons: dict[str, Lesson] = field(default_factory=dict)
    invalid: dict[str, str] = field(default_factory=dict)

    def summaries(self) -> list[dict[str, Any]]:
        """What the lesson list shows: id, title, summary and the number of steps."""
        return [
            {"id": key, "title": item.title, "summary": item.summary, "steps": len(item.steps)}
            for key, item in self.lessons.items()
        ]


def parse_lesson(text: str) -> Lesson:
    """A lesson from a file's text, or LessonError naming the field and what was expected."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise LessonError(f"not valid JSON: {exc}") from None
    try:
        lesson = Lesson.model_validate(data)
    except ValidationError as exc:
        raise LessonError(describe_validation_error(exc)) from None
    problems = check_references(lesson, {key: preset.config for key, preset in PRESETS.items()})
    if problems:
        raise LessonError("; ".join(problems))
    return lesson


def read_lesson(path: Path) -> Lesson:
    """Read and check one lesson file."""
    if not LESSON_ID.match(path.stem):
        raise LessonError(
            f"the file name {path.name!r} is the lesson's id: use lower-case letters, digits "
            "and dashes, at most 63 characters"
        )
    if path.stat().st_size > MAX_FILE_BYTES:
        raise LessonError(f"the file is larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise LessonError(f"not UTF-8 text: {exc}") from None
    return parse_lesson(text)


def load_lessons(folder: Path) -> LessonCatalog:
    """Every valid lesson in `folder`; each bad file is logged (with its problem) and skipped."""
    found: list[tuple[int, str, Lesson]] = []
    invalid: dict[str, str] = {}
    paths = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if not folder.is_dir():
        log.warning("no lessons: %s is not a folder", folder)
    for path in paths:
        try:
            lesson = read_lesson(path)
        except (LessonError, OSError) as exc:
            invalid[path.name] = str(exc)
            log.warning("lesson file %s skipped: %s", path, exc)
            continue
        found.append((lesson.order, path.stem, lesson))
    found.sort(key=lambda item: (item[0], item[1]))
    return LessonCatalog({key: lesson for _, key, lesson in found}, invalid)
