"""`python -m bench`: engine throughput in epochs/s (median of repeats, BLAS pinned to 1 thread).

Rows: (a) 2-8-8-1 tanh on 500 spiral points, batch 10; (b) 64-128-64-10 relu softmax on 1800x64
Gaussian blobs, batch 64; (c) Adam vs SGD+momentum on both; (d) instruments on (per-layer
statistics every epoch, histograms every 10 epochs) vs off, and the overhead in %; (e) a deep
8x32 sigmoid net on 1000 points, batch 32; then (bench.compare) the engine through the app's `Run`
beside a plain NumPy MLP and PyTorch CPU on (a), (b) and 784-256-10 on 10,000 rows, batch 128.
Figures only, never a pass/fail.

The header names the BLAS NumPy runs on and checks the one-thread pin. OPENBLAS_CORETYPE (set on
some machines to dodge old OpenBLAS bugs) can force slower kernels (Haswell here: (b) -30 %):
when it is set, (b) is measured once more in a child process without it, for comparison.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from app.engine.trainer import Trainer
from bench.compare import print_compare
from bench.workloads import (
    ADAM,
    build,
    deep_sigmoid,
    relu_64_128_64_10,
    relu_64_128_64_10_split,
    relu_784_256_10,
    tanh_2_8_8_1,
)

TARGETS = {"a": 600.0, "b": 280.0}


def _rates(trainer: Trainer, epochs: int) -> tuple[float, float]:
    """(epochs per wall-clock second, epochs per CPU second of this thread)."""
    w0, c0 = time.perf_counter(), time.thread_time()
    for _ in range(epochs):
        trainer.run_epoch()
    return epochs / (time.perf_counter() - w0), epochs / max(time.thread_time() - c0, 1e-9)


def measure(
    builders: list[Callable[[], Trainer]], seconds: float, repeats: int
) -> list[tuple[float, float]]:
    """Median (wall, CPU) epochs/s per builder; builders take turns so background load hits all.

    CPU time (this thread's) is what the engine costs; wall time also counts time lost to other
    processes on a shared machine, so on a busy machine the CPU figure is the fairer one.
    """
    trainers = [b() for b in builders]
    counts = []
    for t in trainers:
        rate = _rates(t, 10)[1]  # warm-up: buffers, caches, first-use optimiser state
        counts.append(max(5, int(rate * seconds)))
    results: list[list[tuple[float, float]]] = [[] for _ in trainers]
    for _ in range(repeats):
        for i, t in enumerate(trainers):
            results[i].append(_rates(t, counts[i]))
    return [
        (statistics.median(w for w, _ in r), statistics.median(c for _, c in r)) for r in results
    ]


def _row(label: str, opt: str, instr: str, rate: tuple[float, float], note: str = "") -> str:
    wall, cpu = rate
    return f"{label:<48} {opt:<8} {instr:<12} {wall:>7.0f} {cpu:>7.0f} {1000.0 / cpu:>8.3f}  {note}"


def main(argv: list[str] | None = None) -> None:
    """Run every benchmark row and print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--seconds", type=float, default=0.4, help="time per repeat and config")
    parser.add_argument("--repeats", type=int, default=5, help="repeats per config (median)")
    parser.add_argument(
        "--only", default="abe", help="workloads to run, e.g. 'b' (default: abe, all)"
    )
    parser.add_argument(
        "--compare",
        default="abc",
        help="workloads to compare with plain NumPy and PyTorch (default: abc; '' = none)",
    )
    args = parser.parse_args(argv)
    with threadpool_limits(limits=1):
        run(args.seconds, args.repeats, args.only)
        if args.compare:
            print()
            workloads = [w() for w in (tanh_2_8_8_1, relu_64_128_64_10, relu_784_256_10)]
            print_compare(
                [w for w in workloads if w.key in args.compare], args.seconds, args.repeats
            )
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    if coretype and "b" in args.only:
        print(f"OPENBLAS_CORETYPE={coretype} is set; (b) without it (and OPENBLAS_L2_SIZE):")
        env = {k: v for k, v in os.environ.items() if k not in BLAS_OVERRIDES}
        cmd = [sys.executable, "-m", "bench", "--only", "b", "--seconds", str(args.seconds)]
        out = subprocess.run(
            [*cmd, "--repeats", str(args.repeats)], env=env, capture_output=True, text=True
        )
        rows = [line for line in out.stdout.splitlines() if line.startswith("(b) ")]
        print("\n".join(rows[:1]) or out.stderr.strip())


BLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def blas_line() -> str:
    """Which BLAS NumPy calls, with which kernels and threads (inside threadpool_limits)."""
    libs = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    if not libs:
        return "BLAS: none found by threadpoolctl"
    parts = [
        f"{i['internal_api']} {i['version']} {i.get('architecture') or '?'} kernels, "
        f"{i['num_threads']} thread{'s' * (i['num_threads'] != 1)}"
        for i in libs
    ]
    overrides = ", ".join(f"{k}={os.environ[k]}" for k in BLAS_OVERRIDES if k in os.environ)
    return f"BLAS: {'; '.join(parts)}; {overrides or 'OPENBLAS_CORETYPE unset'}"


def run(seconds: float, repeats: int, only: str = "abe") -> None:
    """Measure and print."""
    print(
        f"Backprop Lab engine benchmark: numpy {np.__version__}, "
        f"Python {platform.python_version()}, float32, "
        f"median of {repeats} x ~{seconds:.1f} s"
    )
    print(blas_line())
    print(f"{'':<48} {'':<8} {'':<12} {'epochs/s':^15} {'CPU ms':>8}")
    print(
        f"{'workload':<48} {'optim.':<8} {'instruments':<12} {'wall':>7} {'CPU':>7} {'/epoch':>8}"
    )
    print("-" * 100)
    overheads: dict[str, float] = {}
    a, b, e = tanh_2_8_8_1(), relu_64_128_64_10(), deep_sigmoid()
    b_split = relu_64_128_64_10_split()
    adam_lr = {"a": 0.01, "b": 0.001}
    for w in (a, b):
        if w.key not in only:
            continue
        sgd_on, sgd_off, adam_on = measure(
            [
                partial(build, w),
                partial(build, w, instruments=False),
                partial(build, w.with_optimizer(ADAM, adam_lr[w.key])),
            ],
            seconds,
            repeats,
        )
        target = TARGETS[w.key]
        verdict = "meets" if max(sgd_on) >= target else "BELOW"
        label = f"({w.key}) {w.title}"
        print(_row(label, "sgd+mom", "on, hist/10", sgd_on, f"{verdict} target {target:.0f}"))
        print(_row(label, "sgd+mom", "off", sgd_off))
        print(_row(label, "adam", "on, hist/10", adam_on))
        overheads[w.key] = 100.0 * (sgd_off[1] / sgd_on[1] - 1.0)
    if "b" in only:
        (split_on,) = measure([partial(build, b_split)], seconds, repeats)
        print(_row(f"(b') {b_split.title}", "sgd+mom", "on, hist/10", split_on))
    if "e" in only:
        e_on, e_off = measure(
            [partial(build, e), partial(build, e, instruments=False)], seconds, repeats
        )
        print(_row(f"(e) {e.title}", "sgd+mom", "on, hist/10", e_on))
        print(_row(f"(e) {e.title}", "sgd+mom", "off", e_off))
        overheads["e"] = 100.0 * (e_off[1] / e_on[1] - 1.0)
    print("-" * 100)
    print(
        "(d) instrument overhead (extra CPU time per epoch, statistics every epoch + histograms "
        "every 10): " + ", ".join(f"({k}) {v:.1f} %" for k, v in overheads.items())
    )
    print(f"SGD+momentum lr: a {a.settings.learning_rate}, b {b.settings.learning_rate}, "
          f"e {e.settings.learning_rate}; Adam lr: a {adam_lr['a']}, b {adam_lr['b']}")  # fmt: skip


if __name__ == "__main__":
    main()
