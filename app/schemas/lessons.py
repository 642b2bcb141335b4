"""Scripted lessons: the one declaration of a lesson file (app/lessons/*.json) and its checks.

A lesson is a list of steps. A step shows a short text, may start a fresh run (`load`: a preset
and/or a partial config) or change settings live (`configure`), may train to an epoch, may ask a
question the run then answers, and may point at parts of the page. The structure is checked by the
pydantic models; `check_references` checks what needs the presets (ids, configs, layer numbers).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from app.schemas.config import MAX_STOP_EPOCH, SessionConfig, merge_config
from app.schemas.messages import describe_validation_error

LESSON_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")  # the file's name without .json
MAX_STEPS = 16
MAX_TEXT = 520  # a step's text: a few sentences that still read from the back of a room
MAX_CHOICES = 4
MAX_TARGETS = 4


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# What a step may point at: `kind:name`. The page maps each name to what it highlights
# (static/js/lesson-targets.js; tests/js check that it knows exactly these). Layers are
# `layer:input`, `layer:output` or `layer:N` for hidden layer N (1 = the first).
POINTABLE: dict[str, tuple[str, ...]] = {
    "chart": _names("loss acc grad gradb update clip actstd actmean deadsat weight lr"),
    "view": _names("network boundary stats train-loss val-loss train-acc val-acc inspector"),
    "control": _names(
        "play step reset epoch inspect "
        "inspector-random inspector-prev inspector-next inspector-apply"
    ),
}
_HTML = re.compile(r"<\s*/?\s*[a-zA-Z!]")
_MARKERS = (("**", "bold"), ("`", "code"))


def _check_markup(text: str) -> str:
    """Plain text with **bold**, *italic* and `code`; paragraphs split by a blank line; no HTML."""
    if _HTML.search(text):
        raise ValueError("raw HTML is not allowed; use **bold**, *italic* or `code`")
    for marker, name in _MARKERS:
        if text.count(marker) % 2:
            raise ValueError(
                f"unbalanced {marker} ({name}): each opening {marker} needs a closing one"
            )
    if text.replace("**", "").count("*") % 2:
        raise ValueError("unbalanced * (italic): every opening * needs a closing one")
    return text


Title = Annotated[str, Field(min_length=1, max_length=80)]
Line = Annotated[str, Field(min_length=1, max_length=120)]
Prompt = Annotated[str, Field(min_length=1, max_length=200)]
Summary = Annotated[str, Field(min_length=1, max_length=240)]
Explanation = Annotated[str, Field(min_length=1, max_length=400)]
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Choice(_Strict):
    """One answer to a question."""

    text: Line
    correct: bool = False


class Question(_Strict):
    """Asked before the run (or the explanation) reveals the answer; exactly one choice is right."""

    prompt: Prompt
    choices: Annotated[list[Choice], Field(min_length=2, max_length=MAX_CHOICES)]
    explanation: Explanation

    _markup = field_validator("prompt", "explanation")(_check_markup)

    @model_validator(mode="after")
    def _one_correct(self) -> Question:
        right = sum(choice.correct for choice in self.choices)
        if right != 1:
            raise ValueError(f'exactly one choice must have "correct": true, found {right}')
        return self


class Load(_Strict):
    """A fresh run: a preset, a partial config over the defaults, or a preset changed by one."""

    preset: str | None = None
    config: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _something(self) -> Load:
        if self.preset is None and self.config is None:
            raise ValueError('expected "preset", "config" or both')
        return self


Target = Annotated[str, Field(pattern=r"^[a-z]+:[a-z0-9-]+$")]


class Step(_Strict):
    """One screen of a lesson."""

    title: Title
    text: Text
    load: Load | None = None
    configure: dict[str, Any] | None = None  # changed live, keeping the weights
    train_to_epoch: Annotated[int, Field(ge=1, le=MAX_STOP_EPOCH)] | None = None
    inspect: Literal["random"] | None = None  # open the backprop inspector on a random sample
    question: Question | None = None
    point_at: Annotated[list[Target], Field(max_length=MAX_TARGETS)] = Field(default_factory=list)

    _markup = field_validator("text")(_check_markup)

    @field_validator("point_at")
    @classmethod
    def _known_targets(cls, targets: list[str]) -> list[str]:
        for target in targets:
            kind, name = target.split(":", 1)
            if kind == "layer":
                if name not in ("input", "output") and not name.isdigit():
                    raise ValueError(f"{target!r}: expected layer:input, layer:output or layer:N")
            elif kind not in POINTABLE:
                kinds = ", ".join([*POINTABLE, "layer"])
                raise ValueError(f"{target!r}: unknown kind {kind!r}; expected one of: {kinds}")
            elif name not in POINTABLE[kind]:
                names = ", ".join(POINTABLE[kind])
                raise ValueError(f"{target!r}: unknown {kind} {name!r}; expected one of: {names}")
        return targets


class Lesson(_Strict):
    """A lesson file. Its id is the file's name; `order` sorts the list (then the id)."""

    title: Title
    summary: Summary
    order: Annotated[int, Field(ge=0, le=10_000)] = 100
    steps: Annotated[list[Step], Field(min_length=1, max_length=MAX_STEPS)]

    @model_validator(mode="after")
    def _starts_with_a_run(self) -> Lesson:
        if self.steps[0].load is None:
            raise ValueError('the first step must have "load": every step starts from a known run')
        return self


def check_references(lesson: Lesson, presets: Mapping[str, SessionConfig]) -> list[str]:
    """Problems with what the steps name: presets, configs, hidden layers ('where: what')."""
    problems: list[str] = []
    config = SessionConfig()
    for index, step in enumerate(lesson.steps):
        where = f"steps.{index}"
        if step.load is not None:
            preset = step.load.preset
            if preset is not None and preset not in presets:
                known = ", ".join(presets)
                return [f"{where}.load.preset: unknown preset {preset!r}; expected one of: {known}"]
            base = presets[preset] if preset is not None else SessionConfig()
            try:
                config = merge_config(base, step.load.config or {})
            except ValidationError as exc:
                return [f"{where}.load.config: {describe_validation_error(exc)}"]
        if step.configure is not None:
            try:
                config = merge_config(config, step.configure)
            except ValidationError as exc:
                return [f"{where}.configure: {describe_validation_error(exc)}"]
        hidden = len(config.model.layers)
        for number, target in enumerate(step.point_at):
            kind, name = target.split(":", 1)
            if kind == "layer" and name.isdigit() and not 1 <= int(name) <= hidden:
                problems.append(
                    f"{where}.point_at.{number}: {target!r}, but this step's network has "
                    f"{hidden} hidden layer{'s' if hidden != 1 else ''} (layer:1 to layer:{hidden})"
                )
    return problems


def lesson_json_schema() -> dict[str, Any]:
    """JSON Schema of a lesson file, with the names a step may point at."""
    schema = Lesson.model_json_schema()
    schema["pointable"] = {kind: list(names) for kind, names in POINTABLE.items()}
    return schema
