"""What a compact connection sends: each outgoing item as JSON text or binary blocks, cached.

Control frames stay JSON text. Metrics travel as one binary block per message, joined from the
packed log entries it covers (each entry packed once); snapshots, histograms and dataset frames
as one generic block each. A `hello` is one binary message: its head as a generic block naming
its `parts`, then the history as a metrics block, the dataset, snapshot and histograms blocks.
Blocks are cached by what they show, so N connections reading the same entries cost one
encoding; misses are encoded off the event loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.training.compact import cache, frame_block, identity, text_type
from app.training.compact_metrics import entries_block, entries_ready, metrics_block
from app.training.wire import Hello, Metrics, Outgoing, encode_one, in_encoder

log = logging.getLogger(__name__)
OPTIONAL = ("histograms", "snapshot")


@dataclass(frozen=True)
class Encoded:
    """One message for a compact connection."""

    data: str | bytes
    kind: str = "control"  # or metrics, hello, and the OPTIONAL kinds

    @property
    def optional(self) -> bool:
        """A snapshot or histograms frame: it may wait for the budget, or be superseded."""
        return self.kind in OPTIONAL


def _parts(item: Metrics) -> tuple[np.ndarray, ...]:
    return item.parts or (item.rows,)


def encode_compact(item: Outgoing) -> Encoded:
    """One outgoing item in the compact encoding (JSON text for control frames)."""
    if isinstance(item, Metrics):
        parts = _parts(item)
        return Encoded(entries_block(parts, item.layer_names), "metrics")  # entries are cached
    if isinstance(item, str):
        kind = text_type(item)
        if kind is None:
            return Encoded(item)
        try:
            data: str | bytes = cache.get(item, lambda: frame_block(json.loads(item)))
        except (TypeError, ValueError):  # the frame as JSON text rather than a lost connection
            log.exception("could not encode a %s frame compactly", kind)
            data = item
        return Encoded(data, kind if kind in OPTIONAL else "control")
    if isinstance(item, Hello):
        return Encoded(hello_message(item), "hello")
    return Encoded(encode_one(item))


def hello_message(hello: Hello) -> bytes:
    """A `hello` as one binary message: the head block, then its parts' blocks in order."""
    head: dict[str, Any] = {**hello.head, "histograms": []}
    history = hello.cache.get_packed(hello.version) if hello.cache is not None else None
    if history is None:
        history = metrics_block(hello.rows, hello.layer_names)
        if hello.cache is not None:
            hello.cache.packed = (hello.version, history)
    parts, blocks = ["history"], [history]
    texts = [("dataset", hello.dataset), ("snapshot", hello.snapshot)]
    for key, text in texts + [("histograms", h) for h in hello.histograms]:
        if text_type(text) is None:  # null (nothing drawn yet): it stays in the head
            head[key] = json.loads(text)
            continue
        parts.append(key)
        blocks.append(_text_block(text))
    head["parts"] = parts
    return frame_block(head) + b"".join(blocks)


def _text_block(text: str) -> bytes:
    return cache.get(text, lambda: frame_block(json.loads(text)))


def _ready(item: Outgoing) -> bool:
    """Cheap to encode here: a control frame, metrics whose entries are packed (joining them is
    a copy), or bytes in the cache. A thread hop costs more than that: 30 watchers queueing for
    the encoder threads got a third of the frames."""
    if isinstance(item, Metrics):
        return entries_ready(_parts(item))
    if isinstance(item, str):
        return text_type(item) is None or cache.peek(item) is not None
    return not isinstance(item, Hello)


async def encode_all_compact(items: Sequence[Outgoing]) -> list[Encoded]:
    """Encode items; anything not yet cached is encoded in the encoder threads, once: other
    connections wanting the same entry meanwhile wait for that encoding, not for a thread."""
    hellos = [item for item in items if isinstance(item, Hello)]
    encoded_hellos = iter(
        await in_encoder(lambda: [encode_compact(h) for h in hellos]) if hellos else []
    )
    await asyncio.gather(
        *(_shared(item) for item in items if not _ready(item) and not isinstance(item, Hello))
    )
    return [
        next(encoded_hellos) if isinstance(item, Hello) else encode_compact(item) for item in items
    ]


_inflight: dict[Any, asyncio.Future[None]] = {}  # entries being encoded, by identity


async def _shared(item: Outgoing) -> None:
    """Put `item`'s encoding in the cache, encoding it off the loop unless someone already is."""
    key = identity(_parts(item) if isinstance(item, Metrics) else item)
    running = _inflight.get(key)
    if running is not None:
        await asyncio.shield(running)
        if not _ready(item):  # its encoder's connection went away before the encoding landed
            await _shared(item)
        return
    done = _inflight[key] = asyncio.get_running_loop().create_future()
    try:
        await in_encoder(lambda: encode_compact(item))
    finally:
        del _inflight[key]
        done.set_result(None)
