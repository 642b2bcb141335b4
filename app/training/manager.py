"""All live sessions: creation within limits, lookup by id and token, cleanup of abandoned ones."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable

from app.data import Table
from app.schemas.config import SessionConfig
from app.store import RunStore
from app.training.recorder import Recorder
from app.training.run import ConfigError, Run
from app.training.session import SessionState, TrainingSession
from app.training.stored_uploads import StoredUploads
from app.training.uploads import UploadStore

log = logging.getLogger(__name__)


class TooManySessions(Exception):
    """The server already runs as many sessions as it allows."""


class SessionManager:
    """Creates, finds and expires training sessions; owns the uploaded datasets too."""

    def __init__(
        self,
        max_sessions: int = 16,
        pause_after: float = 15.0,  # grace for a reload or a dropped connection
        expire_after: float = 30 * 60.0,
        store: RunStore | None = None,  # None: runs live in memory only
    ) -> None:
        self.sessions: dict[str, TrainingSession] = {}
        self.store = store
        self.uploads = UploadStore() if store is None else StoredUploads(store)
        self.max_sessions = max_sessions
        self.pause_after = pause_after
        self.expire_after = expire_after
        self._reaper: asyncio.Task[None] | None = None

    async def create(self, config: SessionConfig) -> TrainingSession:
        """Build a session from a validated config (the NumPy work runs off the event loop)."""

        def build(session_id: str, token: str) -> TrainingSession:
            run = Run(config, self.lookup_table)
            recorder = (
                None
                if self.store is None
                else Recorder(self.store, session_id, config.model_dump())
            )
            return TrainingSession(session_id, token, run, recorder)

        return await self.start_session(build)

    async def start_session(self, build: Callable[[str, str], TrainingSession]) -> TrainingSession:
        """Within the limits, build a session with a new id and token (off the loop), start it."""
        if len(self.sessions) >= self.max_sessions:
            await self.reap(force=True)
            if len(self.sessions) >= self.max_sessions:
                raise TooManySessions(
                    f"this server runs at most {self.max_sessions} sessions; close a tab and retry"
                )
        session_id, token = secrets.token_urlsafe(9), secrets.token_urlsafe(18)
        session = await asyncio.to_thread(build, session_id, token)
        self.sessions[session_id] = session
        session.start()
        return session

    def lookup_table(self, upload_id: str) -> Table | None:
        """The parsed table of an upload, for the data layer."""
        upload = self.uploads.get(upload_id)
        return upload.table if upload else None

    def get(self, session_id: str, token: str) -> TrainingSession | None:
        """The session if the id exists and the token matches."""
        session = self.sessions.get(session_id)
        if session is None or not secrets.compare_digest(session.token, token):
            return None
        return session

    async def reap(self, force: bool = False) -> None:
        """Pause sessions nobody watches; close long-abandoned ones (every idle one if forced)."""
        now = time.monotonic()
        for session_id, session in list(self.sessions.items()):
            if session.subscribers:
                continue
            idle = now - session.last_active
            if idle > self.expire_after or (force and idle > 5.0):
                del self.sessions[session_id]
                await session.close()
                log.info("closed abandoned session %s", session_id)
            elif idle > self.pause_after and session.state is SessionState.RUNNING:
                session.submit_pause()

    async def run_reaper(self, every: float = 10.0) -> None:
        """Background task: reap periodically."""
        while True:
            await asyncio.sleep(every)
            await self.reap()

    def start(self) -> None:
        """Start the reaper (from the lifespan)."""
        self._reaper = asyncio.create_task(self.run_reaper(), name="session-reaper")

    async def stop(self) -> None:
        """Stop the reaper and every session."""
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
        for session in list(self.sessions.values()):
            await session.close()
        self.sessions.clear()
        if self.store is not None:
            self.store.close()


__all__ = ["ConfigError", "SessionManager", "TooManySessions"]
