"""Regenerate inspection-fixtures.json (real `inspection` frames) for the Node tests of the TeX.

Usage, from the repository root: python -m tests.js.inspection_fixtures
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.schemas.config import SessionConfig
from app.schemas.messages import replace_non_finite
from app.training.inspection import inspection_frame
from app.training.run import Run

OUT = Path(__file__).with_name("inspection-fixtures.json")
CASES: dict[str, dict[str, Any]] = {
    "binary_adam_bn_dropout": {
        "model": {
            "layers": [
                {"units": 4, "activation": "tanh", "batch_norm": True, "dropout": 0.3},
                {"units": 3, "activation": "relu"},
            ]
        },
        "training": {"optimizer": "adam", "learning_rate": 0.01},
    },
    "multiclass_momentum": {
        "dataset": {"name": "blobs"},
        "model": {"layers": [{"units": 3, "activation": "swish"}]},
        "training": {"optimizer": "sgd", "momentum": 0.9, "l2": 0.001},
    },
    "regression_rmsprop_clip": {
        "dataset": {"name": "sine"},
        "model": {"layers": [{"units": 8, "activation": "sigmoid"}]},
        "training": {"optimizer": "rmsprop", "clip_norm": 0.01},
    },
}


def main() -> None:
    """Train each case two epochs and write its inspection frame for training point 5."""
    frames = {}
    for name, patch in CASES.items():
        run = Run(SessionConfig.model_validate(patch))
        for _ in range(2):
            run.train_epoch()
        frames[name] = replace_non_finite(inspection_frame(run, 5))
    OUT.write_text(json.dumps(frames, separators=(",", ":")))


if __name__ == "__main__":
    main()
