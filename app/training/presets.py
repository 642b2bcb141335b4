"""Built-in demos: each reproduces one classic training problem, or its fix, from a fixed seed."""

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


def _variant(base: Preset, preset_id: str, title: str, description: str, patch: dict[str, Any]) -> Preset:
    return Preset(preset_id, title, description, merge_config(base.config, patch))


_SPIRAL = _preset(
    "spiral",
    "Spiral: the classic",
    "Two interleaved spirals and a small tanh network. Press play and watch the loss fall and the "
    "decision boundary bend around the arms.",
    {},
)

_VANISHING = _preset(
    "vanishing-gradients",
    "Vanishing gradients",
    "Eight sigmoid layers with small initial weights. Each layer multiplies the gradient by at most 0.25, "
    "so the first layer's gradient norm sits orders of magnitude below the last one's and accuracy stays "
    "near chance. Watch the gradient-norm chart fan out.",
    {
        "dataset": {"name": "circle", "samples": 400, "noise": 0.05},
        "model": {"layers": _layers(8, 12, "sigmoid"), "init": "normal", "init_scale": 0.1},
        "training": {"learning_rate": 0.1, "batch_size": 16, "optimizer": "sgd", "momentum": 0.9},
    },
)

_EXPLODING = _preset(
    "exploding-gradients",
    "Exploding gradients",
    "A deep ReLU network started with oversized weights and a brisk learning rate. Gradient norms grow "
    "by orders of magnitude from layer to layer until the loss overflows and the run diverges.",
    {
        "dataset": {"name": "circle", "samples": 400, "noise": 0.05},
        "model": {"layers": _layers(8, 16, "relu"), "init": "normal", "init_scale": 1.5},
        "training": {"learning_rate": 0.05, "batch_size": 16, "optimizer": "sgd", "momentum": 0.9},
    },
)

_OVERFITTING = _preset(
    "overfitting",
    "Overfitting",
    "Few noisy points and a wide network trained for a long time. Training loss keeps falling while "
    "validation loss turns and climbs: the network memorises the noise.",
    {
        "dataset": {"name": "gaussian", "samples": 80, "noise": 0.6, "val_fraction": 0.5},
        "model": {"layers": _layers(3, 64, "relu"), "init": "he"},
        "training": {"learning_rate": 0.01, "batch_size": 8, "optimizer": "adam"},
    },
)

_LR_BASE = _preset(
    "lr-too-low",
    "Learning rate too low",
    "Plain SGD with a learning rate of 1e-4: the loss barely moves in a hundred epochs. Nothing is "
    "wrong with the network; it is just taking tiny steps.",
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
        "The same deep network with ReLU units and He initialisation: the gradient norms of all layers stay "
        "within a factor of ten of each other and the network learns.",
        {"model": {"layers": _layers(8, 12, "relu"), "init": "he", "init_scale": 1.0}},
    ),
    _variant(
        _VANISHING,
        "vanishing-gradients-batchnorm",
        "Vanishing gradients, fixed with batch normalisation",
        "The same deep sigmoid network with batch normalisation before each activation: every layer's "
        "inputs are re-centred, gradients reach the first layer and the network learns.",
        {"model": {"layers": _layers(8, 12, "sigmoid", batch_norm=True)}},
    ),
    _EXPLODING,
    _variant(
        _EXPLODING,
        "exploding-gradients-clipped",
        "Exploding gradients, tamed by clipping",
        "The same network with the global gradient norm clipped to 1: the update size stays bounded, "
        "the gradient chart shows the pre-clip norm above the clipped one, and the network learns.",
        {"training": {"clip_norm": 1.0}},
    ),
    _OVERFITTING,
    _variant(
        _OVERFITTING,
        "overfitting-dropout",
        "Overfitting, reduced with dropout",
        "The same data and network with 50% dropout after each hidden layer: training is noisier, and the "
        "gap between training and validation loss stays small.",
        {"model": {"layers": _layers(3, 64, "relu", dropout=0.5)}},
    ),
    _variant(
        _OVERFITTING,
        "overfitting-l2",
        "Overfitting, reduced with L2 regularisation",
        "The same data and network with an L2 penalty on the weights: the boundary stays smooth and "
        "validation loss does not climb.",
        {"training": {"l2": 0.01}},
    ),
    _variant(
        _OVERFITTING,
        "overfitting-early-stopping",
        "Overfitting, cut short by early stopping",
        "The same run, stopped when validation loss has not improved for 20 epochs, with the best "
        "weights restored.",
        {"training": {"early_stopping": {"enabled": True, "patience": 20, "restore_best": True}}},
    ),
    _variant(
        _LR_BASE,
        "lr-too-high",
        "Learning rate too high",
        "Plain SGD with a learning rate of 5: every step overshoots the minimum, so the loss jumps "
        "around or blows up instead of falling.",
        {"training": {"learning_rate": 5.0}},
    ),
    _LR_BASE,
    _variant(
        _LR_BASE,
        "lr-adam",
        "Adam adapts the step size",
        "The same network with Adam at its usual learning rate of 0.01: per-parameter step sizes make it "
        "converge quickly without tuning.",
        {"training": {"optimizer": "adam", "learning_rate": 0.01}},
    ),
    _variant(
        _LR_BASE,
        "lr-schedule",
        "A schedule: warm up, then anneal",
        "SGD with momentum, a short warm-up and cosine decay: big steps early, small steps late. The "
        "learning-rate chart shows the schedule.",
        {
            "training": {
                "learning_rate": 0.1,
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
