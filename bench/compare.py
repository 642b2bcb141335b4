"""`python -m bench --compare`: the engine against a plain NumPy MLP and PyTorch CPU, side by side.

One thread each (BLAS pinned, torch.set_num_threads(1)), the same data, network and SGD+momentum,
taking turns so background load hits all three. The engine runs as the app runs it: instruments
on, histograms every 10 epochs, through the app's `Run`. Also printed: the share of the engine's
epoch spent on its record (evaluation and statistics).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np

from app.engine.trainer import Trainer
from bench.references import NumpyMLP, TorchMLP
from bench.workloads import Workload, build_run

Epoch = Callable[[], object]


def _rate(epoch: Epoch, count: int) -> float:
    """Epochs per CPU second of this thread."""
    c0 = time.thread_time()
    for _ in range(count):
        epoch()
    return count / max(time.thread_time() - c0, 1e-9)


def eval_share(trainer: Trainer, epochs: int) -> float:
    """Fraction of the engine's epoch (CPU time) spent in its evaluation pass."""
    spent = [0.0]
    inner = trainer._evaluate

    def timed(lr: float) -> dict[str, object]:
        c0 = time.thread_time()
        try:
            return inner(lr)
        finally:
            spent[0] += time.thread_time() - c0

    trainer._evaluate = timed  # type: ignore[method-assign]
    c0 = time.thread_time()
    for _ in range(epochs):
        trainer.run_epoch()
    total = time.thread_time() - c0
    trainer._evaluate = inner  # type: ignore[method-assign]
    return spent[0] / max(total, 1e-9)


def compare(w: Workload, seconds: float, repeats: int) -> tuple[list[float], list[float], float]:
    """Median epochs/s of (engine, NumPy, PyTorch) on `w`, the median ratios engine/NumPy and
    engine/PyTorch of the same repeat (neighbours in time, so a load that comes and goes on a
    shared machine cancels), and the engine's evaluation share.

    The engine runs through the app's own `Run`; the rivals train on the same split, and gather
    their training figures during the pass, as such loops usually do.
    """
    run = build_run(w)
    d = run.data
    data = (d.x_train, d.y_train, d.x_val, d.y_val)
    s = w.spec
    hp = (s.sizes, s.hidden[0].activation, s.task, data, None, w.settings.learning_rate)
    numpy_mlp = NumpyMLP(*hp, w.settings.batch_size)
    torch_mlp = TorchMLP(*hp, w.settings.batch_size)
    epochs: list[Epoch] = [run.train_epoch, numpy_mlp.epoch, torch_mlp.epoch]
    counts = [max(3, int(_rate(e, 3) * seconds)) for e in epochs]  # warm-up and sizing
    rates: list[list[float]] = [[], [], []]
    for _ in range(repeats):
        for i, e in enumerate(epochs):
            rates[i].append(_rate(e, counts[i]))
    share = eval_share(run.trainer, counts[0])
    ratios = [
        statistics.median(e / r for e, r in zip(rates[0], rates[i], strict=True)) for i in (1, 2)
    ]
    return [statistics.median(r) for r in rates], ratios, share


def print_compare(workloads: list[Workload], seconds: float, repeats: int) -> None:
    """Measure and print one line per workload."""
    print(f"{'engine vs plain NumPy vs PyTorch CPU':<48} {'epochs/s (CPU)':^26} {'engine is':^18}")
    print(
        f"{'workload':<48} {'engine':>8} {'NumPy':>8} {'torch':>8} "
        f"{'×NumPy':>8} {'×torch':>8} {'eval share':>11}"
    )
    for w in workloads:
        (eng, npy, tor), (x_npy, x_tor), share = compare(w, seconds, repeats)
        print(
            f"({w.key}) {w.title:<44} {eng:>8.1f} {npy:>8.1f} {tor:>8.1f} "
            f"{x_npy:>7.2f}× {x_tor:>7.2f}× {100 * share:>9.0f} %"
        )
    np.seterr(all="warn")
