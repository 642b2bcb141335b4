"""Lesson files: every shipped lesson passes the schema and its checks; a broken one is named."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from app.schemas.lessons import POINTABLE, Lesson, lesson_json_schema
from app.settings import LESSONS_DIR
from app.training.lessons import LessonError, parse_lesson, read_lesson
from app.training.preset_figures import CLAIMS
from app.training.presets import PRESETS

SHIPPED = sorted(LESSONS_DIR.glob("*.json"))
# Every classic challenge gets a lesson, and backpropagation itself gets one.
REQUIRED = {
    "backprop-step-by-step",
    "vanishing-gradients",
    "exploding-gradients",
    "overfitting",
    "learning-rate-too-high",
    "learning-rate-too-low",
}


def good() -> dict[str, Any]:
    """A small valid lesson to break one field at a time."""
    return {
        "title": "A lesson",
        "summary": "What it is about.",
        "steps": [
            {
                "title": "Load",
                "text": "Some **bold** and *italic* and `code`.",
                "load": {"preset": "overfitting"},
                "train_to_epoch": 10,
                "question": {
                    "prompt": "Which?",
                    "choices": [{"text": "A", "correct": True}, {"text": "B"}],
                    "explanation": "Because.",
                },
                "point_at": ["chart:loss", "layer:3", "view:boundary"],
            },
            {"title": "Live", "text": "Changed live.", "configure": {"training": {"l2": 0.01}}},
        ],
    }


def error_of(data: dict[str, Any]) -> str:
    with pytest.raises(LessonError) as caught:
        parse_lesson(json.dumps(data))
    return str(caught.value)


def test_every_required_lesson_ships() -> None:
    assert {path.stem for path in SHIPPED} >= REQUIRED


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_lesson_is_valid_and_walkable(path: Path) -> None:
    lesson = read_lesson(path)
    assert lesson.steps[0].load is not None
    assert 3 <= len(lesson.steps) <= 8, "short enough for one sitting"
    for step in lesson.steps:
        if step.train_to_epoch is not None:
            assert step.train_to_epoch <= 2000, "an epoch a room can wait for"
    presets = {s.load.preset for s in lesson.steps if s.load and s.load.preset}
    assert presets <= set(PRESETS)


def test_the_challenge_lessons_load_their_preset_and_its_fix() -> None:
    loaded = {
        path.stem: [s.load.preset for s in read_lesson(path).steps if s.load and s.load.preset]
        for path in SHIPPED
    }
    assert loaded["vanishing-gradients"][0] == "vanishing-gradients"
    assert "vanishing-gradients-relu" in loaded["vanishing-gradients"]
    assert loaded["exploding-gradients"] == ["exploding-gradients", "exploding-gradients-clipped"]
    assert loaded["overfitting"][0] == "overfitting" and len(loaded["overfitting"]) >= 3
    assert loaded["learning-rate-too-high"][0] == "lr-too-high"
    assert loaded["learning-rate-too-low"] == ["lr-too-low", "lr-adam"]


def test_the_backprop_lesson_uses_the_inspector() -> None:
    lesson = read_lesson(LESSONS_DIR / "backprop-step-by-step.json")
    assert any(step.inspect == "random" for step in lesson.steps)
    targets = {t for step in lesson.steps for t in step.point_at}
    assert {"view:inspector", "control:inspector-next", "control:inspector-apply"} <= targets


def test_a_good_lesson_parses() -> None:
    lesson = parse_lesson(json.dumps(good()))
    assert lesson.order == 100 and lesson.steps[1].configure == {"training": {"l2": 0.01}}


S0 = ("steps", 0)
BROKEN: list[tuple[tuple[Any, ...], Any, str]] = [
    (("title",), "", "title: String should have at least 1 character"),
    (("steps",), [], "steps: List should have at least 1 item"),
    (("stepz",), [], "stepz: Extra inputs are not permitted"),
    ((*S0, "text"), "<b>hi</b>", "steps.0.text: Value error, raw HTML is not allowed"),
    ((*S0, "text"), "**open", "steps.0.text: Value error, unbalanced ** (bold)"),
    ((*S0, "text"), "one *star", "steps.0.text: Value error, unbalanced * (italic)"),
    ((*S0, "train_to_epoch"), 0, "steps.0.train_to_epoch: Input should be greater"),
    (
        (*S0, "point_at", 0),
        "chart:losses",
        "steps.0.point_at: Value error, 'chart:losses': unknown",
    ),
    ((*S0, "point_at", 0), "knob:lr", "steps.0.point_at: Value error, 'knob:lr': unknown kind"),
    ((*S0, "point_at", 0), "Chart loss", "steps.0.point_at.0: String should match pattern"),
    (
        (*S0, "question", "choices", 1, "correct"),
        True,
        "steps.0.question: Value error, exactly one",
    ),
    ((*S0, "question", "choices"), [{"text": "A"}], "steps.0.question.choices: List should have"),
    ((*S0, "load"), {}, 'steps.0.load: Value error, expected "preset", "config" or both'),
    ((*S0, "inspect"), "first", "steps.0.inspect: Input should be 'random'"),
]


@pytest.mark.parametrize(("path", "value", "expected"), BROKEN)
def test_a_broken_field_gets_an_error_naming_it(
    path: tuple[Any, ...], value: Any, expected: str
) -> None:
    data = copy.deepcopy(good())
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert expected in error_of(data)


def test_the_first_step_must_load_a_run() -> None:
    data = good()
    del data["steps"][0]["load"]
    assert 'the first step must have "load"' in error_of(data)


def test_references_are_checked_against_the_presets_and_the_config() -> None:
    data = good()
    data["steps"][0]["load"]["preset"] = "overfit"
    expected = "steps.0.load.preset: unknown preset 'overfit'; expected one of: spiral"
    assert expected in error_of(data)
    data = good()
    data["steps"][0]["load"]["config"] = {"training": {"learning_rate": -1}}
    message = error_of(data)
    assert message.startswith("steps.0.load.config: training.learning_rate: Input should be")
    data = good()
    data["steps"][1]["configure"] = {"training": {"optimiser": "adam"}}
    assert "steps.1.configure: training.optimiser: Extra inputs" in error_of(data)
    data = good()
    data["steps"][0]["point_at"] = ["layer:4"]
    expected = "steps.0.point_at.0: 'layer:4', but this step's network has 3 hidden layers"
    assert expected in error_of(data)


def test_not_json_is_named_as_such() -> None:
    with pytest.raises(LessonError, match="not valid JSON: Expecting"):
        parse_lesson('{"title": "x",}')


def test_the_json_schema_lists_what_a_step_may_point_at() -> None:
    schema = lesson_json_schema()
    assert schema["pointable"]["chart"] == list(POINTABLE["chart"])
    assert "steps" in schema["properties"]
    assert Lesson.model_json_schema()["title"] == "Lesson"


PACING = {"epochs_per_second", "stop_at_epoch"}  # the session's pacing: never the numbers


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_what_a_lesson_says_of_a_preset_is_within_what_the_preset_tests_check(path: Path) -> None:
    """A step's run is a preset changed at most in pacing, trained no further than its claim."""
    horizon = {claim.preset_id: claim.epochs for claim in CLAIMS}
    preset = None
    for index, step in enumerate(read_lesson(path).steps):
        if step.load is not None:
            preset = step.load.preset
            if preset is not None and step.load.config:
                assert set(step.load.config) == {"training"}, f"step {index + 1}"
                assert set(step.load.config["training"]) <= PACING, f"step {index + 1}"
        assert preset is None or step.configure is None, "live changes would leave the tested run"
        if preset is not None and step.train_to_epoch is not None:
            assert step.train_to_epoch <= horizon[preset], f"step {index + 1} trains past the tests"
