"""REST endpoints: health, presets, config schema, sessions, datasets."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from pydantic import BaseModel, ConfigDict, ValidationError

from app import __version__
from app.data import BUILTIN, CsvError, Table, parse_csv
from app.schemas.config import SessionConfig, merge_config
from app.schemas.messages import describe_validation_error
from app.training.manager import SessionManager, TooManySessions, UploadsFull
from app.training.presets import PRESETS, preset_config
from app.training.run import ConfigError
from app.web.credentials import require_session, session_from_headers

router = APIRouter(prefix="/api")


class CreateSession(BaseModel):
    """Body of POST /api/sessions: a preset and/or a partial config; both optional."""

    model_config = ConfigDict(extra="forbid")
    preset: str | None = None
    config: dict[str, Any] | None = None


def manager(request: Request) -> SessionManager:
    """The app's session manager."""
    return request.app.state.manager


@router.get("/health")
async def health(request: Request) -> dict[str, Any]:
    """Liveness, a count of sessions, and where they train."""
    sessions = manager(request)
    return {
        "status": "ok",
        "version": __version__,
        "sessions": len(sessions.sessions),
        "training": sessions.executor.describe(),
    }


@router.get("/presets")
async def presets() -> list[dict[str, Any]]:
    """The built-in demos: id, title, what to watch, and the full config."""
    return [
        {
            "id": p.id,
            "title": p.title,
            "description": p.description,
            "config": p.config.model_dump(),
        }
        for p in PRESETS.values()
    ]


@router.get("/schema")
async def schema() -> dict[str, Any]:
    """JSON Schema of a session config."""
    return SessionConfig.model_json_schema()


@router.post("/sessions", status_code=201)
async def create_session(body: CreateSession, request: Request) -> dict[str, Any]:
    """Create a session; returns its id, the token for its websocket, and the full config."""
    base = SessionConfig()
    if body.preset is not None:
        if body.preset not in PRESETS:
            raise HTTPException(
                422, f"unknown preset {body.preset!r}; expected one of: {', '.join(PRESETS)}"
            )
        base = preset_config(body.preset)
    try:
        config = merge_config(base, body.config or {})
    except ValidationError as exc:
        raise HTTPException(422, f"invalid config: {describe_validation_error(exc)}") from None
    try:
        session = await manager(request).create(config)
    except TooManySessions as exc:
        raise HTTPException(503, str(exc)) from None
    except ConfigError as exc:
        raise HTTPException(422, exc.message) from None
    except ValueError as exc:
        raise HTTPException(422, f"invalid config: {exc}") from None
    return {"id": session.id, "token": session.token, "config": session.config.model_dump()}


@router.get("/datasets")
async def datasets(request: Request) -> dict[str, Any]:
    """Built-in tables and, for the session named in the headers, its uploads."""
    session = session_from_headers(request)
    uploads = manager(request).uploads_for(session) if session is not None else []
    return {
        "builtin": [{"name": name, **info} for name, info in BUILTIN.items()],
        "uploads": [_describe_upload(u.id, u.filename, u.table) for u in uploads],
    }


@router.post("/datasets", status_code=201)
async def upload_dataset(
    request: Request,
    file: Annotated[UploadFile, File(description="a CSV file with a header row")],
    target: Annotated[str | None, Form(description="target column; default: the last")] = None,
    task: Annotated[str, Form(description="auto, classification or regression")] = "auto",
) -> dict[str, Any]:
    """Parse an uploaded CSV; sessions use it as `{"dataset": {"name": "csv", "upload_id": id}}`."""
    owner = require_session(request)
    target = (target or "").strip() or None
    if task not in ("auto", "classification", "regression"):
        raise HTTPException(422, f"task must be auto, classification or regression, got {task!r}")
    data = await file.read()
    try:
        table = await asyncio.to_thread(parse_csv, data, target, task)
    except CsvError as exc:
        raise HTTPException(422, str(exc)) from None
    try:
        upload = manager(request).add_upload(owner, file.filename or "upload.csv", table)
    except UploadsFull as exc:
        raise HTTPException(507, str(exc)) from None
    return _describe_upload(upload.id, upload.filename, table)


def _describe_upload(upload_id: str, filename: str, table: Table) -> dict[str, Any]:
    return {"id": upload_id, "filename": filename, **table.summary()}
