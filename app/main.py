"""create_app(settings): routers, static files, templates and the session manager's lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.trustedhost import TrustedHostMiddleware
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from threadpoolctl import threadpool_limits

from app import __version__
from app.settings import Settings
from app.store import RunStore
from app.training.executors import make_executor
from app.training.lessons import load_lessons
from app.training.manager import SessionManager
from app.web import api, lessons, pages, run_attach, runs, runs_panel, ws
from app.web.headers import SecurityHeaders
from app.web.limits import BodySizeLimit
from app.web.origin import SameOriginWrites
from app.web.room_app import install_room
from app.web.throttle import FailureLimiter


class MissingAssets(RuntimeError):
    """The front-end vendor files were not built."""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Compose the application; raises MissingAssets when the page could not work."""
    settings = settings or Settings()
    missing = settings.missing_assets()
    if missing:
        names = ", ".join(str(p) for p in missing)
        raise MissingAssets(
            f"static assets are missing ({names}): run `make run` or `make assets` first"
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # One BLAS thread per training thread: parallelism comes from sessions (see DESIGN.md).
        with threadpool_limits(limits=1):
            await executor.start()
            app.state.manager.start()
            try:
                yield
            finally:
                try:
                    await app.state.manager.stop()
                finally:
                    await executor.stop()

    app = FastAPI(title="Backprop Lab", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    store = None if settings.data_dir is None else RunStore.open(settings.data_dir)
    executor = make_executor(
        settings.workers, settings.executor, settings.ray_address, settings.ray_actors
    )
    app.state.executor = executor
    app.state.manager = SessionManager(
        max_sessions=settings.max_sessions, store=store, executor=executor
    )
    app.state.token_limiter = FailureLimiter(
        settings.token_failure_burst,
        settings.token_failure_per_second,
        settings.token_failure_clients,
    )
    app.state.lessons = load_lessons(settings.lessons_dir)
    app.state.templates = Jinja2Templates(directory=str(settings.templates_dir))
    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(ws.router)
    app.include_router(runs_panel.router)  # first: its fixed paths are not run ids
    app.include_router(run_attach.router)
    app.include_router(runs.router)
    app.include_router(lessons.router)
    app.mount("/static", StaticFiles(directory=str(settings.static_dir)), name="static")
    app.add_middleware(
        BodySizeLimit, max_bytes=settings.max_upload_bytes, prefixes=("/api/datasets",)
    )
    if settings.room:
        install_room(app, settings)  # its gate sits inside the Origin and Host checks
    app.add_middleware(SameOriginWrites)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.trusted_hosts())
    app.add_middleware(SecurityHeaders)  # outermost: refusals carry the headers too
    return app
