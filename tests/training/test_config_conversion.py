"""The app's Run and a notebook's from_config.build train identically from one config dict."""

from __future__ import annotations

import json

import numpy as np

from app.data import DataSpec, prepare
from app.engine import from_config
from app.schemas.config import SessionConfig, merge_config
from app.training.run import Run


def _config(patch: dict) -> SessionConfig:
    return merge_config(SessionConfig(), patch)


def test_run_and_from_config_build_give_bit_identical_records() -> None:
    config = _config(
        {
            "model": {"layers": [{"units": 6, "activation": "relu", "batch_norm": True}]},
            "training": {"optimizer": "rmsprop", "momentum": 0.3, "l2": 1e-3, "seed": 5},
        }
    )
    run = Run(config)
    plain = json.loads(json.dumps(config.model_dump()))  # what the CLI and the page hold
    ds = plain["dataset"]
    data = prepare(
        DataSpec(
            name=ds["name"], samples=ds["samples"], noise=ds["noise"],
            val_fraction=ds["val_fraction"], seed=ds["seed"], features=tuple(ds["features"]),
        )
    )  # fmt: skip
    model, trainer = from_config.build(
        plain, data.x_train, data.y_train, data.x_val, data.y_val, task=data.task
    )
    for _ in range(5):
        assert json.dumps(run.train_epoch()) == json.dumps(trainer.run_epoch())
    np.testing.assert_array_equal(run.model.theta, model.theta)
    assert [n for n, _ in run.model.buffers()] == ["bn0.running_mean", "bn0.running_var"]


def test_rmsprop_momentum_from_the_config_reaches_the_optimiser() -> None:
    run = Run(_config({"training": {"optimizer": "rmsprop", "momentum": 0.6}}))
    assert run.trainer.optimizer.spec.momentum == 0.6
    run.apply(_config({"training": {"optimizer": "rmsprop", "momentum": 0.2}}))
    assert run.trainer.optimizer.spec.momentum == 0.2
    run.apply(_config({"training": {"optimizer": "adam", "momentum": 0.2}}))
    assert run.trainer.optimizer.spec.momentum == 0.0


def test_schema_says_momentum_applies_to_rmsprop() -> None:
    field = SessionConfig.model_json_schema()["$defs"]["TrainingConfig"]["properties"]["momentum"]
    assert "rmsprop" in field["description"]
