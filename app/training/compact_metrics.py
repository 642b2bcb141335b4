"""Metrics in the compact encoding: each log entry packed and deflated once, joined per message.

A log entry (one chunk of epochs) becomes one PACKED array: every column as 32-bit words
(the epoch as int32, the rest float32), each word XORed with the one before it in its column,
the words split into byte planes (all first bytes, then all second bytes, ...) and the whole
deflated (zlib, level 1). Noisy float mantissas do not compress, but signs, exponents, epochs,
accuracies and constant columns nearly vanish. The per-layer instruments keep 12 of float32's 23
mantissa bits (rounded: within 1.3e-4 of the value, far below a chart's pixel or its 3-digit
readouts); that cuts the default network's 69 bytes an epoch to 48, so a client at full speed
stays under the room's 100 kB/s. Losses, accuracies, lr and the global norm keep every bit, and
JSON clients keep float64. A connection's message is one `metrics` block:
the header once, then the packed entries it drains, in order; each entry is packed once however
many connections send it, in the encoder threads.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Sequence

import numpy as np

from app.training.compact import PACKED, Array, EncodedCache, block, encodings
from app.training.history import LAYER_COLUMNS, SCALAR_COLUMNS

DEFLATE_LEVEL = 1  # level 6 saves about 1 % more here, at several times the time
LAYER_MANTISSA_BITS = 12  # per-layer instruments' float32 mantissa bits kept on the wire
entry_cache: EncodedCache[Array] = EncodedCache()  # one log entry, packed


def width_of(n_layers: int) -> int:
    """Columns of a record row with `n_layers` layers."""
    return len(SCALAR_COLUMNS) + n_layers * len(LAYER_COLUMNS)


def packed_entry(rows: np.ndarray, n_layers: int) -> Array:
    """Epoch records (rows as in app.training.history) as one PACKED array; anything not
    finite travels as NaN (JSON's null)."""
    encodings["metrics"] += 1
    width = width_of(n_layers)
    rows = rows if rows.shape[1:] == (width,) else np.zeros((0, width))
    words = np.empty((width, len(rows)), dtype="<u4")
    words[0] = rows[:, 0].astype("<i4").view("<u4")
    with np.errstate(over="ignore"):  # a float64 beyond float32 becomes inf, then null
        values = rows[:, 1:].T.astype("<f4")
    words[1:] = np.where(np.isfinite(values), values, np.float32(np.nan)).view("<u4")
    words[len(SCALAR_COLUMNS) :] = rounded_mantissas(words[len(SCALAR_COLUMNS) :])
    delta = words.copy()
    delta[:, 1:] ^= words[:, :-1]
    planes = delta.view(np.uint8).reshape(width, len(rows), 4).transpose(0, 2, 1)
    packed = zlib.compress(np.ascontiguousarray(planes).tobytes(), DEFLATE_LEVEL)
    return PACKED, len(rows), struct.pack("<I", len(packed)) + packed


def rounded_mantissas(words: np.ndarray) -> np.ndarray:
    """float32 bit patterns rounded to LAYER_MANTISSA_BITS mantissa bits (to nearest); NaN, a
    value that would round up to infinity, and subnormals (a vanishing gradient's tail) keep
    their bits."""
    drop = 23 - LAYER_MANTISSA_BITS
    rounded = ((words + np.uint32(1 << (drop - 1))) >> drop) << drop
    subnormal = (words & np.uint32(0x7F800000)) == 0
    keep = ~np.isfinite(rounded.view("<f4")) | ~np.isfinite(words.view("<f4")) | subnormal
    return np.where(keep, words, rounded).astype("<u4")


def unpack_entry(payload: bytes, count: int, width: int) -> np.ndarray:
    """A PACKED array back as a (count, width) float64 matrix (NaN where JSON has null)."""
    (length,) = struct.unpack_from("<I", payload)
    data = zlib.decompress(payload[4 : 4 + length])
    planes = np.frombuffer(data, np.uint8).reshape(width, 4, count).transpose(0, 2, 1)
    delta = np.ascontiguousarray(planes).view("<u4").reshape(width, count)
    words = np.bitwise_xor.accumulate(delta, axis=1)
    rows = np.empty((count, width))
    rows[:, 0] = words[0].view("<i4")
    rows[:, 1:] = words[1:].view("<f4").T
    return rows


def metrics_message(parts: Sequence[Array], layer_names: Sequence[str]) -> bytes:
    """Packed entries (each from `packed_entry`) as one `metrics` block."""
    header = {
        "type": "metrics",
        "columns": ",".join(SCALAR_COLUMNS),
        "layer_columns": ",".join(LAYER_COLUMNS),
        "layers": list(layer_names),
    }
    return block(json.dumps(header, separators=(",", ":")), parts)


def metrics_block(rows: np.ndarray, layer_names: Sequence[str]) -> bytes:
    """Epoch records as one `metrics` block (no cache)."""
    return metrics_message([packed_entry(rows, len(layer_names))], layer_names)


def entries_block(parts: Sequence[np.ndarray], layer_names: Sequence[str]) -> bytes:
    """Log entries' rows as one `metrics` block, each entry packed once (cached)."""
    return metrics_message([entry(p, len(layer_names)) for p in parts], layer_names)


def entry(rows: np.ndarray, n_layers: int) -> Array:
    """One log entry, packed on its first request."""
    return entry_cache.get(rows, lambda: packed_entry(rows, n_layers))


def entries_ready(parts: Sequence[np.ndarray]) -> bool:
    """Every entry is packed already: joining them costs no more than a copy."""
    return all(entry_cache.peek(p) is not None for p in parts)
