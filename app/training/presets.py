"""Built-in demos: each reproduces one classic training problem, or its fix, from a fixed seed.

Each note must hold on any CPU, not on one lucky trajectory: float32 training is chaotic, and the
last-bit differences between BLAS kernels grow into different runs. tests/training/test_presets.py
checks every number quoted here, with a margin, from the preset's own seeds and the next four, and
`make test` runs it under two more forced OpenBLAS kernels; `python -m bench.preset_margins` prints
how far each figure is from its edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.schemas.config import SessionConfig, merge_config


@dataclass(frozen=True)
class Preset:
    """A named config with a short explanation of what to watch."""

    id: str
    title: str
    description: str
    config: SessionConfig


def _layers(count: int, units: int, activation: str, **extra: Any) -> list[dict[str, Any]]:
    return [{"units": units, "activation": activation, **extra} for _ in range(count)]


def _preset(preset_id: str, title: str, description: str, patch: dict[str, Any]) -> Preset:
    return Preset(preset_id, title, description, merge_config(SessionConfig(), patch))


def _variant(
    base: Preset, preset_id: str, title: str, description: str, patch: dict[str, Any]
) -> Preset:
    return Preset(preset_id, title, description, merge_config(base.config, patch))


_SPIRAL = _preset(
    "spiral",
    "Spiral: the classic",
    "Two interleaved spirals and a small tanh network. Press play and watch the loss fall and the "
    "decision boundary bend around the arms.",
    {},
)

# Circle data is easy, so whether the deep network learns depends only on its gradients.
_VANISHING = _preset(
    "vanishing-gradients",
    "Vanishing gradients",
    "Eight sigmoid layers started with small weights (normal, σ = 0.1). On the way back every "
    "layer multiplies the gradient by a sigmoid slope of at most 0.25 and by those small weights, "
    "so the first layer's gradient norm is about 10⁸ times smaller than the last layer's and "
    "accuracy stays at chance. Watch the per-layer gradient norms fan out on the log chart.",
    {
        "dataset": {"name": "circle", "samples": 400, "noise": 0.05},
        "model": {"layers": _layers(8, 12, "sigmoid"), "init": "normal", "init_scale": 0.1},
        "training": {"learning_rate": 0.03, "batch_size": 40, "optimizer": "sgd", "momentum": 0.9},
    },
)

# Full-batch steps: with mini-batches the blow-up happens inside the first epoch and leaves a
# dead ReLU network instead of a visible climb to overflow.
_EXPLODING = _preset(
    "exploding-gradients",
    "Exploding gradients",
    "Eight ReLU layers initialised 1.5× larger than He's rule, so every layer amplifies the "
    "signal and its gradient, trained by full-batch gradient descent with momentum. The global "
    "gradient norm starts in the tens or hundreds and grows a hundredfold or more within a few "
    "epochs, until the loss overflows and the run stops as diverged, by about epoch 6: press "
    "Step to watch it epoch by epoch.",
    {
        "dataset": {"name": "circle", "samples": 400, "noise": 0.05},
        "model": {"layers": _layers(8, 16, "relu"), "init": "he", "init_scale": 1.5},
        "training": {"learning_rate": 0.2, "batch_size": 280, "optimizer": "sgd", "momentum": 0.9},
    },
)

# Label noise near the circle's edge and only 60 training points: there is noise to memorise, and
# enough signal that validation loss first falls on every seed before it climbs.
_OVERFITTING = _preset(
    "overfitting",
    "Overfitting",
    "Sixty noisy training points, three wide ReLU layers and plain SGD left to run. Validation "
    "loss bottoms out within the first hundred or so epochs, then climbs to twice its best or "
    "more while training loss keeps falling towards zero: the network memorises the noise. Watch "
    "the boundary wrap around single points.",
    {
        "dataset": {"name": "circle", "samples": 120, "noise": 0.3, "val_fraction": 0.5},
        "model": {"layers": _layers(3, 64, "relu"), "init": "he"},
        "training": {"learning_rate": 0.003, "batch_size": 8, "optimizer": "sgd", "momentum": 0.9},
    },
)

_LR_BASE = _preset(
    "lr-too-low",
    "Learning rate too low",
    "Plain SGD with a learning rate of 0.0001: after a hundred epochs the training loss has moved "
    "by only a few percent and accuracy is still near where it started. Nothing is wrong with the "
    "network; it is just taking tiny steps.",
    {
        "dataset": {"name": "spiral", "samples": 400, "noise": 0.1},
        "model": {"layers": _layers(2, 16, "tanh")},
        "training": {"learning_rate": 1e-4, "batch_size": 10, "optimizer": "sgd", "momentum": 0.0},
    },
)

PRESET_LIST: tuple[Preset, ...] = (
    _SPIRAL,
    _VANISHING,
    _variant(
        _VANISHING,
        "vanishing-gradients-relu",
        "Vanishing gradients, fixed with ReLU + He init",
        "The same deep network with ReLU units and He initialisation: an active ReLU passes the "
        "gradient on unchanged and He's scaling keeps its size from layer to layer, so the first "
        "and last layers' gradient norms stay within a factor of ten or so of each other (the "
        "sigmoid network's are 10⁸ apart) and validation accuracy passes 90 % within ten epochs.",
        {"model": {"layers": _layers(8, 12, "relu"), "init": "he", "init_scale": 1.0}},
    ),
    _variant(
        _VANISHING,
        "vanishing-gradients-batchnorm",
        "Vanishing gradients, fixed with batch normalisation",
        "The same sigmoid network and small initial weights, with batch normalisation before each "
        "activation: every layer's inputs are re-centred and re-scaled into the sigmoid's steep "
        "middle, so the gradient reaches the first layer within about a factor of ten of the last "
        "and validation accuracy passes 90 % within about thirty epochs.",
        {"model": {"layers": _layers(8, 12, "sigmoid", batch_norm=True)}},
    ),
    _EXPLODING,
    _variant(
        _EXPLODING,
        "exploding-gradients-clipped",
        "Exploding gradients, tamed by clipping",
        "The same network and learning rate with the global gradient norm clipped to 1. The "
        "gradient chart shows the raw norm (tens to hundreds at first) over the clipped one, "
        "every update stays small, and validation accuracy passes 90 % within about 50 epochs.",
        {"training": {"clip_norm": 1.0}},
    ),
    _OVERFITTING,
    _variant(
        _OVERFITTING,
        "overfitting-dropout",
        "Overfitting, reduced with dropout",
        "The same data and network with 50 % dropout after each hidden layer. Training is noisier "
        "and slower, and the gap between training and validation loss opens far more slowly: on "
        "average less than half as wide as without dropout. It does open in the end, because "
        "dropout slows memorisation rather than forbidding it.",
        {"model": {"layers": _layers(3, 64, "relu", dropout=0.5)}},
    ),
    _variant(
        _OVERFITTING,
        "overfitting-l2",
        "Overfitting, reduced with L2 regularisation",
        "The same data and network with an L2 penalty of 0.02 on the weights: the weights stay "
        "small, the boundary stays a smooth circle, and validation loss levels off near its best "
        "instead of climbing to twice it or more.",
        {"training": {"l2": 0.02}},
    ),
    _variant(
        _OVERFITTING,
        "overfitting-early-stopping",
        "Overfitting, cut short by early stopping",
        "The same run, stopped once validation loss has not improved for 50 epochs, with the "
        "weights of the best epoch restored. It stops within the first two hundred or so epochs, "
        "before the network has had time to memorise the noise.",
        {"training": {"early_stopping": {"enabled": True, "patience": 50, "restore_best": True}}},
    ),
    _variant(
        _LR_BASE,
        "lr-too-high",
        "Learning rate too high",
        "Plain SGD with a learning rate of 5: every step overshoots the minimum, so the training "
        "loss jumps up and down between about 1 and 10, never even reaching the untrained "
        "network's loss, instead of falling.",
        {"training": {"learning_rate": 5.0}},
    ),
    _LR_BASE,
    _variant(
        _LR_BASE,
        "lr-adam",
        "Adam adapts the step size",
        "The same network with Adam at its usual learning rate of 0.01: per-parameter step sizes "
        "make it converge without tuning: a training loss of about 0.1 or less after 100 "
        "epochs, and validation accuracy around 90 % or better from then on.",
        {"training": {"optimizer": "adam", "learning_rate": 0.01}},
    ),
    _variant(
        _LR_BASE,
        "lr-schedule",
        "A schedule: warm up, then anneal",
        "SGD with momentum: 5 epochs of warm-up to a learning rate of 0.05, then cosine decay to "
        "0.001 over 300 epochs. Big steps early, small steps late, so the loss falls fast, then "
        "settles instead of bouncing; the learning-rate chart shows the schedule.",
        {
            "training": {
                "learning_rate": 0.05,
                "momentum": 0.9,
                "schedule": {"kind": "cosine", "warmup_epochs": 5, "period": 300, "min_lr": 0.001},
            }
        },
    ),
)

PRESETS: dict[str, Preset] = {p.id: p for p in PRESET_LIST}


def preset_config(preset_id: str) -> SessionConfig:
    """The config of a preset (a copy: callers may change it)."""
    return PRESETS[preset_id].config.model_copy(deep=True)
