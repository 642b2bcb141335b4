"""The compact encoding (docs/protocol.md): numeric columns and arrays as binary typed arrays.

A binary message is one or more blocks. A block is a JSON header plus typed arrays:

    u32 block length in bytes (this field included; a multiple of 4)
    u32 header length H, then H bytes of UTF-8 JSON padded with spaces to a multiple of 4
    u32 array count A, then A x u32 (kind | d << 4 | count << 8), then each array padded to 4 bytes

A `metrics` block's header names its columns ({type, columns, layer_columns: names joined by
commas, layers: [names]}) and its arrays are PACKED log entries in order (app/training/
compact_metrics.py): each holds its epochs' scalar columns, then each layer's. A PACKED array's
payload is u32 length L and L bytes of zlib data. Any other frame's header
is the frame itself with each long list of numbers replaced by {"#": index of its array}.
Encodings are cached per log entry (the same object every connection reads), so a broadcast is
encoded once however many connections watch it.
"""

from __future__ import annotations

import json
import struct
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import numpy as np

# Array kinds: the low 4 bits; the next 4 hold d for the scaled integers (value = stored / 10**d).
F32, F64, CONST, RANGE, U8, I16, I32, PACKED = range(8)
MIN_ARRAY = 16  # shorter lists stay in the JSON header
MAX_COUNT = 2**24 - 1  # numbers in one array
MAX_DECIMALS = 4  # the most decimals a server frame rounds its numbers to
COMPACT_TYPES = ("snapshot", "histograms", "dataset")  # texts sent as generic blocks
CACHE_SIZE = 1024  # encoded entries kept (strong references keep their ids unique) ...
CACHE_BYTES = 16 * 1024 * 1024  # ... and the bytes they may hold, keys included

Array = tuple[int, int, bytes]  # kind (with d), count, payload
V = TypeVar("V")
encodings: Counter[str] = Counter()  # encodings done, by frame type (the encode-once test reads it)


def _pad(data: bytes, fill: bytes = b"\0") -> bytes:
    return data + fill * (-len(data) % 4)


def block(header: str, arrays: Sequence[Array]) -> bytes:
    """One block: the JSON header and its arrays."""
    head = _pad(header.encode(), b" ")
    if any(count > MAX_COUNT for _, count, _ in arrays):
        raise ValueError(f"an array of more than {MAX_COUNT:,} numbers")
    table = b"".join(struct.pack("<I", kind | count << 8) for kind, count, _ in arrays)
    body = b"".join(_pad(payload) for _, _, payload in arrays)
    inner = struct.pack("<I", len(header.encode())) + head + struct.pack("<I", len(arrays))
    inner += table + body
    return struct.pack("<I", len(inner) + 4) + inner


def _numbers(value: list[Any]) -> bool:
    return len(value) >= MIN_ARRAY and all(
        v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in value
    )


def _array(values: list[Any]) -> Array:
    """The smallest kind that gives back exactly the numbers the JSON frame would."""
    n = len(values)
    a = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    if np.all(np.isfinite(a)):
        for d in range(MAX_DECIMALS + 1):
            q = np.round(a * 10**d)
            if np.all(q / 10**d == a):
                return _scaled(q, d)
    single = a.astype("<f4")
    with np.errstate(invalid="ignore"):
        if np.array_equal(single.astype(np.float64), a, equal_nan=True):
            return F32, n, single.tobytes()  # float32 numbers the JSON writes out as doubles
    return F64, n, a.astype("<f8").tobytes()


def _scaled(q: np.ndarray, d: int) -> Array:
    lo, hi = (q.min(), q.max()) if len(q) else (0.0, 0.0)
    for kind, dtype, low, high in ((U8, "<u1", 0, 255), (I16, "<i2", -32768, 32767)):
        if low <= lo and hi <= high:
            return kind | d << 4, len(q), q.astype(dtype).tobytes()
    if lo >= -(2**31) and hi < 2**31:
        return I32 | d << 4, len(q), q.astype("<i4").tobytes()
    return F64, len(q), (q / 10**d).astype("<f8").tobytes()


def frame_block(frame: dict[str, Any]) -> bytes:
    """Any frame as one block: its long lists of numbers become typed arrays."""
    encodings[str(frame.get("type"))] += 1
    arrays: list[Array] = []

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items()}
        if isinstance(value, list):
            if _numbers(value):
                arrays.append(_array(value))
                return {"#": len(arrays) - 1}
            return [strip(v) for v in value]
        return value

    header = json.dumps(strip(frame), separators=(",", ":"), allow_nan=False)
    return block(header, arrays)


def text_type(text: str) -> str | None:
    """The frame type of a text that travels as a generic block, else None."""
    for kind in COMPACT_TYPES:
        if text.startswith(f'{{"type":"{kind}"'):
            return kind
    return None


class EncodedCache(Generic[V]):
    """Encodings by the identity of what they encode (one log entry, or a tuple of entries).

    Bounded in entries and in bytes (the encoding plus the keys it keeps alive); the oldest go.
    """

    def __init__(self, size: int = CACHE_SIZE, max_bytes: int = CACHE_BYTES) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[Any, tuple[object, V, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._encoding = threading.Lock()

    def peek(self, key: object) -> V | None:
        """The encoding if `key` was encoded already."""
        with self._lock:
            hit = self._items.get(identity(key))
            return hit[1] if hit is not None and _same(hit[0], key) else None

    def get(self, key: object, encode: Callable[[], V]) -> V:
        """The encoding of `key`, done on the first request."""
        found = self.peek(key)
        if found is not None:
            return found
        with self._encoding:  # two encoder threads missing on one entry must not both encode it
            found = self.peek(key)
            if found is not None:
                return found
            value = encode()
        cost = _size(value) + _size(key)
        with self._lock:
            old = self._items.pop(identity(key), None)
            self.bytes += cost - (old[2] if old is not None else 0)
            self._items[identity(key)] = (key, value, cost)  # the key's references keep ids unique
            while len(self._items) > 1 and (
                len(self._items) > self.size or self.bytes > self.max_bytes
            ):
                self.bytes -= self._items.popitem(last=False)[1][2]
        return value


def identity(key: object) -> Any:
    """What the cache files `key` under: its id, or its items' ids for a tuple."""
    return tuple(map(id, key)) if isinstance(key, tuple) else id(key)


def _same(a: object, b: object) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))
    return a is b


def _size(value: object) -> int:
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, tuple | list):
        return sum(_size(v) for v in value)
    return 0


cache: EncodedCache[bytes] = EncodedCache()  # texts' blocks, and metrics messages by their entries
