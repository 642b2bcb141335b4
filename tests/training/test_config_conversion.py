"""The app's Run and a notebook's from_config.build train identically from one config dict."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.data import prepare
from app.data.from_config import data_spec
from app.engine import from_config
from app.schemas.config import SessionConfig, merge_config
from app.training.run import Run


def _config(patch: dict) -> SessionConfig:
    return merge_config(SessionConfig(), patch)


@pytest.mark.parametrize(
    "patch",
    [
        {
            "model": {"layers": [{"units": 6, "activation": "relu", "batch_norm": True}]},
            "training": {"optimizer": "rmsprop", "momentum": 0.3, "l2": 1e-3, "seed": 5},
        },
        {
            # a left-over class count on a two-class shape is ignored, as in a session
            "dataset": {"name": "circle", "classes": 4, "samples": 101, "val_fraction": 0.2},
            "training": {"batch_size": 8, "schedule": {"kind": "cosine", "period": 3}},
        },
        {
            "dataset": {"name": "blobs", "classes": 4, "features": ["x1", "x2", "x1x2"]},
            "model": {"layers": [{"units": 5, "activation": "gelu", "dropout": 0.2}]},
            "training": {"optimizer": "adamw", "weight_decay": 0.01, "clip_norm": 1.0},
        },
    ],
)
def test_run_and_the_plain_dict_path_give_bit_identical_records(patch: dict) -> None:
    config = _config(patch)
    run = Run(config)
    plain = json.loads(json.dumps(config.model_dump()))  # what the CLI and the page hold
    data = prepare(data_spec(plain["dataset"]))
    model, trainer = from_config.build(
        plain, data.x_train, data.y_train, data.x_val, data.y_val,
        task=data.task, n_outputs=data.n_outputs(),
    )  # fmt: skip
    for _ in range(5):
        assert json.dumps(run.train_epoch()) == json.dumps(trainer.run_epoch())
    np.testing.assert_array_equal(run.model.theta, model.theta)
    assert [n for n, _ in run.model.buffers()] == [n for n, _ in model.buffers()]


def test_a_missing_dataset_key_is_named() -> None:
    dataset = SessionConfig().model_dump()["dataset"]
    del dataset["noise"]
    with pytest.raises(ValueError, match=r"expected keys \['noise'\] in config\[\"dataset\"\]"):
        data_spec(dataset)


def test_rmsprop_momentum_from_the_config_reaches_the_optimiser() -> None:
    run = Run(_config({"training": {"optimizer": "rmsprop", "momentum": 0.6}}))
    assert run.trainer.optimizer.spec.momentum == 0.6
    run.apply(_config({"training": {"optimizer": "rmsprop", "momentum": 0.2}}))
    assert run.trainer.optimizer.spec.momentum == 0.2
    run.apply(_config({"training": {"optimizer": "adam", "momentum": 0.2}}))
    assert run.trainer.optimizer.spec.momentum == 0.0


def test_schema_says_momentum_applies_to_rmsprop() -> None:
    field = SessionConfig.model_json_schema()["$defs"]["TrainingConfig"]["properties"]["momentum"]
    assert field["applies_when"] == {"training.optimizer": ["sgd", "rmsprop"]}
