"""REST for the runs panel: a page of runs, limits, compact metric columns to compare, replay.

Included before app.web.runs so that /api/runs/page, /limits and /compare are not taken for run ids.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request

from app.schemas.messages import replace_non_finite
from app.training.compare import DEFAULT_POINTS, MAX_COMPARE, MAX_POINTS, MIN_POINTS, metric_columns
from app.training.recorder import checkpoint_policy
from app.training.replay import Replayer, ReplayError
from app.training.run import ConfigError
from app.training.run_table import MAX_PAGE, PAGE_SIZE, DataShapes, run_rows
from app.web.runs import store_of

router = APIRouter(prefix="/api/runs")

Points = Annotated[
    int,
    Query(ge=MIN_POINTS, le=MAX_POINTS, description="rows per run at most (long runs are thinned)"),
]


@router.get("/page")
async def page(
    request: Request,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = PAGE_SIZE,
) -> dict[str, Any]:
    """A page of runs, newest first: each summary with its network's widths, task, checkpoint
    count and whether a session has it open; `total` counts every run."""
    store = store_of(request)
    await asyncio.to_thread(store.flush)
    state = request.app.state
    shapes: DataShapes | None = getattr(state, "data_shapes", None)
    if shapes is None:
        shapes = state.data_shapes = DataShapes(state.manager.lookup_table)
    live = {
        session.recorder.run_id
        for session in state.manager.sessions.values()
        if session.recorder is not None
    }
    body = await asyncio.to_thread(run_rows, store, shapes, live, offset, limit)
    return replace_non_finite(body)


@router.get("/limits")
async def limits(request: Request) -> dict[str, int | str]:
    """What the page needs to know: how many runs compare at once, which checkpoints are kept."""
    store = request.app.state.manager.store  # its retention, when it has one
    retention = store.checkpoint_retention if store is not None else None
    return {
        "max_compare": MAX_COMPARE,
        "checkpoint_policy": checkpoint_policy(retention=retention),
        "default_points": DEFAULT_POINTS,
        "page_size": PAGE_SIZE,
    }


@router.get("/compare")
async def compare(
    request: Request,
    ids: Annotated[list[str], Query(description=f"1 to {MAX_COMPARE} run ids")],
    points: Points = DEFAULT_POINTS,
) -> dict[str, Any]:
    """Up to MAX_COMPARE runs: each one's summary, config and decimated metric columns."""
    unique = list(dict.fromkeys(ids))
    if not 1 <= len(unique) <= MAX_COMPARE:
        raise HTTPException(
            422, f"compare 1 to {MAX_COMPARE} runs at once; got {len(unique)} run ids"
        )
    store = store_of(request)
    await asyncio.to_thread(store.flush)

    def read() -> list[dict[str, Any]]:
        runs = []
        for run_id in unique:
            summary = store.get_run(run_id)
            if summary is None:
                raise HTTPException(404, f"no run {run_id!r}")
            runs.append({**summary, **metric_columns(store, run_id, points)})
        return runs

    return replace_non_finite({"max_compare": MAX_COMPARE, "runs": await asyncio.to_thread(read)})


@router.get("/{run_id}/metrics")
async def metrics(run_id: str, request: Request, points: Points = DEFAULT_POINTS) -> dict[str, Any]:
    """One run's summary and decimated metric columns (what compare returns per run)."""
    store = store_of(request)
    await asyncio.to_thread(store.flush)
    summary = await asyncio.to_thread(store.get_run, run_id)
    if summary is None:
        raise HTTPException(404, f"no run {run_id!r}")
    columns = await asyncio.to_thread(metric_columns, store, run_id, points)
    return replace_non_finite({**summary, **columns})


def replayer_of(request: Request) -> Replayer:
    """The app's replayer (made on first use)."""
    state = request.app.state
    found: Replayer | None = getattr(state, "replayer", None)
    if found is None:
        found = state.replayer = Replayer(store_of(request), state.manager.lookup_table)
    return found


@router.get("/{run_id}/replay")
async def replay(
    run_id: str,
    request: Request,
    epoch: Annotated[int, Query(ge=0, description="epoch within the segment")],
    segment: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """The boundary and weights at the segment's newest checkpoint at or before `epoch`."""
    store = store_of(request)
    await asyncio.to_thread(store.flush)
    if await asyncio.to_thread(store.get_run, run_id) is None:
        raise HTTPException(404, f"no run {run_id!r}")
    replayer = replayer_of(request)
    try:
        frame = await asyncio.to_thread(replayer.frame, run_id, segment, epoch)
    except ReplayError as exc:
        raise HTTPException(exc.status, exc.message) from None
    except (ConfigError, ValueError) as exc:  # e.g. its uploaded CSV is gone
        raise HTTPException(409, f"run {run_id!r} cannot be rebuilt: {exc}") from None
    return replace_non_finite(frame)
