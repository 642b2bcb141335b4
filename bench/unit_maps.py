"""`python -m bench.unit_maps`: what per-unit maps add to a snapshot, in time and bytes.

For the default network (2-8-8-1 tanh on the circle) and the largest ones the limits allow
(10 hidden layers as wide as MAX_PARAMETERS lets them be; 3 × 256 relu), on the 500-point spiral:
the snapshot encoded as the session sends it, with and without the `units` part (median of
repeats, BLAS pinned to one thread), and the frame size. Figures only, never a pass/fail.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from threadpoolctl import threadpool_limits

from app.schemas.config import SessionConfig
from app.training.run import Run
from app.training.wire import encode_parts

REPEATS = 30


def _config(layers: list[dict[str, Any]] | None, dataset: str) -> SessionConfig:
    raw: dict[str, Any] = {"dataset": {"name": dataset, "samples": 500}}
    if layers is not None:
        raw["model"] = {"layers": layers}
    return SessionConfig.model_validate(raw)


CASES = {
    "default 2-8-8-1 tanh": _config(None, "circle"),
    "10 x 150 relu (225k params)": _config([{"units": 150, "activation": "relu"}] * 10, "spiral"),
    "3 x 256 relu + batch norm": _config(
        [{"units": 256, "activation": "relu", "batch_norm": True}] * 3, "spiral"
    ),
}


def _median_ms(fn: Any) -> float:
    times = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def measure(name: str, config: SessionConfig) -> None:
    """Print one row: snapshot ms with and without units, the units' share, frame KiB."""
    run = Run(config)
    run.train_epoch()
    full = lambda: encode_parts(run.snapshot())  # noqa: E731

    def without_units() -> str:
        frame = run.snapshot()
        return encode_parts(frame)

    real_units = run._units
    with_ms = _median_ms(full)
    size_with = len(full())
    run._units = lambda: None  # type: ignore[method-assign,assignment,return-value]
    base_ms = _median_ms(without_units)
    size_without = len(without_units())
    run._units = real_units  # type: ignore[method-assign]
    print(
        f"{name:32s} snapshot {base_ms:6.2f} ms -> {with_ms:6.2f} ms (+{with_ms - base_ms:5.2f} ms)"
        f"   frame {size_without / 1024:6.1f} KiB -> {size_with / 1024:6.1f} KiB"
    )


def main() -> None:
    """Measure every case."""
    with threadpool_limits(1):
        for name, config in CASES.items():
            measure(name, config)


if __name__ == "__main__":
    main()
