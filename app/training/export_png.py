"""The `png` export: a run's decision boundary at its newest checkpoint, drawn as on the page.

The network is rebuilt from the checkpoint and evaluated on one grid cell per pixel; the cells
take the page's colour scales (static/js/colors.js: orange-white-blue for binary and regression,
class tints by confidence for multi-class) with the binary 0.5 contour, and the points go on top:
training points filled, validation points hollow, in their class colour. Data that is not planar
(tables of more than two columns) has no boundary: its points are drawn at their projection,
coloured by the network's prediction. Encoded with the standard library's zlib.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

import numpy as np

from app.engine.checkpoint import from_bytes, restore
from app.schemas.config import SessionConfig
from app.training.run import Run, TableLookup

SIZE = 480  # pixels per side (the grid is evaluated once per pixel; at most app.data's MAX_GRID)
POINT_RADIUS = 5
# The page's palette (static/js/colors.js; tests/training/test_export_png.py checks they agree).
NEG, POS = "#E08600", "#0072B2"
CLASS_COLORS = ("#E08600", "#0072B2", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#7A5C00",
                "#555555")  # fmt: skip
OUTLINE = (40, 40, 40)
WHITE = np.array([255.0, 255.0, 255.0])


def rgb(hex_color: str) -> np.ndarray[Any, Any]:
    """'#rrggbb' -> float [r, g, b]."""
    return np.array([int(hex_color[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.float64)


def diverging(t: np.ndarray[Any, Any], strength: float) -> np.ndarray[Any, Any]:
    """t in [-1, 1] -> colours from orange through white to blue (colors.js `diverging`)."""
    c = np.clip(np.nan_to_num(t, nan=0.0), -1.0, 1.0)[:, None]
    end = np.where(c < 0, rgb(NEG), rgb(POS))
    return WHITE + (end - WHITE) * np.abs(c) * strength


def class_tint(k: np.ndarray[Any, Any], intensity: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Class colours paled towards white (colors.js `classTint`)."""
    colors = np.array([rgb(c) for c in CLASS_COLORS])[k % len(CLASS_COLORS)]
    return WHITE + (colors - WHITE) * np.clip(intensity, 0.0, 1.0)[:, None]


def boundary_png(config: dict[str, Any], checkpoint: bytes, tables: TableLookup | None) -> bytes:
    """PNG bytes of the boundary of the network saved in `checkpoint` (trained under `config`)."""
    run = Run(SessionConfig.model_validate(config), tables)
    restore(run.trainer, from_bytes(checkpoint))
    return encode_png(render(run))


def render(run: Run) -> np.ndarray[Any, Any]:
    """(SIZE, SIZE, 3) uint8 image of the run's boundary and points."""
    data, model = run.data, run.model
    task = data.task
    y_all = np.concatenate([data.y_train, data.y_val]).astype(np.float64)
    lo, hi = (float(y_all.min()), float(y_all.max())) if task == "regression" else (0.0, 1.0)

    def colors(out: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        if task == "multiclass":
            k = out.shape[1]
            conf = (out.max(axis=1) - 1 / k) / (1 - 1 / k)
            return class_tint(out.argmax(axis=1), 0.15 + 0.45 * np.maximum(conf, 0.0))
        if task == "regression":
            return diverging(2 * (out - lo) / (hi - lo) - 1 if hi > lo else 0 * out, 0.6)
        return diverging(2 * out - 1, 0.55)

    image = np.full((SIZE, SIZE, 3), 255.0)
    x0, x1, y0, y1 = data.extent
    if data.is_planar:
        out = model.predict(data.grid_inputs(SIZE))
        image = colors(out).reshape(SIZE, SIZE, 3)
        if task == "binary":  # the 0.5 contour: where a pixel's side differs from a neighbour's
            side = (out >= 0.5).reshape(SIZE, SIZE)
            edge = np.zeros_like(side)
            edge[:, 1:] |= side[:, 1:] != side[:, :-1]
            edge[1:, :] |= side[1:, :] != side[:-1, :]
            image[edge] = (40.0, 40.0, 40.0)
    for points, y, hollow in ((data.points_train, data.y_train, False),
                              (data.points_val, data.y_val, True)):  # fmt: skip
        if task == "regression":
            fill = diverging(2 * (y.astype(np.float64) - lo) / max(hi - lo, 1e-12) - 1, 1.0)
        else:
            fill = np.array([rgb(CLASS_COLORS[int(c) % len(CLASS_COLORS)]) for c in y])
        if not data.is_planar:  # no boundary to show the prediction: the points' centres do
            inner = colors(model.predict(data.x_train if not hollow else data.x_val))
        else:
            inner = np.tile(WHITE, (len(y), 1)) if hollow else fill
        px = (points[:, 0] - x0) / (x1 - x0) * SIZE
        py = (y1 - points[:, 1]) / (y1 - y0) * SIZE
        for i in range(len(y)):
            dot(image, px[i], py[i], fill[i], inner[i])
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def dot(image: np.ndarray[Any, Any], cx: float, cy: float, ring: Any, inner: Any) -> None:
    """A point: a dark outline, a ring in its class colour and a centre (filled or white)."""
    r = POINT_RADIUS + 1
    top, left = max(int(cy) - r, 0), max(int(cx) - r, 0)
    patch = image[top : int(cy) + r + 1, left : int(cx) + r + 1]
    if patch.size == 0:
        return
    yy, xx = np.mgrid[top : top + patch.shape[0], left : left + patch.shape[1]]
    d = np.hypot(xx + 0.5 - cx, yy + 0.5 - cy)
    patch[d <= POINT_RADIUS + 1] = OUTLINE
    patch[d <= POINT_RADIUS] = ring
    patch[d <= POINT_RADIUS - 2.5] = inner


def encode_png(image: np.ndarray[Any, Any]) -> bytes:
    """An RGB uint8 image as PNG bytes (filter 0 on every row, zlib level 6)."""
    height, width, _ = image.shape
    rows = np.concatenate([np.zeros((height, 1), np.uint8), image.reshape(height, -1)], axis=1)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6))
        + chunk(b"IEND", b"")
    )
