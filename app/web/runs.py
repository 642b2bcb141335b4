"""REST for stored runs: list, read with history, rename, delete, export, resume."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.background import BackgroundTask

from app.schemas.messages import replace_non_finite
from app.store import RunStore
from app.training.export import FORMATS, ExportError, export_file
from app.training.history import rekeyed_rows, to_columns
from app.training.manager import TooManySessions
from app.training.resume import ResumeError, resume
from app.training.run import ConfigError

router = APIRouter(prefix="/api/runs")

MAX_NAME = 200


class RunPatch(BaseModel):
    """Body of PATCH /api/runs/{id}."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=MAX_NAME)


def store_of(request: Request) -> RunStore:
    """The app's run store; 503 when the server keeps runs in memory only."""
    store: RunStore | None = request.app.state.manager.store
    if store is None:
        raise HTTPException(503, "this server does not store runs: start it with a data directory")
    return store


async def _found(store: RunStore, run_id: str) -> dict[str, Any]:
    await asyncio.to_thread(store.flush)  # answer with what the sessions recorded until now
    run = await asyncio.to_thread(store.get_run, run_id)
    if run is None:
        raise HTTPException(404, f"no run {run_id!r}")
    return run


@router.get("")
async def list_runs(request: Request) -> list[dict[str, Any]]:
    """Every stored run, newest first (config included, history not)."""
    store = store_of(request)
    await asyncio.to_thread(store.flush)
    return replace_non_finite(await asyncio.to_thread(store.list_runs))


@router.get("/{run_id}")
async def get_run(run_id: str, request: Request, histograms: bool = False) -> dict[str, Any]:
    """A run with its history (chart columns per segment), events, checkpoints [, histograms]."""
    store = store_of(request)
    run = await _found(store, run_id)
    records, events, checkpoints = await asyncio.to_thread(
        lambda: (store.records(run_id), store.events(run_id), store.checkpoints(run_id))
    )
    segments: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for segment, record in records:
        segments[segment].append(record)
    history = [
        {
            "segment": segment,
            **to_columns(*rekeyed_rows(rows)),  # layers re-keyed across network edits
        }
        for segment, rows in sorted(segments.items())
    ]
    body = {
        **run,
        "history": history,
        "events": events,
        "checkpoints": [{"segment": s, "epoch": e} for s, e in checkpoints],
    }
    if histograms:
        frames = await asyncio.to_thread(store.histograms, run_id)
        body["histograms"] = [{"segment": s, "epoch": e, "layers": x} for s, e, x in frames]
    return replace_non_finite(body)


@router.patch("/{run_id}")
async def rename_run(run_id: str, body: RunPatch, request: Request) -> dict[str, Any]:
    """Rename a run."""
    store = store_of(request)
    if not await asyncio.wrap_future(store.rename(run_id, body.name.strip() or body.name)):
        raise HTTPException(404, f"no run {run_id!r}")
    return replace_non_finite(await _found(store, run_id))


@router.delete("/{run_id}", status_code=204)
async def delete_run(run_id: str, request: Request) -> Response:
    """Delete a run and everything it recorded."""
    store = store_of(request)
    if not await asyncio.wrap_future(store.delete(run_id)):
        raise HTTPException(404, f"no run {run_id!r}")
    return Response(status_code=204)


@router.get("/{run_id}/export")
async def export(
    run_id: str,
    request: Request,
    format: Annotated[str, Query(description=f"one of {', '.join(FORMATS)}")] = "csv",
) -> Response:
    """The run as a file: metrics with events (csv, json), weights (npz), its config, TensorBoard
    event files (a zip), a standalone script or the boundary (png). Written to a temporary file in
    a worker thread, then streamed: the event loop never waits and the body is never in memory."""
    store = store_of(request)
    await asyncio.to_thread(store.flush)
    folder = tempfile.mkdtemp(prefix="backprop-export-")
    out = Path(folder) / "export"
    try:
        media, filename = await asyncio.to_thread(export_file, store, run_id, format, out)
    except ExportError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise HTTPException(exc.status, exc.message) from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    cleanup = BackgroundTask(shutil.rmtree, folder, ignore_errors=True)
    return FileResponse(out, media_type=media, filename=filename, background=cleanup)


@router.post("/{run_id}/resume", status_code=201)
async def resume_run(run_id: str, request: Request) -> dict[str, Any]:
    """Continue a stored run from its newest checkpoint in a new session: {id, token, config}."""
    manager = request.app.state.manager
    try:
        session = await resume(manager, run_id)
    except ResumeError as exc:
        raise HTTPException(exc.status, exc.message) from None
    except TooManySessions as exc:
        raise HTTPException(503, str(exc)) from None
    except (ConfigError, ValueError) as exc:
        raise HTTPException(409, f"run {run_id!r} cannot be rebuilt: {exc}") from None
    return {**session.opened(), "run": run_id}
