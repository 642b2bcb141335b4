"""Per-unit maps for a snapshot: each hidden unit's output over the input plane, and its health.

For planar data every hidden unit's inference-mode output (after batch norm and activation;
dropout is the identity at inference) is taken on a coarse grid over the plot (24 x 24, coarser for
networks with many units: at most MAP_BYTE_BUDGET bytes of maps per snapshot), quantised to one
byte per cell and sent as base64, the units of a layer back to back. Byte q stands for

    value = centre + half · (q - 127.5) / 127.5      (q in 0..255)

with (centre, half) per unit: tanh (0, 1) and sigmoid (0.5, 0.5) keep their whole range, so a
saturated unit shows as solid colour; unbounded activations use 0 and the unit's own largest
|value| on the grid, so every live unit shows its shape in full colour (one large unit would
otherwise wash out its layer) and a dead ReLU is blank; the large view prints the numbers.
Health comes from the training points, with the engine's rule (app/engine/activations.py):
dead = in the dead zone on every point, saturated = at the ends on at least 90 % of them.
Tabular data with more than two inputs has no plane: health, ranges and weights are still sent,
the maps are null.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from app.engine.activations import SATURATED_SAMPLE_FRACTION, Activation
from app.engine.model import Model
from app.engine.numerics import Array
from app.engine.unit_outputs import HiddenOutput, hidden_outputs

UNIT_MAP_RESOLUTION = 24  # cells per side: coarse, a thumbnail is ~30 px
MIN_MAP_RESOLUTION = 12  # ... and no coarser than this, however many units there are
MAP_BYTE_BUDGET = 64 * 1024  # map bytes per snapshot (x 4/3 as base64); more units, coarser maps
MAX_MAP_UNITS = 32  # units per layer with maps and health: the diagram draws at most 32
MAX_HEALTH_ROWS = 2048  # training points used for health and ranges (a fixed stride beyond)
FIXED_SCALES = {"tanh": (0.0, 1.0), "sigmoid": (0.5, 0.5)}


def map_resolution(widths: list[int]) -> int:
    """Cells per side for hidden layers of these widths: 24, coarser when the budget needs it."""
    maps = sum(min(w, MAX_MAP_UNITS) for w in widths)
    fits = int((MAP_BYTE_BUDGET / max(maps, 1)) ** 0.5)
    return max(MIN_MAP_RESOLUTION, min(UNIT_MAP_RESOLUTION, fits))


def health_rows(x_train: Array) -> Array:
    """The training inputs health is measured on: all, or every k-th past MAX_HEALTH_ROWS."""
    n = len(x_train)
    return x_train if n <= MAX_HEALTH_ROWS else x_train[:: -(-n // MAX_HEALTH_ROWS)]


def unit_maps(model: Model, grid: Array | None, rows: Array) -> dict[str, Any]:
    """The snapshot's `units`: per hidden layer, maps over `grid` (None: not planar) and health.

    `grid` holds the model inputs of the r² cell centres (r = `map_resolution`), row-major from
    the top row (as the boundary's grid); `rows` the training inputs (`health_rows`).
    """
    n_grid = 0 if grid is None else len(grid)
    resolution = round(n_grid**0.5)
    if resolution * resolution != n_grid:
        raise ValueError(f"expected a square grid of r*r inputs, got {n_grid}")
    x = rows if grid is None else np.concatenate([np.asarray(grid), np.asarray(rows)])
    layers = [_layer(out, n_grid, grid is not None) for out in hidden_outputs(model, x)]
    return {
        "planar": grid is not None,
        "resolution": resolution if grid is not None else None,
        "max_units": MAX_MAP_UNITS,
        "layers": layers,
    }


def map_scales(activation: str, plane: Array) -> list[tuple[float, float]]:
    """(centre, half) of each unit's byte scale: fixed for tanh/sigmoid, else 0 and max |value|."""
    if activation in FIXED_SCALES:
        return [FIXED_SCALES[activation]] * plane.shape[1]
    with np.errstate(invalid="ignore"):
        top = np.max(np.where(np.isfinite(plane), np.abs(plane), 0.0), axis=0, initial=0.0)
    return [(0.0, _round(float(t)) if t > 0.0 else 1.0) for t in top]


def quantise(values: Array, centre: Any, half: Any) -> Array:
    """uint8 codes of `values` on the (centre, half) scale (broadcast), clipped; NaN -> centre."""
    v = np.asarray(values, dtype=np.float64)
    v = np.where(np.isnan(v), centre, v)
    with np.errstate(over="ignore", invalid="ignore"):
        q = np.rint(127.5 + 127.5 * (v - centre) / half)
    return np.clip(q, 0, 255).astype(np.uint8)


def decode(codes: Array, centre: Any, half: Any) -> Array:
    """Values back from uint8 codes (the inverse of `quantise`, to half/255 per step)."""
    return centre + half * (np.asarray(codes, dtype=np.float64) - 127.5) / 127.5


def unit_health(act: Activation, pre: Array, post: Array) -> tuple[list[str], list[float | None]]:
    """Per unit: "dead" | "saturated" | "ok", and the share of points in the dead/saturated zone."""
    n, units = post.shape
    if n == 0 or act.kind == "none":
        return ["ok"] * units, [None if n == 0 else 0.0] * units
    with np.errstate(invalid="ignore"):
        share = np.count_nonzero(act.inactive(pre, post), axis=0) / n
    if act.kind == "dead":
        status = ["dead" if s >= 1.0 else "ok" for s in share]
    else:
        status = ["saturated" if s >= SATURATED_SAMPLE_FRACTION else "ok" for s in share]
    return status, [round(float(s), 4) for s in share]


def _layer(out: HiddenOutput, n_grid: int, planar: bool) -> dict[str, Any]:
    units = out.post.shape[1]
    k = min(units, MAX_MAP_UNITS)
    post, pre = out.post[:, :k], out.pre[:, :k]
    plane, data = post[:n_grid], post[n_grid:]
    status, inactive = unit_health(out.activation, pre[n_grid:], data)
    layer: dict[str, Any] = {
        "name": out.name,
        "activation": out.activation.name,
        "units": units,
        "shown": k,
        "status": status,
        "inactive": inactive,
        "data_lo": _column_stat(data, np.min),
        "data_hi": _column_stat(data, np.max),
        "scale": None,
        "maps": None,
        "plane_lo": None,
        "plane_hi": None,
    }
    if planar:
        scales = map_scales(out.activation.name, plane)
        centres, halves = (np.array(col)[:, None] for col in zip(*scales, strict=True))
        codes = quantise(plane.T, centres, halves)  # (k, r²): one unit's map after another
        layer.update(
            scale=[list(sc) for sc in scales],
            maps=base64.b64encode(codes.tobytes()).decode("ascii"),
            plane_lo=_column_stat(plane, np.min),
            plane_hi=_column_stat(plane, np.max),
        )
    return layer


def _column_stat(values: Array, fn: Any) -> list[float | None]:
    """Per column `fn` over the finite entries, rounded; None for a column with none."""
    if values.shape[0] == 0:
        return [None] * values.shape[1]
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(values)
        fill = np.inf if fn is np.min else -np.inf
        col = fn(np.where(finite, values, fill), axis=0)
    return [_round(float(v)) if np.isfinite(v) else None for v in col]


def _round(v: float) -> float:
    """4 significant digits: enough for a readout, short in JSON."""
    return float(f"{v:.4g}")
