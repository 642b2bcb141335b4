"""Encoding for the wire: lazy frames give the same JSON as plain ones, in or off the loop."""

from __future__ import annotations

import asyncio
import json
import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from app.training.history import to_columns
from app.training.wire import INLINE_NUMBERS, Hello, Metrics, encode_all, encode_parts
from tests.conftest import strict_json

NAMES = ("dense0", "dense1")


def rows(n: int) -> np.ndarray:
    matrix = np.random.default_rng(0).normal(size=(n, 26))
    matrix[:, 0] = np.arange(1, n + 1)
    matrix[0, 1] = math.nan
    matrix[-1, 2] = -math.inf
    return matrix


def test_metrics_and_hello_encode_to_strict_json_with_null_for_non_finite() -> None:
    matrix = rows(5)
    frame = strict_json(Metrics(matrix, NAMES).encode())
    assert frame == {"type": "metrics", **to_columns(matrix, NAMES)}
    assert frame["train_loss"][0] is None and frame["val_loss"][-1] is None
    hello = Hello(
        head={"type": "hello", "session": "s", "state": "idle"},
        rows=matrix,
        layer_names=NAMES,
        dataset=encode_parts({"type": "dataset", "x": [[1.0, math.nan]]}),
        snapshot=encode_parts({"type": "snapshot", "values": [0.5, math.inf]}),
        histograms=['{"type":"histograms","epoch":10}'],
    )
    decoded = strict_json(hello.encode())
    assert decoded["history"] == to_columns(matrix, NAMES)
    assert decoded["dataset"] == {"type": "dataset", "x": [[1.0, None]]}
    assert decoded["snapshot"]["values"] == [0.5, None]
    assert decoded["histograms"] == [{"type": "histograms", "epoch": 10}]


def test_big_frames_are_encoded_in_a_thread_with_the_same_result() -> None:
    big = Metrics(rows(INLINE_NUMBERS // 26 + 10), NAMES)
    small = {"type": "state", "state": "paused"}

    async def both() -> list[str]:
        return await encode_all([small, big, "already text"])

    with ThreadPoolExecutor(max_workers=1) as pool:
        texts = pool.submit(asyncio.run, both()).result(timeout=30)
    assert json.loads(texts[0]) == small and texts[2] == "already text"
    assert texts[1] == big.encode()
