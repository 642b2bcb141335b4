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

from app.schemas.config import SessionConfig
from app.training import compact_wire, wire
from app.training.compact import (
    F32,
    F64,
    I16,
    I32,
    PACKED,
    U8,
    EncodedCache,
    encodings,
    frame_block,
)
from app.training.compact_decode import decode_message
from app.training.compact_metrics import (
    LAYER_MANTISSA_BITS,
    entries_block,
    entries_ready,
    metrics_block,
    metrics_message,
    packed_entry,
    rounded_mantissas,
)
from app.training.history import record_rows
from app.training.run import Run
from app.training.wire import Metrics
from tests.js.compact_fixtures import OUT, hello_case, two_entries
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
        if case["json"]["type"] == "hello":
            continue  # built from a live Run: test_a_compact_hello_is_the_json_hello checks it
        if case["json"]["type"] == "metrics":
            names = tuple(case["layer_names"])
            data = two_entries(tuple(_rows(part) for part in case["parts"]), names)
        else:
            data = frame_block(case["json"])
        assert base64.b64encode(data).decode() == case["binary"], case["name"]


def test_generic_frames_come_back_exactly_and_metrics_to_float32() -> None:
    for case in CASES:
        frames = decode_message(base64.b64decode(case["binary"]))
        if case["json"]["type"] == "hello":
            continue
        if case["json"]["type"] != "metrics":
            assert frames == [case["json"]], case["name"]
            continue
        expected = case["json"]
        epochs = [e for f in frames for e in f["epoch"]]
        assert epochs == expected["epoch"]
        loss = [v for f in frames for v in f["train_loss"]]
        assert np.allclose(loss, expected["train_loss"], rtol=1e-6)
        assert [layer["name"] for layer in frames[0]["layers"]] == case["layer_names"]


def _history(epochs: int, config: dict[str, Any]) -> tuple[np.ndarray, tuple[str, ...]]:
    run = Run(SessionConfig.model_validate(config))
    records = [run.train_epoch() for _ in range(epochs)]
    for record in records:
        record.pop("histograms", None)
    return record_rows(records), tuple(run.model.dense_names)


LAYER_TOLERANCE = 2.0**-LAYER_MANTISSA_BITS  # twice the rounding's worst relative error


def test_layer_instruments_keep_12_mantissa_bits_rounded_to_nearest() -> None:
    biggest = np.finfo(np.float32).max
    values = np.array([0.49056620216, -3.25e-7, 1.0, biggest, 1e-42, 0.0], dtype="<f4")
    words = np.append(values.view("<u4"), np.float32(np.nan).view("<u4"))
    got = rounded_mantissas(words).view("<f4")
    assert np.isnan(got[-1]) and got[3] == biggest and got[4] == values[4], "kept as they are"
    assert np.all(
        rounded_mantissas(words)[:3] & np.uint32(2 ** (23 - LAYER_MANTISSA_BITS) - 1) == 0
    )
    error = np.abs(got[:-1].astype(float) - values.astype(float))
    assert np.all(error <= 2.0 ** -(LAYER_MANTISSA_BITS + 1) * np.abs(values.astype(float)))
    assert got[0] != values[0], "a noisy mantissa is rounded"


DEEP = {"model": {"layers": [{"units": 16, "activation": "tanh"}] * 6}}


@pytest.mark.parametrize("config", [{}, DEEP], ids=["default spiral", "six hidden layers"])
def test_packed_entries_keep_float32_scalars_to_the_bit_layers_to_12_bits_and_are_much_smaller(
    config: dict[str, Any],
) -> None:
    rows, names = _history(300, config)
    rows[5, 1] = math.nan  # a null in the middle of a column
    rows[7, 2] = math.inf
    parts = (rows[:100], rows[100:101], rows[101:])  # an entry of one epoch among them
    data = metrics_message([packed_entry(p, len(names)) for p in parts], names)
    assert _kinds(data) == [PACKED] * 3
    (frame,) = decode_message(data)
    expected = json.loads(Metrics(rows, names).encode())
    assert frame["epoch"] == expected["epoch"]
    for key in ("train_loss", "val_loss", "train_acc", "lr", "grad_norm_global"):
        want = [None if v is None else float(np.float32(v)) for v in expected[key]]
        assert frame[key] == want, key  # float32 to the bit; NaN back as null
    for layer, want_layer in zip(frame["layers"], expected["layers"], strict=True):
        assert layer["name"] == want_layer["name"]
        for got, want in zip(layer["weight_norm"], want_layer["weight_norm"], strict=True):
            assert math.isclose(got, want, rel_tol=LAYER_TOLERANCE), (got, want)
    unpacked_float32 = rows.size * 4
    assert len(data) < 0.8 * unpacked_float32, (len(data), unpacked_float32)


def test_a_long_history_packs_to_a_fraction_of_its_json() -> None:
    rows, names = _history(1000, {})
    assert len(metrics_block(rows, names)) * 4 < len(Metrics(rows, names).encode())


def _close(got: Any, want: Any, path: str = "hello") -> None:
    """Equal, numbers within the wire's precision (12 mantissa bits for layer instruments)."""
    if isinstance(want, float):
        close = math.isclose(got, want, rel_tol=LAYER_TOLERANCE, abs_tol=1e-30)
        assert isinstance(got, float) and close, path
    elif isinstance(want, dict):
        assert isinstance(got, dict) and sorted(got) == sorted(want), path
        for key in want:
            _close(got[key], want[key], f"{path}.{key}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), path
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            _close(g, w, f"{path}[{i}]")
    else:
        assert got == want, path


@pytest.mark.parametrize("source", ["fixture", "fresh"])
def test_a_compact_hello_is_the_json_hello(source: str) -> None:
    if source == "fixture":
        case = next(c for c in CASES if c["name"] == "hello")
    else:
        rows, _ = _history(30, {"dataset": {"name": "blobs"}})
        run = Run(SessionConfig.model_validate({"dataset": {"name": "blobs"}}))
        case = hello_case(run, rows, [])
    (hello,) = decode_message(base64.b64decode(case["binary"]))
    _close(hello, case["json"])
    assert hello["snapshot"] is None and hello["dataset"]["type"] == "dataset"


def test_a_long_history_hello_is_a_fraction_of_its_json() -> None:
    rows, _ = _history(1000, {})
    run = Run(SessionConfig.model_validate({}))
    case = hello_case(run, rows, [])
    assert len(base64.b64decode(case["binary"])) * 4 < len(json.dumps(case["json"]))


def test_each_array_takes_the_smallest_exact_kind() -> None:
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


def test_a_packed_entry_is_packed_once_and_joined_without_packing() -> None:
    rows, names = _history(20, {})
    first, second = rows[:10], rows[10:]
    assert not entries_ready((first, second))
    entries_block((first,), names)
    assert entries_ready((first,)) and not entries_ready((first, second))
    before = encodings["metrics"]
    joined = entries_block((first, second), names)
    assert encodings["metrics"] == before + 1  # only the new entry
    assert decode_message(joined)[0]["epoch"] == list(range(1, 21))


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
