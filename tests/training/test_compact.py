"""The compact encoding: the bytes the Node decoder is tested on, kinds, exactness, the cache."""

from __future__ import annotations

import asyncio
import base64
import json
import math
import struct
from typing import Any

import numpy as np
import pytest

from app.training import compact_wire, wire
from app.training.compact import (
    CONST,
    F32,
    F64,
    I16,
    I32,
    RANGE,
    U8,
    EncodedCache,
    frame_block,
)
from app.training.compact_decode import decode_message
from app.training.compact_metrics import merge_column, metrics_block, metrics_column
from tests.js.compact_fixtures import OUT, two_entries
from tests.training.test_session import run_isolated

CASES: list[dict[str, Any]] = json.loads(OUT.read_text())


def _rows(rows: list[list[float | None]]) -> np.ndarray:
    return np.array([[math.nan if v is None else v for v in row] for row in rows])


def _kinds(block: bytes) -> list[int]:
    (header_length,) = struct.unpack_from("<I", block, 4)
    at = 8 + -(-header_length // 4) * 4
    (count,) = struct.unpack_from("<I", block, at)
    return [word & 0xFF for word in struct.unpack_from(f"<{count}I", block, at + 4)]


def test_the_node_fixtures_are_what_the_encoder_writes_today() -> None:
    # If this fails after a deliberate format change: python -m tests.js.compact_fixtures
    for case in CASES:
        if case["json"]["type"] == "metrics":
            names = tuple(case["layer_names"])
            data = two_entries(tuple(_rows(part) for part in case["parts"]), names)
        else:
            data = frame_block(case["json"])
        assert base64.b64encode(data).decode() == case["binary"], case["name"]


def test_generic_frames_come_back_exactly_and_metrics_to_float32() -> None:
    for case in CASES:
        frames = decode_message(base64.b64decode(case["binary"]))
        if case["json"]["type"] != "metrics":
            assert frames == [case["json"]], case["name"]
            continue
        expected = case["json"]
        epochs = [e for f in frames for e in f["epoch"]]
        assert epochs == expected["epoch"]
        loss = [v for f in frames for v in f["train_loss"]]
        assert np.allclose(loss, expected["train_loss"], rtol=1e-6)
        assert [layer["name"] for layer in frames[0]["layers"]] == case["layer_names"]


def test_each_array_takes_the_smallest_exact_kind() -> None:
    rows = np.array([[e, 0.5 + e, math.nan, 0.01] for e in (7.0, 8.0, 9.0)])
    block = metrics_block(np.hstack([rows, np.zeros((3, 6))]), [])
    assert _kinds(block)[:4] == [RANGE, F32, CONST, CONST]
    frame = {
        "type": "snapshot",
        "probabilities": [round(i / 17, 4) for i in range(17)],  # 4 decimals in [0, 1]
        "counts": list(range(20)),
        "big": [i * 1e6 + 0.5 for i in range(20)],
        "irrational": [i + math.pi for i in range(20)],
        "gaps": [None] + [1.5] * 19,
        "short": [1.25, 2.5],  # stays in the header
    }
    kinds = _kinds(frame_block(frame))
    assert kinds == [I16 | 4 << 4, U8, I32 | 1 << 4, F64, F32]  # float32-exact: 4 bytes
    assert decode_message(frame_block(frame)) == [frame]
    binary = next(c for c in CASES if c["name"] == "binary snapshot")
    assert len(base64.b64decode(binary["binary"])) * 3 < len(json.dumps(binary["json"]))


def test_the_cache_encodes_each_object_once() -> None:
    cache, calls = EncodedCache(size=2), []
    keys = [np.zeros(3), np.ones(3), np.full(3, 2.0)]

    def encode(i: int) -> bytes:
        calls.append(i)
        return bytes([i])

    for _ in range(3):
        assert cache.get(keys[0], lambda: encode(0)) == b"\0"
    assert calls == [0]
    cache.get(keys[1], lambda: encode(1))
    cache.get(keys[2], lambda: encode(2))  # the oldest goes
    assert cache.peek(keys[0]) is None and cache.peek(keys[2]) == b"\2"
    assert cache.peek(np.zeros(3)) is None  # equal content, another object: not the same entry


def test_the_cache_is_bounded_in_bytes() -> None:
    cache = EncodedCache(size=100, max_bytes=10_000)
    texts = [f"{i:04d}" * 500 for i in range(4)]  # 2 kB keys, 3 kB encodings
    for text in texts:
        cache.get(text, lambda: b"x" * 3000)
    assert cache.bytes <= 10_000
    assert cache.peek(texts[0]) is None and cache.peek(texts[3]) == b"x" * 3000


def test_entries_merge_into_one_column_each() -> None:
    first, second = np.array([3.0, 4.0]), np.array([5.0, 6.0, 7.0])
    kind, n, payload = merge_column([metrics_column(first, True), metrics_column(second, True)])
    assert (kind, n, payload) == (RANGE, 5, struct.pack("<i", 3))  # the epochs continue
    kind, n, _ = merge_column([metrics_column(first, True), metrics_column(first, True)])
    assert (kind, n) == (F32, 4)  # a range that restarts is spelled out
    lr = merge_column([metrics_column(np.full(2, 0.01)), metrics_column(np.full(3, 0.01))])
    assert lr == (CONST, 5, struct.pack("<d", 0.01))
    changed = merge_column([metrics_column(np.full(2, 0.01)), metrics_column(np.full(1, 0.5))])
    assert changed[:2] == (F32, 3)
    assert np.allclose(np.frombuffer(changed[2], "<f4"), [0.01, 0.01, 0.5])


def test_connections_wanting_one_entry_share_one_trip_to_the_encoder_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    binary = next(c for c in CASES if c["name"] == "binary snapshot")
    text = json.dumps(binary["json"], separators=(",", ":"))
    hops: list[int] = []

    async def counted(work: Any) -> Any:
        hops.append(1)
        return await wire.in_encoder(work)

    monkeypatch.setattr(compact_wire, "in_encoder", counted)

    results: list[list[compact_wire.Encoded]] = []

    async def watchers() -> None:
        encodings = (compact_wire.encode_all_compact([text]) for _ in range(30))
        results.extend(await asyncio.gather(*encodings))

    run_isolated(watchers())  # Playwright's e2e fixtures own this thread's loop
    assert hops == [1]
    assert all(r[0].data == results[0][0].data and r[0].kind == "snapshot" for r in results)
    assert decode_message(results[0][0].data) == [binary["json"]]
