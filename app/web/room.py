"""The workshop room: who may enter (a join code, an instructor token) and who is in.

Pure bookkeeping, no HTTP: app/web/room_gate.py checks every request against it and
app/web/room_routes.py changes it. Secrets are compared with hmac.compare_digest, and the
member table is keyed by a hash of the cookie, so a lookup's timing says nothing about a cookie.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Literal

Role = Literal["instructor", "attendee"]

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud from a projector
CODE_LENGTH = 6
MAX_SECRET_CHARS = 128  # longer input is refused without comparing
MAX_ATTENDEES = 200
MAX_INSTRUCTOR_PASSES = 8  # the instructor's browsers (laptop, phone, …); oldest pass goes first
MAX_NAME = 40
MAX_MEMBER_SESSIONS = 32  # sessions remembered per member, closed when the member is removed


class RoomFull(Exception):
    """No more attendees fit in the room."""


def new_code() -> str:
    """A random join code such as K7M4QX."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str:
    """What a person typed, as a code: case, spaces and dashes do not matter."""
    return "".join(text.split()).replace("-", "").upper()


def show_code(code: str) -> str:
    """The code as shown to people: K7M-4QX."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def _same(given: str, secret: str) -> bool:
    if len(given) > MAX_SECRET_CHARS:
        return False
    return hmac.compare_digest(given.encode("utf-8"), secret.encode("utf-8"))


def _key(cookie: str) -> bytes:
    return hashlib.sha256(cookie.encode("utf-8", "replace")).digest()


@dataclass
class Member:
    """Someone in the room: the instructor (one per browser) or an attendee."""

    id: str  # public: the attendee list and the remove button name members by it
    name: str
    role: Role
    address: str
    joined: float = field(default_factory=time.time)
    sessions: list[str] = field(default_factory=list)

    def owns(self, session_id: str) -> None:
        """Remember a session this member created."""
        if session_id not in self.sessions:
            self.sessions.append(session_id)
            del self.sessions[:-MAX_MEMBER_SESSIONS]

    def describe(self) -> dict[str, object]:
        """As the instructor's attendee list shows it."""
        return {"id": self.id, "name": self.name, "role": self.role, "joined": self.joined}


class Room:
    """Join code, instructor token, members by cookie, and the session shown live."""

    def __init__(self, token: str | None = None, code: str | None = None) -> None:
        self.token = token or secrets.token_urlsafe(24)
        self.code = code or new_code()
        self.live: str | None = None  # id of the session the instructor shows to every attendee
        self._members: OrderedDict[bytes, Member] = OrderedDict()
        self._live_signal: asyncio.Event | None = None
        self._guests = 0

    # ---- secrets ---------------------------------------------------------------------------

    def code_matches(self, given: str) -> bool:
        """True when `given` is the current join code (constant time)."""
        return _same(normalize_code(given), self.code)

    def token_matches(self, given: str) -> bool:
        """True when `given` is the instructor's token (constant time)."""
        return _same(given.strip(), self.token)

    def rotate(self) -> str:
        """A new join code; people already in stay in."""
        code = new_code()
        while code == self.code:
            code = new_code()
        self.code = code
        return code

    # ---- members ---------------------------------------------------------------------------

    def admit(self, role: Role, name: str, address: str) -> tuple[str, Member]:
        """Let someone in; returns their new cookie value and their entry."""
        passes = [k for k, m in self._members.items() if m.role == role]
        if role == "attendee" and len(passes) >= MAX_ATTENDEES:
            raise RoomFull(f"the room is full: at most {MAX_ATTENDEES} attendees")
        if role == "instructor" and len(passes) >= MAX_INSTRUCTOR_PASSES:
            del self._members[passes[0]]
        clean = " ".join(name.split())[:MAX_NAME]
        if not clean:
            self._guests += role == "attendee"
            clean = "Instructor" if role == "instructor" else f"Attendee {self._guests}"
        cookie = secrets.token_urlsafe(32)
        member = Member(secrets.token_urlsafe(6), clean, role, address)
        self._members[_key(cookie)] = member
        return cookie, member

    def member(self, cookie: str | None) -> Member | None:
        """Whose cookie this is, or None."""
        if not cookie or len(cookie) > MAX_SECRET_CHARS:
            return None
        return self._members.get(_key(cookie))

    def remove(self, member_id: str) -> Member | None:
        """Take a member out: their cookie stops working. Returns them, or None if unknown."""
        for key, member in self._members.items():
            if member.id == member_id:
                del self._members[key]
                return member
        return None

    def members(self, role: Role | None = None) -> list[Member]:
        """Everyone in, in order of arrival (only one role when given)."""
        return [m for m in self._members.values() if role is None or m.role == role]

    # ---- the live session ------------------------------------------------------------------

    def set_live(self, session_id: str | None) -> None:
        """Show `session_id` to every attendee (None: show nothing); watchers of the old hear it."""
        if session_id == self.live:
            return
        self.live = session_id
        if self._live_signal is not None:
            self._live_signal.set()
        self._live_signal = None

    def live_changed(self) -> asyncio.Event:
        """An event set the next time the live session changes (call from the event loop)."""
        if self._live_signal is None:
            self._live_signal = asyncio.Event()
        return self._live_signal
