"""The png export: a valid PNG of the boundary at the newest checkpoint, in the page's colours."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from app.store import RunStore
from app.training import export_png
from app.training.export import ExportError, export_run
from tests.training.recorded_runs import record_run, upload_csv

ROOT = Path(__file__).resolve().parents[2]


def decode_png(data: bytes) -> np.ndarray:
    """RGB pixels of a PNG written with filter 0 on every row (what encode_png writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body)
        chunks[kind] = chunks.get(kind, b"") + body
        pos += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, color) == (8, 2)
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(height, -1)
    assert not rows[:, 0].any()
    return rows[:, 1:].reshape(height, width, 3)


def test_the_palette_is_the_pages() -> None:
    js = (ROOT / "static/js/colors.js").read_text()
    assert re.search(r"export const NEG = '(#\w+)'", js)[1] == export_png.NEG  # type: ignore[index]
    assert re.search(r"export const POS = '(#\w+)'", js)[1] == export_png.POS  # type: ignore[index]
    classes = re.search(r"CLASS_COLORS = \[([^\]]+)\]", js)[1]  # type: ignore[index]
    listed = [c.strip(" '") for c in classes.split(",")]
    assert [
        export_png.NEG if c == "NEG" else export_png.POS if c == "POS" else c for c in listed
    ] == list(export_png.CLASS_COLORS)


def test_a_trained_binary_boundary_has_both_sides_and_the_points(tmp_path: Path) -> None:
    store = RunStore.open(tmp_path)
    record_run(
        store, "r", {"dataset": {"name": "gaussian"}, "training": {"learning_rate": 0.1}}, 20
    )
    image = decode_png(export_run(store, "r", "png")[0])
    assert image.shape == (export_png.SIZE, export_png.SIZE, 3)
    # gaussian: class 1 (blue) around (2, 2), class 0 (orange) around (-2, -2)
    c1 = image[int(export_png.SIZE * (6 - 2) / 12), int(export_png.SIZE * (2 + 6) / 12)].astype(int)
    c0 = image[int(export_png.SIZE * (6 + 2) / 12), int(export_png.SIZE * (-2 + 6) / 12)].astype(
        int
    )
    assert c1[2] > c1[0] and c0[0] > c0[2], (c1, c0)  # blue side, orange side
    pos, neg = export_png.rgb(export_png.POS), export_png.rgb(export_png.NEG)
    flat = image.reshape(-1, 3).astype(float)
    assert (np.abs(flat - pos).sum(axis=1) < 3).sum() > 50  # the filled class-1 points
    assert (np.abs(flat - neg).sum(axis=1) < 3).sum() > 50
    store.close()


@pytest.mark.parametrize(
    "patch",
    [
        {"dataset": {"name": "blobs", "classes": 4}},
        {"dataset": {"name": "plane"}},
        {"dataset": {"name": "wine"}},  # 13 columns: no boundary, the points at their projection
        {"dataset": {"name": "csv", "upload_id": "u1"}},
    ],
)
def test_every_kind_of_data_renders(patch: dict[str, object], tmp_path: Path) -> None:
    store = RunStore.open(tmp_path)
    upload_csv(store, "u1")
    record_run(store, "r", patch, 3)
    image = decode_png(export_run(store, "r", "png")[0])
    assert image.shape == (export_png.SIZE, export_png.SIZE, 3) and image.std() > 10
    store.close()


def test_a_run_without_a_checkpoint_has_no_png(tmp_path: Path) -> None:
    store = RunStore.open(tmp_path)
    store.create_run("r", "r", {}, "idle")
    store.flush()
    with pytest.raises(ExportError, match="no checkpoint") as caught:
        export_run(store, "r", "png")
    assert caught.value.status == 409
    store.close()
