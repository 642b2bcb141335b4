"""All live sessions: creation within limits, lookup by id and token, cleanup of abandoned ones."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable

from app.data import Table
from app.schemas.config import SessionConfig
from app.store import RunStore
from app.training.executors import Executor
from app.training.executors.fairness import sharing
from app.training.executors.messages import OpenSpec, WorkerLost
from app.training.executors.thread import ThreadExecutor
from app.training.recorder import Recorder
from app.training.room_votes import MAX_CHOICES
from app.training.run import ConfigError
from app.training.session import SessionState, TrainingSession
from app.training.session_commands import REOPEN_ATTEMPTS
from app.training.stored_uploads import StoredUploads
from app.training.uploads import Upload, UploadsFull, UploadStore

log = logging.getLogger(__name__)

FORCED_REAP_IDLE = 5.0  # a full server closes unwatched sessions idle this long (seconds)
SHARING_SECONDS = 0.5  # how often the running sessions are counted for the `sharing` frame


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
        executor: Executor | None = None,  # where Runs train; None: threads of this process
    ) -> None:
        self.sessions: dict[str, TrainingSession] = {}
        self.store = store
        self.executor: Executor = executor or ThreadExecutor()
        self.uploads = UploadStore() if store is None else StoredUploads(store)
        self.max_sessions = max_sessions
        self.pause_after = pause_after
        self.expire_after = expire_after
        self._reaper: asyncio.Task[None] | None = None
        self._sharing: asyncio.Task[None] | None = None
        self.branches: set[str] = set()  # a reveal's branches: bounded apart from the rest
        self.max_branches = MAX_CHOICES  # one question's branches (a new question closes them)
        self._building = {False: 0, True: 0}  # slots claimed by creations still building, by kind
        self._closing: set[asyncio.Task[None]] = set()

    async def create(self, config: SessionConfig) -> TrainingSession:
        """Build a session from a validated config (its Run is built where it will train)."""

        async def build(session_id: str, token: str) -> TrainingSession:
            recorder = None
            if self.store is not None:
                store, dump = self.store, config.model_dump()
                recorder = await asyncio.to_thread(Recorder, store, session_id, dump)
            return await self.open_session(session_id, token, config, recorder)

        return await self.start_session(build)

    async def open_session(
        self,
        session_id: str,
        token: str,
        config: SessionConfig,
        recorder: Recorder | None,
        checkpoint: bytes | None = None,
        last_checkpoint: int = -1,
    ) -> TrainingSession:
        """Open a session's Run on the executor (from `checkpoint` if given)."""
        upload_id = config.dataset.upload_id
        table = self.lookup_table(upload_id) if config.dataset.name == "csv" and upload_id else None
        spec = OpenSpec(
            config=config.model_dump(),
            tables={upload_id: table} if upload_id and table is not None else {},
            checkpoint=checkpoint,
            cadence=None if recorder is None else recorder.cadence,
            last_checkpoint=last_checkpoint,
        )
        runtime = self.executor.runtime(session_id)
        try:
            for attempt in range(REOPEN_ATTEMPTS):
                try:
                    view = await runtime.open(spec)
                    break
                except WorkerLost:  # the worker died meanwhile: another one takes the session
                    if attempt == REOPEN_ATTEMPTS - 1:
                        raise
        except BaseException:
            await runtime.close()
            raise
        return TrainingSession(session_id, token, runtime, view, recorder, self.lookup_table)

    async def start_session(
        self, build: Callable[[str, str], Awaitable[TrainingSession]], branch: bool = False
    ) -> TrainingSession:
        """Within the limits, build a session with a new id and token, start it. A `branch`
        (of a reveal) counts against `max_branches`, not against everyone's `max_sessions`."""
        # Claim a slot before the first await: concurrent creations see each other's claims.
        victims = self._claim_slot(branch)
        try:
            await self._close_all(victims)
            session_id, token = secrets.token_urlsafe(9), secrets.token_urlsafe(18)
            session = await build(session_id, token)
        finally:
            self._building[branch] -= 1
        self.sessions[session_id] = session
        if branch:
            self.branches.add(session_id)
        session.start()
        return session

    def _in_use(self, branch: bool) -> int:
        """Sessions of one kind (branches, or the rest), running or being built."""
        self.branches &= self.sessions.keys()  # closed branches leave the set here
        return (
            sum((sid in self.branches) == branch for sid in self.sessions) + self._building[branch]
        )

    def _claim_slot(self, branch: bool) -> list[TrainingSession]:
        """Reserve room for one session (reaping idle ones if full); returns the reaped ones."""
        limit = self.max_branches if branch else self.max_sessions
        victims: list[TrainingSession] = []
        if self._in_use(branch) >= limit:
            victims = self._take_idle(force=True)
        if self._in_use(branch) >= limit:
            self._background_close(victims)
            n = self.max_sessions
            open_now = f"{n} session is" if n == 1 else f"{n} sessions are"
            raise TooManySessions(
                f"a reveal runs at most {limit} branches at once; end the question on the wall "
                "(its branches close) and reveal again"
                if branch
                else f"{open_now} open on this server (the most it runs at once): close a tab "
                "you no longer use, or ask the instructor to close some, then try again."
            )
        self._building[branch] += 1
        return victims

    def add_upload(self, owner: TrainingSession, filename: str, table: Table) -> Upload:
        """Keep a parsed CSV for `owner`; raises UploadsFull if only others' uploads could go."""
        return self.uploads.add(owner.id, filename, table, held=self._held_uploads())

    def uploads_for(self, session: TrainingSession) -> list[Upload]:
        """What `session` may list: its own uploads and the one its config trains on."""
        listed = self.uploads.owned_by(session.id)
        used = session.config.dataset.upload_id
        upload = self.uploads.get(used) if used else None
        if upload is not None and upload not in listed:
            listed.append(upload)
        return listed

    def _held_uploads(self) -> set[str]:
        """Upload ids a live session owns or trains on: eviction spares them."""
        held = {s.config.dataset.upload_id for s in self.sessions.values()}
        for session_id in self.sessions:
            held.update(u.id for u in self.uploads.owned_by(session_id))
        return {upload_id for upload_id in held if upload_id}

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
        await self._close_all(self._take_idle(force))
        now = time.monotonic()
        for session in self.sessions.values():
            unwatched = not session.subscribers and now - session.last_active > self.pause_after
            if unwatched and session.state is SessionState.RUNNING:
                session.submit_pause()

    def _take_idle(self, force: bool) -> list[TrainingSession]:
        """Remove abandoned sessions from the table, without awaiting: a session goes only once."""
        now = time.monotonic()
        victims = []
        for session_id, session in list(self.sessions.items()):
            idle = now - session.last_active
            if not session.subscribers and (
                idle > self.expire_after or (force and idle > FORCED_REAP_IDLE)
            ):
                victims.append(self.sessions.pop(session_id))
                log.info("closed abandoned session %s", session_id)
        return victims

    async def _close_all(self, sessions: list[TrainingSession]) -> None:
        for session in sessions:
            await session.close()

    def _background_close(self, sessions: list[TrainingSession]) -> None:
        for session in sessions:
            task = asyncio.create_task(session.close())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def run_reaper(self, every: float = 10.0) -> None:
        """Background task: reap periodically."""
        while True:
            await asyncio.sleep(every)
            await self.reap()

    def sharing_frame(self) -> dict[str, object]:
        """How the cores are shared now: running sessions, cores, each one's share of a core."""
        running = sum(1 for s in self.sessions.values() if s.state is SessionState.RUNNING)
        cores = getattr(self.executor, "cores", None) or os.cpu_count() or 1
        share = round(sharing(running, cores), 3)
        return {"type": "sharing", "running": running, "cores": cores, "share": share}

    async def run_sharing(self, every: float = SHARING_SECONDS) -> None:
        """Background task: send every session the `sharing` frame when it changes."""
        while True:
            frame = self.sharing_frame()
            for session in list(self.sessions.values()):
                session.share(frame)
            await asyncio.sleep(every)

    def start(self) -> None:
        """Start the reaper and the sharing count (from the lifespan)."""
        self._reaper = asyncio.create_task(self.run_reaper(), name="session-reaper")
        self._sharing = asyncio.create_task(self.run_sharing(), name="session-sharing")

    async def stop(self) -> None:
        """Stop the background tasks and every session."""
        for task in (self._reaper, self._sharing):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        sessions = list(self.sessions.values())
        self.sessions.clear()
        await self._close_all(sessions)
        await asyncio.gather(*self._closing, return_exceptions=True)
        if self.store is not None:
            self.store.close()


__all__ = ["ConfigError", "SessionManager", "TooManySessions", "UploadsFull"]
