"""REST for the scripted lessons: the list (and the files that could not be read), one lesson."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request

from app.training.lessons import LessonCatalog

router = APIRouter(prefix="/api")


def catalog(request: Request) -> LessonCatalog:
    """The lessons read when the app started."""
    return request.app.state.lessons


@router.get("/lessons")
async def list_lessons(request: Request) -> dict[str, Any]:
    """`lessons`: id, title, summary and step count of each; `invalid`: files skipped and why."""
    lessons = catalog(request)
    return {
        "lessons": lessons.summaries(),
        "invalid": [{"file": name, "error": error} for name, error in lessons.invalid.items()],
    }


@router.get("/lessons/{lesson_id}")
async def get_lesson(lesson_id: str, request: Request) -> dict[str, Any]:
    """One lesson with all its steps."""
    lessons = catalog(request).lessons
    lesson = lessons.get(lesson_id)
    if lesson is None:
        known = ", ".join(lessons) or "none"
        raise HTTPException(404, f"no lesson {lesson_id[:64]!r}; the lessons are: {known}")
    return {"id": lesson_id, **lesson.model_dump(exclude_none=True)}
