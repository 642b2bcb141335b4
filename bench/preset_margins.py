"""How far each preset's claim is from its edge, over seeds, on this machine's BLAS kernel.

`python -m bench.preset_margins [--seeds N] [--only ID ...]` trains every preset from N seed pairs
(the preset's own data and weight seeds, then the next ones) and prints the figures its note and
tests rely on. Run it under `OPENBLAS_CORETYPE=Prescott|Nehalem|Sandybridge|Haswell` to see how
another CPU's kernels move them.
"""

from __future__ import annotations

import argparse
import math
import statistics
from collections.abc import Callable
from typing import Any

from threadpoolctl import threadpool_info, threadpool_limits

from app.training.preset_figures import CLAIMS, Claim, seeded_config
from app.training.presets import PRESET_LIST
from app.training.run import Run


def blas_kernel() -> str:
    """The BLAS library and kernel NumPy uses here, e.g. 'openblas SkylakeX'."""
    infos = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return ", ".join(f"{i['internal_api']} {i.get('architecture', '?')}" for i in infos) or "?"


def train(config: Any, epochs: int) -> list[dict[str, Any]]:
    """Records of up to `epochs` epochs (fewer when the run diverges or stops)."""
    run = Run(config)
    records: list[dict[str, Any]] = []
    while len(records) < epochs:
        record = run.train_epoch()
        record.pop("histograms", None)
        records.append(record)
        if not math.isfinite(record["train_loss"]) or record["stopped"]:
            break
    return records


def summarise(values: list[float]) -> str:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return "n/a"
    return f"min {min(finite):.4g}  median {statistics.median(finite):.4g}  max {max(finite):.4g}"


def measure(claim: Claim, seeds: int, log: Callable[[str], None]) -> None:
    figures: dict[str, list[float]] = {}
    for index in range(seeds):
        records = train(seeded_config(claim.preset_id, index), claim.epochs)
        for name, value in claim.figures(records).items():
            figures.setdefault(name, []).append(value)
    log(f"{claim.preset_id}  ({seeds} seeds, {claim.epochs} epochs)")
    for name, values in figures.items():
        log(f"    {name:<34} {summarise(values)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--only", nargs="*", default=None, help="preset ids")
    args = parser.parse_args()
    with threadpool_limits(limits=1):
        print(f"BLAS: {blas_kernel()}", flush=True)
        wanted = set(args.only or [p.id for p in PRESET_LIST])
        for claim in CLAIMS:
            if claim.preset_id in wanted:
                measure(claim, args.seeds, lambda line: print(line, flush=True))


if __name__ == "__main__":
    main()
