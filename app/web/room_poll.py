"""Room routes for pushes and predict-then-reveal: the instructor sends a preset or config to
everyone, asks a question, closes it, and reveals it as branches of their run (one fork per
choice, each with its patch, training side by side); attendees vote. Pages learn of both from
GET /api/room (see room_votes.classroom_view)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.schemas.config import SessionConfig, merge_config
from app.schemas.messages import Configure, Play, describe_validation_error
from app.training.manager import TooManySessions
from app.training.presets import PRESETS
from app.training.room import close_sessions, fork_sessions
from app.training.room_votes import MAX_CHOICES, Choice, Classroom, Poll, PollError
from app.web.room_routes import LiveBody, require_instructor, require_member

router = APIRouter()

MAX_TITLE = 80


class PushBody(BaseModel):
    """Body of POST /api/room/push: a preset by id, or a config (partial, over the defaults)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["preset", "config"]
    preset: str | None = Field(default=None, max_length=64)
    config: dict[str, Any] | None = None
    title: str = Field(default="", max_length=MAX_TITLE)


class ChoiceBody(BaseModel):
    """One answer of a question, with the config patch its branch gets (may be empty)."""

    model_config = ConfigDict(extra="forbid")
    label: str = Field(max_length=200)
    patch: dict[str, Any] = Field(default_factory=dict)


class AskBody(BaseModel):
    """Body of POST /api/room/poll."""

    model_config = ConfigDict(extra="forbid")
    question: str = Field(max_length=500)
    choices: Annotated[list[ChoiceBody], Field(max_length=MAX_CHOICES * 2)]


class VoteBody(BaseModel):
    """Body of PUT /api/room/poll/vote."""

    model_config = ConfigDict(extra="forbid")
    poll: int
    choice: int


def classroom_of(request: Request) -> Classroom:
    """The app's poll and push."""
    return request.app.state.classroom


def _valid_config(patch: dict[str, Any], what: str) -> SessionConfig:
    try:
        return merge_config(SessionConfig(), patch)
    except ValidationError as exc:
        raise HTTPException(422, f"invalid {what}: {describe_validation_error(exc)}") from None


@router.post("/api/room/push", status_code=201)
async def push(body: PushBody, request: Request) -> dict[str, Any]:
    """Send every attendee a preset or a config to load with one click."""
    require_instructor(request)
    classroom = classroom_of(request)
    if body.kind == "preset":
        preset = PRESETS.get(body.preset or "")
        if preset is None:
            raise HTTPException(
                422, f"unknown preset {body.preset!r}; expected one of: {', '.join(PRESETS)}"
            )
        sent = classroom.send("preset", body.title.strip() or preset.title, preset=preset.id)
    else:
        if not body.config:
            raise HTTPException(422, "a config push needs a config")
        config = _valid_config(body.config, "config").model_dump()
        sent = classroom.send(
            "config", body.title.strip() or "the instructor’s settings", config=config
        )
    return sent.describe()


@router.post("/api/room/poll", status_code=201)
async def ask(body: AskBody, request: Request) -> dict[str, Any]:
    """Ask the room a question (replacing the last one and closing its branches)."""
    require_instructor(request)
    for choice in body.choices:
        _valid_config(choice.patch, f"change for “{choice.label[:40]}”")
    classroom = classroom_of(request)
    old = classroom.poll
    try:
        poll = classroom.ask(
            body.question, [Choice(c.label.strip(), c.patch) for c in body.choices]
        )
    except PollError as exc:
        raise HTTPException(422, str(exc)) from None
    if old is not None:
        await close_sessions(request.app.state.manager, old.branches)
    return poll.describe(None, counts=True)


def _current(request: Request, poll_id: int | None = None) -> Poll:
    poll = classroom_of(request).poll
    if poll is None or (poll_id is not None and poll.id != poll_id):
        raise HTTPException(409, "that question is no longer asked")
    return poll


@router.put("/api/room/poll/vote")
async def vote(body: VoteBody, request: Request) -> dict[str, Any]:
    """An attendee's vote (changeable until the instructor closes the question)."""
    member = require_member(request)
    if member.role != "attendee":
        raise HTTPException(403, "only attendees vote")
    poll = _current(request, body.poll)
    try:
        poll.vote(member.id, body.choice)
    except PollError as exc:
        raise HTTPException(409 if not poll.open else 422, str(exc)) from None
    return poll.describe(member.id, counts=False)


@router.post("/api/room/poll/close")
async def close_poll(request: Request) -> dict[str, Any]:
    """Stop taking votes; the counts become visible to everyone."""
    require_instructor(request)
    poll = _current(request)
    poll.open = False
    return poll.describe(None, counts=True)


@router.post("/api/room/poll/reveal", status_code=201)
async def reveal(body: LiveBody, request: Request) -> dict[str, Any]:
    """Branch the instructor's run into the choices: one fork per choice, patched, all training."""
    member = require_instructor(request)
    poll = _current(request)
    if poll.branches:
        raise HTTPException(409, "this question has already been revealed")
    manager = request.app.state.manager
    source = manager.get(body.id, body.token)
    if source is None:
        raise HTTPException(404, "unknown session or wrong token: reveal from your own run")
    for choice in poll.choices:  # refuse before forking anything
        try:
            merge_config(source.config, choice.patch)
        except ValidationError as exc:
            detail = describe_validation_error(exc)
            raise HTTPException(422, f"“{choice.label}” cannot apply: {detail}") from None
    poll.open = False
    try:
        branches = await fork_sessions(manager, source, len(poll.choices), branches=True)
    except TooManySessions as exc:
        raise HTTPException(503, str(exc)) from None
    for branch, choice in zip(branches, poll.choices, strict=True):
        member.owns(branch.id)
        if choice.patch:
            branch.submit(Configure(type="configure", config=choice.patch))
        branch.submit(Play(type="play"))
    poll.branches = [b.id for b in branches]
    poll.branch_epoch = source.epoch
    return poll.describe(None, counts=True)


@router.delete("/api/room/poll", status_code=204)
async def end_poll(request: Request) -> Response:
    """Put the question away and stop its branches."""
    require_instructor(request)
    classroom = classroom_of(request)
    if classroom.poll is not None:
        await close_sessions(request.app.state.manager, classroom.poll.branches)
        classroom.poll = None
    return Response(status_code=204)
