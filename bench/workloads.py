"""Benchmark workloads: a model, its trainer and data, built from a fixed seed."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from app.data import Table
from app.data.generators import generate
from app.engine.model import LayerSpec, ModelSpec, build_model
from app.engine.optimizers import OptimizerSpec
from app.engine.trainer import Trainer, TrainSettings
from app.schemas.config import SessionConfig
from app.training.run import Run

SGD_MOMENTUM = OptimizerSpec("sgd", momentum=0.9)
ADAM = OptimizerSpec("adam")


@dataclass(frozen=True)
class Workload:
    """One benchmark row: what network on what data with which settings."""

    key: str
    title: str
    spec: ModelSpec
    data: str  # "spiral" | "gaussian64" | "gaussian784"
    n_train: int
    n_val: int
    settings: TrainSettings

    def with_optimizer(self, opt: OptimizerSpec, lr: float) -> Workload:
        """The same workload with another optimiser and base learning rate."""
        return replace(self, settings=replace(self.settings, optimizer=opt, learning_rate=lr))


def spiral_data(n_train: int, n_val: int, seed: int = 7) -> tuple[np.ndarray, ...]:
    """Two-arm spiral points (2 features, 0/1 labels): n_train for training plus n_val more."""
    x, y = generate("spiral", n_train + n_val, 0.1, seed)
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def gaussian_data(
    n_train: int, n_val: int, dim: int = 64, k: int = 10, seed: int = 7
) -> tuple[np.ndarray, ...]:
    """k Gaussian blobs in `dim` dimensions (unit variance; centres 1.5 apart on average in 64)."""
    rng = np.random.default_rng(seed)
    # centres as far apart in `dim` dimensions as 1.5 apart in 64 (wider would separate trivially)
    centres = rng.normal(0.0, 1.5 / np.sqrt(2.0) * min(1.0, np.sqrt(64 / dim)), size=(k, dim))
    n = n_train + n_val
    y = rng.integers(0, k, size=n)
    x = centres[y] + rng.normal(size=(n, dim))
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def data_for(w: Workload) -> tuple[np.ndarray, ...]:
    """(x_train, y_train, x_val, y_val) of the workload (fixed seed)."""
    if w.data == "spiral":
        return spiral_data(w.n_train, w.n_val)
    return gaussian_data(w.n_train, w.n_val, dim=w.spec.n_inputs, k=w.spec.n_outputs)


def build(w: Workload, *, instruments: bool = True, histogram_every: int | None = None) -> Trainer:
    """A fresh trainer for the workload (fixed seeds)."""
    xt, yt, xv, yv = data_for(w)
    settings = w.settings
    if histogram_every is not None:
        settings = replace(settings, histogram_every=histogram_every)
    model = build_model(w.spec, np.random.default_rng(0))
    return Trainer(
        model, settings, xt, yt, xv, yv, np.random.default_rng(1), instruments=instruments
    )


def _settings(lr: float, batch_size: int) -> TrainSettings:
    return TrainSettings(
        learning_rate=lr, batch_size=batch_size, optimizer=SGD_MOMENTUM, histogram_every=10
    )


def tanh_2_8_8_1() -> Workload:
    """(a) 2-8-8-1 tanh, 500 spiral points for training (100 more for validation), batch 10."""
    spec = ModelSpec(2, 1, (LayerSpec(8, "tanh"), LayerSpec(8, "tanh")), "binary")
    return Workload(
        "a", "2-8-8-1 tanh, spiral 500, batch 10", spec, "spiral", 500, 100,
        _settings(0.03, 10),
    )  # fmt: skip


def relu_64_128_64_10() -> Workload:
    """(b) 64-128-64-10 relu softmax on 1800 x 64 Gaussian blobs (+200 for validation), batch 64."""
    spec = ModelSpec(
        64, 10, (LayerSpec(128, "relu"), LayerSpec(64, "relu")), "multiclass", init="he"
    )
    return Workload(
        "b", "64-128-64-10 relu softmax, 1800x64, batch 64", spec, "gaussian64", 1800, 200,
        _settings(0.01, 64),
    )  # fmt: skip


def relu_64_128_64_10_split() -> Workload:
    """(b') as (b), but the 1800 rows split 70/30 into training and validation (the app default)."""
    w = relu_64_128_64_10()
    return replace(
        w, key="b'", title="  same, 1800 rows split 70/30 train/val", n_train=1260, n_val=540
    )


def deep_sigmoid() -> Workload:
    """(e) 2-(8 x 32 sigmoid)-1 on 1000 spiral points (200 more for validation), batch 32."""
    spec = ModelSpec(2, 1, tuple(LayerSpec(32, "sigmoid") for _ in range(8)), "binary")
    return Workload(
        "e", "2-8x32-1 sigmoid, spiral 1000, batch 32", spec, "spiral", 1000, 200,
        _settings(0.1, 32),
    )  # fmt: skip


def relu_784_256_10() -> Workload:
    """(c) 784-256-10 relu softmax on 10,000 x 784 Gaussian blobs (+2,000 validation), batch 128."""
    spec = ModelSpec(784, 10, (LayerSpec(256, "relu"),), "multiclass", init="he")
    return Workload(
        "c", "784-256-10 relu softmax, 10000x784, batch 128", spec, "gaussian784", 10_000, 2_000,
        _settings(0.01, 128),
    )  # fmt: skip


def build_run(w: Workload) -> Run:
    """The workload as the app runs it: a session config and a `Run` (tables via the CSV path).

    SGD with momentum 0.9 only; the data is split by the app (stratified), so the training set
    has about `n_train` rows.
    """
    total = w.n_train + w.n_val
    s, st = w.spec, w.settings
    dataset: dict[str, object] = {"val_fraction": w.n_val / total, "seed": 7}
    table = None
    if w.data == "spiral":
        dataset.update(name="spiral", samples=total, noise=0.1)
    else:
        xt, yt, xv, yv = data_for(w)
        classes = [str(c) for c in range(s.n_outputs)]
        names = [f"x{i}" for i in range(s.n_inputs)]
        x, y = np.vstack([xt, xv]), np.concatenate([yt, yv]).astype(np.int64)
        table = Table(names, x, y, "multiclass", classes, "class", columns=[*names, "class"])
        dataset.update(name="csv", upload_id="bench")
    config = SessionConfig.model_validate(
        {
            "dataset": dataset,
            "model": {
                "layers": [{"units": h.units, "activation": h.activation} for h in s.hidden],
                "init": s.init,
            },
            "training": {
                "learning_rate": st.learning_rate,
                "batch_size": st.batch_size,
                "optimizer": "sgd",
                "momentum": st.optimizer.momentum,
                "histogram_every": st.histogram_every,
            },
        }
    )
    return Run(config, lambda upload_id: table if upload_id == "bench" else None)
