"""What a compact connection sends: each outgoing item as JSON text or binary blocks, cached.

Control frames and the `hello` stay JSON text (small, or once per connection). Metrics travel as
one binary block per message, joined from the columns of each log entry it covers (each entry
encoded once); snapshots, histograms and dataset frames as one generic block each. Blocks are
cached by the entries they show, so N connections reading the same entries cost one encoding;
misses are encoded off the event loop.
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
from app.training.compact_metrics import entries_block
from app.training.wire import INLINE_NUMBERS, Hello, Metrics, Outgoing, encode_one, in_encoder

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
        return Encoded(cache.get(parts, lambda: entries_block(parts, item.layer_names)), "metrics")
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
    return Encoded(encode_one(item), "hello" if isinstance(item, Hello) else "control")


def _ready(item: Outgoing) -> bool:
    """Cheap to encode here: a control frame, a small metrics frame, or bytes in the cache.

    A thread hop costs more than a small encoding, and much more while training threads hold
    the GIL: 30 watchers queueing for the encoder threads got a third of the frames."""
    if isinstance(item, Metrics):
        return item.rows.size <= INLINE_NUMBERS or cache.peek(_parts(item)) is not None
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
