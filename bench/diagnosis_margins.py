"""When each preset's diagnoses appear, over seeds, on this machine's BLAS kernel.

`python -m bench.diagnosis_margins [--seeds N] [--only ID ...]` trains every preset from N seed
pairs for its claim's epochs with a live Diagnoser and prints, per preset, the epoch each kind of
diagnosis was first shown on each seed ("-" when never), next to what the tests promise. Run it
under `OPENBLAS_CORETYPE=Prescott|Nehalem` to see how another CPU's kernels move them.
"""

from __future__ import annotations

import argparse
import math

from threadpoolctl import threadpool_limits

from app.training.detectors import chance_loss
from app.training.diagnoses import (
    HEALTHY_PRESETS,
    PRESET_DIAGNOSES,
    SPIRAL_EPOCHS,
    Diagnoser,
)
from app.training.preset_figures import CLAIMS, seeded_config
from app.training.run import Run
from bench.preset_margins import blas_kernel

HORIZON = {claim.preset_id: claim.epochs for claim in CLAIMS} | {"spiral": SPIRAL_EPOCHS}


def first_shown(preset_id: str, index: int) -> dict[str, int]:
    """The epoch each kind was first shown, training the seeded preset for its horizon."""
    run = Run(seeded_config(preset_id, index))
    diagnoser = Diagnoser(run.config, chance_loss(run.data.task, run.data.y_train))
    first: dict[str, int] = {}
    for _ in range(HORIZON[preset_id]):
        record = run.train_epoch()
        record.pop("histograms", None)
        diagnoser.update([record])
        for diagnosis in diagnoser.active:
            first.setdefault(diagnosis.kind, record["epoch"])
        if not math.isfinite(record["train_loss"]) or record["stopped"]:
            break
    return first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    promised: dict[str, dict[str, int]] = {preset: {} for preset in HEALTHY_PRESETS}
    for preset, kind, within in PRESET_DIAGNOSES:
        promised.setdefault(preset, {})[kind] = within
    print(f"BLAS: {blas_kernel()}; {args.seeds} seeds")
    with threadpool_limits(limits=1):
        for preset, kinds in promised.items():
            if args.only and preset not in args.only:
                continue
            runs = [first_shown(preset, index) for index in range(args.seeds)]
            seen = sorted({k for r in runs for k in r} | set(kinds))
            print(f"{preset} ({HORIZON[preset]} epochs)")
            for kind in seen or ["(none)"]:
                epochs = [str(r.get(kind, "-")) for r in runs]
                promise = f"promised by {kinds[kind]}" if kind in kinds else "promised: never"
                print(f"  {kind:22s} {' '.join(f'{e:>5s}' for e in epochs)}   {promise}")


if __name__ == "__main__":
    main()
