"""`backprop-lab serve`'s choices of where and how many sessions train, checked together."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from app.settings import WORKERS_ENV, Settings

ROOM_MAX_SESSIONS = 48


@dataclasses.dataclass(frozen=True)
class Where:
    """Where and how many sessions train, as the command line said (None: the default; a room,
    a class of attendees each with a session, allows ROOM_MAX_SESSIONS)."""

    workers: int | None = None
    executor: str | None = None
    ray_address: str | None = None
    max_sessions: int | None = None  # how many train at once (a cluster carries more)

    def applied(self, settings: Settings) -> Settings:
        """The settings with these choices; ValueError for a combination that cannot work."""
        if self.workers is not None and self.workers < 0:
            raise ValueError(f"--workers must be 0 or more, got {self.workers}")
        changes: dict[str, Any] = {}
        if settings.room:
            changes["max_sessions"] = ROOM_MAX_SESSIONS
        if self.max_sessions is not None:
            if self.max_sessions < 1:
                raise ValueError(f"--max-sessions must be 1 or more, got {self.max_sessions}")
            changes["max_sessions"] = self.max_sessions
        if self.executor is not None:
            changes["executor"] = self.executor
        if self.ray_address is not None:
            changes["ray_address"] = self.ray_address
        if self.workers is not None:
            changes["workers"] = self.workers
        settings = dataclasses.replace(settings, **changes)
        if settings.executor != "ray":
            if self.ray_address is not None:
                raise ValueError("--ray-address goes with --executor ray")
            return settings
        if self.workers == 0:
            raise ValueError("--executor ray needs at least one actor (--workers 1 or more)")
        if self.workers is not None or os.environ.get(WORKERS_ENV, "").strip():
            settings = dataclasses.replace(settings, ray_actors=settings.workers)
        return settings


def where_text(settings: Settings) -> str:
    """Where sessions train, for the line `serve` prints as it starts."""
    if settings.executor == "ray":
        return f"training on Ray (--ray-address {settings.ray_address})"
    if settings.executor == "thread" or not settings.workers:
        return "training in threads of this process"
    return f"{settings.workers} worker process{'es' if settings.workers != 1 else ''}"
