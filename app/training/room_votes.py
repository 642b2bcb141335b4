"""Predict then reveal, and pushes: the room's poll (a question, 2–4 choices each with an optional
config patch, one changeable vote per attendee) and the last thing the instructor sent."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any, Literal

MIN_CHOICES = 2
MAX_CHOICES = 4
MAX_QUESTION = 160
MAX_LABEL = 60

PushKind = Literal["preset", "config"]  # a lesson step is one more kind: {"lesson", "step"}


class PollError(Exception):
    """A vote or change the poll cannot take (closed, unknown choice, …)."""


@dataclass(frozen=True)
class Choice:
    """One answer; its patch (possibly empty) configures the branch the reveal trains."""

    label: str
    patch: dict[str, Any]


@dataclass
class Poll:
    """A question to the room: open for votes until closed; then revealed as branches."""

    id: int
    question: str
    choices: list[Choice]
    open: bool = True
    votes: dict[str, int] = field(default_factory=dict)  # member id -> choice index
    branches: list[str] = field(default_factory=list)  # session ids, one per choice, on reveal
    branch_epoch: int | None = None
    asked: float = field(default_factory=time.time)

    def vote(self, member_id: str, choice: int) -> None:
        """Record (or change) a member's vote."""
        if not self.open:
            raise PollError("voting is closed for this question")
        if not 0 <= choice < len(self.choices):
            raise PollError(f"choice must be 0 to {len(self.choices) - 1}, got {choice}")
        self.votes[member_id] = choice

    def counts(self) -> list[int]:
        """Votes per choice."""
        counts = [0] * len(self.choices)
        for choice in self.votes.values():
            counts[choice] += 1
        return counts

    def describe(self, member_id: str | None, counts: bool) -> dict[str, Any]:
        """The poll as a page shows it; counts only when asked for (the wall, or once closed)."""
        body: dict[str, Any] = {
            "id": self.id,
            "question": self.question,
            "choices": [{"label": c.label, "patch": c.patch} for c in self.choices],
            "open": self.open,
            "revealed": bool(self.branches),
            "voters": len(self.votes),
            "yours": self.votes.get(member_id) if member_id else None,
        }
        if self.branches:
            body["branch_epoch"] = self.branch_epoch
        if counts or not self.open:
            body["counts"] = self.counts()
        return body


@dataclass(frozen=True)
class Push:
    """Something the instructor sent every attendee: a preset or a config to load."""

    id: int
    kind: PushKind
    title: str
    preset: str | None = None
    config: dict[str, Any] | None = None
    sent: float = field(default_factory=time.time)

    def describe(self) -> dict[str, Any]:
        """As attendees' pages receive it."""
        body: dict[str, Any] = {"id": self.id, "kind": self.kind, "title": self.title}
        if self.preset is not None:
            body["preset"] = self.preset
        if self.config is not None:
            body["config"] = self.config
        return body


class Classroom:
    """The room's current poll and last push (ids only grow, so pages notice a new one)."""

    def __init__(self) -> None:
        self.poll: Poll | None = None
        self.push: Push | None = None
        self._ids = itertools.count(1)

    def ask(self, question: str, choices: list[Choice]) -> Poll:
        """A new poll replaces the old one (whose branches the caller closes)."""
        question = " ".join(question.split())
        if not question or len(question) > MAX_QUESTION:
            raise PollError(f"the question needs 1 to {MAX_QUESTION} characters")
        if not MIN_CHOICES <= len(choices) <= MAX_CHOICES:
            raise PollError(f"give {MIN_CHOICES} to {MAX_CHOICES} choices, got {len(choices)}")
        for choice in choices:
            if not choice.label.strip() or len(choice.label) > MAX_LABEL:
                raise PollError(f"each choice needs a label of 1 to {MAX_LABEL} characters")
        self.poll = Poll(next(self._ids), question, choices)
        return self.poll

    def forget(self, member_id: str) -> None:
        """A member left the room: their vote no longer counts."""
        if self.poll is not None and self.poll.open:
            self.poll.votes.pop(member_id, None)

    def send(self, kind: PushKind, title: str, **what: Any) -> Push:
        """Replace the last push with a new one."""
        self.push = Push(next(self._ids), kind, title, **what)
        return self.push


def classroom_view(classroom: Classroom, member_id: str, instructor: bool) -> dict[str, Any]:
    """What GET /api/room adds: the last push and the current poll, as this member sees them."""
    poll = classroom.poll
    return {
        "push": classroom.push.describe() if classroom.push else None,
        "poll": poll.describe(member_id, counts=instructor) if poll else None,
    }
