"""The fixes a diagnosis offers: a label and the partial config that applies it (pure functions).

Each builder reads the current config so that a fix keeps everything else: the same depth and
widths, only the activation or a flag changed. The partial configs are what a client sends in
`configure`; training settings and dropout apply live (weights kept), activations rebuild.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.schemas.config import SessionConfig, TrainingConfig

MAX_LR = next(
    float(m.le) for m in TrainingConfig.model_fields["learning_rate"].metadata if hasattr(m, "le")
)
ADAM_LR = 0.01  # Adam's usual default: the lr-adam preset shows it converging without tuning
FIX_CLIP_NORM = 1.0
# ×10 from lr-too-low's 1e-4 still crawls (the diagnosis comes back); ×100 reaches SGD's usual 0.01
RAISE_FACTOR = 100
FIX_DROPOUT = 0.5
FIX_L2 = 0.02
FIX_PATIENCE = 50


@dataclass(frozen=True)
class Fix:
    """A button: what it says and the partial config it sends."""

    label: str
    config: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for frames."""
        return {"label": self.label, "config": self.config}


def _layers(config: SessionConfig, **change: Any) -> list[dict[str, Any]]:
    return [{**layer.model_dump(), **change} for layer in config.model.layers]


def _fmt_lr(value: float) -> str:
    return f"{value:.3g}"


def relu_he(config: SessionConfig) -> Fix:
    """Swap every hidden activation for ReLU and re-initialise with He's rule."""
    return Fix(
        "Use ReLU + He init",
        {"model": {"layers": _layers(config, activation="relu"), "init": "he", "init_scale": 1.0}},
    )


def batch_norm(config: SessionConfig) -> Fix:
    """Batch normalisation before every hidden activation."""
    return Fix("Add batch norm", {"model": {"layers": _layers(config, batch_norm=True)}})


def leaky_relu(config: SessionConfig) -> Fix:
    """Leaky ReLU everywhere ReLU was: a dead unit still passes a small gradient."""
    layers = [
        {**layer, "activation": "leaky_relu"} if layer["activation"] == "relu" else layer
        for layer in _layers(config)
    ]
    return Fix("Use leaky ReLU", {"model": {"layers": layers}})


def clip(config: SessionConfig) -> Fix:
    """Clip the global gradient norm."""
    del config
    return Fix(f"Clip gradients at {FIX_CLIP_NORM:g}", {"training": {"clip_norm": FIX_CLIP_NORM}})


def lower_lr(config: SessionConfig) -> Fix:
    """A learning rate ten times smaller."""
    lr = config.training.learning_rate / 10
    return Fix(f"Lower learning rate ×0.1 (to {_fmt_lr(lr)})", {"training": {"learning_rate": lr}})


def raise_lr(config: SessionConfig) -> Fix:
    """A learning rate RAISE_FACTOR times larger (within the config's limit)."""
    lr = min(config.training.learning_rate * RAISE_FACTOR, MAX_LR)
    return Fix(
        f"Raise learning rate ×{RAISE_FACTOR} (to {_fmt_lr(lr)})",
        {"training": {"learning_rate": lr}},
    )


def adam(config: SessionConfig) -> Fix:
    """Adam at its usual learning rate."""
    del config
    return Fix(
        f"Switch to Adam (lr {ADAM_LR:g})",
        {"training": {"optimizer": "adam", "learning_rate": ADAM_LR}},
    )


def dropout(config: SessionConfig) -> Fix:
    """Dropout after every hidden layer (applies live)."""
    return Fix(
        f"Add dropout {FIX_DROPOUT:.0%}",
        {"model": {"layers": _layers(config, dropout=FIX_DROPOUT)}},
    )


def l2(config: SessionConfig) -> Fix:
    """An L2 penalty on the weights (applies live)."""
    value = max(FIX_L2, config.training.l2 * 10)
    return Fix(f"Add L2 {value:g}", {"training": {"l2": value}})


def early_stopping(config: SessionConfig) -> Fix:
    """Stop once validation loss stops improving, keeping the best weights."""
    del config
    return Fix(
        "Stop early (best weights)",
        {"training": {"early_stopping": {"enabled": True, "patience": FIX_PATIENCE}}},
    )


def lr_fixes(config: SessionConfig, direction: str) -> list[Fix]:
    """Learning-rate fixes, leaving out Adam when the run already uses it."""
    fixes = [lower_lr(config) if direction == "down" else raise_lr(config)]
    if config.training.optimizer != "adam":
        fixes.append(adam(config))
    return fixes
