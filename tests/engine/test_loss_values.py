"""Loss values: exact to 1e-12 against a 60-digit reference, and never negative in training."""

from __future__ import annotations

from decimal import Decimal, localcontext

import numpy as np
import pytest

from app.engine.losses import make_loss
from app.engine.model import LayerSpec, ModelSpec, build_model
from app.engine.optimizers import OptimizerSpec
from app.engine.trainer import Trainer, TrainSettings

MARGINS = (0.0, 1e-9, 1e-3, 0.5, 1.0, 5.0, 17.0, 20.0, 36.0, 40.0, 60.0, 100.0)


def _bce_reference(z: np.ndarray, y: np.ndarray) -> float:
    """Mean of ln(1 + e^z) - y·z over rows, in 60-digit decimal arithmetic."""
    with localcontext() as ctx:
        ctx.prec = 60
        total = Decimal(0)
        for zi, yi in zip(z.tolist(), y.tolist(), strict=True):
            d = Decimal(zi)
            total += (Decimal(1) + d.exp()).ln() - Decimal(yi) * d
        return float(total / len(z))


def _ce_reference(z: np.ndarray, y: np.ndarray) -> float:
    """Mean of ln(Σ_j e^z_j) - z_y over rows, in 60-digit decimal arithmetic."""
    with localcontext() as ctx:
        ctx.prec = 60
        total = Decimal(0)
        for row, label in zip(z.tolist(), y.tolist(), strict=True):
            total += sum(Decimal(v).exp() for v in row).ln() - Decimal(row[label])
        return float(total / len(z))


def _rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b) if b else abs(a)


@pytest.mark.parametrize("margin", MARGINS)
def test_binary_cross_entropy_is_exact_for_every_margin(margin: float) -> None:
    loss = make_loss("binary", 1, np.float64)
    # right and wrong by `margin`, for both labels, alone and in one batch
    z = np.array([margin, -margin, -margin, margin, margin + 3.0])
    y = np.array([1.0, 0.0, 1.0, 0.0, 1.0])
    for rows in ([0], [1], [2], [3], [0, 1], [0, 1, 4], list(range(5))):
        value = loss.value(z[rows].reshape(-1, 1), loss.prepare(y[rows]))
        assert value >= 0.0
        assert _rel(value, _bce_reference(z[rows], y[rows])) <= 1e-12, rows


@pytest.mark.parametrize("margin", MARGINS)
def test_softmax_cross_entropy_is_exact_for_every_margin(margin: float) -> None:
    loss = make_loss("multiclass", 4, np.float64)
    base = np.array([0.0, -margin, -margin - 1.0, -2.0 * margin])
    # rows at different offsets: the shift by the batch's maximum is not each row's maximum
    z = np.stack([base, base + 50.0, base[::-1] - 30.0, np.roll(base, 2), base + 1e-3])
    y = np.array([0, 0, 3, 2, 1])
    for rows in ([0], [1], [2], [3], [4], [0, 1], [0, 1, 2, 3, 4]):
        value = loss.value(z[rows], loss.prepare(y[rows]))
        assert value >= 0.0
        assert _rel(value, _ce_reference(z[rows], y[rows])) <= 1e-12, rows


def test_losses_are_never_negative_on_confident_random_batches() -> None:
    rng = np.random.default_rng(5)
    for dtype in (np.float32, np.float64):
        bce, ce = make_loss("binary", 1, dtype), make_loss("multiclass", 5, dtype)
        for _ in range(50):
            y = (rng.random(64) > 0.5).astype(np.float64)
            z = ((2 * y - 1) * rng.uniform(5, 60, 64)).reshape(-1, 1).astype(dtype)
            assert bce.value(z, bce.prepare(y)) >= 0.0
            labels = rng.integers(0, 5, 64)
            zm = rng.normal(size=(64, 5)) + rng.uniform(-40, 40, (64, 1))
            zm[np.arange(64), labels] += rng.uniform(5, 60, 64)
            assert ce.value(zm.astype(dtype), ce.prepare(labels)) >= 0.0


def test_float32_training_never_reports_a_negative_loss() -> None:
    """The reported repro: float32 2-8-1 ReLU, Adam lr 0.1, separable 2-D blobs, 200 epochs."""
    rng = np.random.default_rng(0)
    y = (rng.random(200) > 0.5).astype(np.float64)
    x = rng.normal(0.0, 0.5, size=(200, 2)) + np.where(y[:, None] > 0, 2.0, -2.0)
    spec = ModelSpec(2, 1, (LayerSpec(8, "relu"),), "binary", dtype="float32")
    model = build_model(spec, np.random.default_rng([0, 0]))
    settings = TrainSettings(learning_rate=0.1, batch_size=10, optimizer=OptimizerSpec("adam"))
    trainer = Trainer(
        model, settings, x[:150], y[:150], x[150:], y[150:], np.random.default_rng([0, 1]),
        instruments=False,
    )  # fmt: skip
    losses = []
    for _ in range(200):
        record = trainer.run_epoch()
        losses += [record["train_loss"], record["val_loss"]]
    assert min(losses) >= 0.0
    assert max(losses[-20:]) < 1e-3  # it did become confident, which is what used to cancel
