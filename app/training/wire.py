"""What a session hands its connections, and how it becomes JSON text off the event loop.

An outgoing item is a frame dict (small: control frames, errors), a `str` already encoded (a
snapshot, histograms or dataset frame, encoded once in the session's worker thread), or a lazy
`Metrics`/`Hello` whose columns are encoded only when sent. `encode_all` runs in a small thread
pool, and builds big frames from many short `json.dumps` calls, so it never holds the GIL (and
thus the event loop) for long.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from app.schemas.messages import encode_frame, error_frame
from app.training.history import columns_json

log = logging.getLogger(__name__)

ENCODER_THREADS = 2
INLINE_NUMBERS = 4096  # metrics up to this many numbers encode on the loop (< 1 ms, no thread hop)
_encoder = ThreadPoolExecutor(ENCODER_THREADS, thread_name_prefix="frame-encoder")
T = TypeVar("T")


@dataclass(frozen=True)
class Metrics:
    """A `metrics` frame: record rows of one run, encoded as columns when sent."""

    rows: np.ndarray
    layer_names: tuple[str, ...]
    parts: tuple[np.ndarray, ...] = ()  # the log entries' own rows (the compact encoding's cache)

    def encode(self) -> str:
        """The frame as JSON text."""
        return '{"type":"metrics",' + columns_json(self.rows, self.layer_names)[1:]


class HistoryText:
    """The last encoded history of a session and the history version it shows.

    A page reloaded on a paused long run then costs no encoding at all. One tuple attribute,
    replaced whole, so an encoder thread and the event loop can share it without a lock.
    """

    def __init__(self) -> None:
        self.entry: tuple[int, str] = (-1, "")
        self.packed: tuple[int, bytes] = (-1, b"")  # the compact encoding's history block

    def get(self, version: int) -> str | None:
        """The text if it shows `version`."""
        entry = self.entry
        return entry[1] if entry[0] == version else None

    def get_packed(self, version: int) -> bytes | None:
        """The compact history block if it shows `version`."""
        packed = self.packed
        return packed[1] if packed[0] == version else None


@dataclass(frozen=True)
class Hello:
    """A `hello` frame from parts captured on the event loop (copies and immutable texts)."""

    head: dict[str, Any]  # type, session, config, state, reason, decimation
    rows: np.ndarray  # a copy of the history's rows, or empty when `cache` holds the version
    layer_names: tuple[str, ...]
    dataset: str
    snapshot: str
    histograms: Sequence[str]
    cache: HistoryText | None = None
    version: int = -1  # of the history the rows show

    def encode(self) -> str:
        """The frame as JSON text."""
        head = encode_frame(self.head)[:-1]
        history = self.cache.get(self.version) if self.cache is not None else None
        if history is None:
            history = columns_json(self.rows, self.layer_names)
            if self.cache is not None:
                self.cache.entry = (self.version, history)
        return (
            f'{head},"history":{history},"dataset":{self.dataset},"snapshot":{self.snapshot},'
            f'"histograms":[{",".join(self.histograms)}]}}'
        )


Outgoing = dict[str, Any] | str | Metrics | Hello


def encode_one(item: Outgoing) -> str:
    """One item as JSON text; a frame that cannot be encoded becomes an `error` frame."""
    if isinstance(item, str):
        return item
    try:
        return item.encode() if isinstance(item, Metrics | Hello) else encode_frame(item)
    except (TypeError, ValueError):
        kind = item.get("type") if isinstance(item, dict) else type(item).__name__.lower()
        log.exception("could not encode a %s frame", kind)
        return encode_frame(error_frame("internal", f"could not send a {kind} frame"))


async def encode_all(items: Sequence[Outgoing]) -> list[str]:
    """Encode items; anything big is encoded in the encoder threads, so the event loop stays free.

    Texts, control frames and small metrics frames are encoded in place: a thread hop would cost
    more than the encoding.
    """
    if all(_small(item) for item in items):
        return [encode_one(item) for item in items]
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_encoder, lambda: [encode_one(i) for i in items])


async def in_encoder(work: Callable[[], T]) -> T:
    """Run `work` in the encoder threads, off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(_encoder, work)


def _small(item: Outgoing) -> bool:
    if isinstance(item, Hello):
        return False
    return not isinstance(item, Metrics) or item.rows.size <= INLINE_NUMBERS


def encode_parts(frame: dict[str, Any]) -> str:
    """A frame whose values are big lists, encoded one value at a time (strict JSON)."""
    return (
        "{"
        + ",".join(f"{json.dumps(key)}:{encode_frame({'v': v})[5:-1]}" for key, v in frame.items())
        + "}"
    )
