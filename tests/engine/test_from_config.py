"""from_config: the engine's specs from the app's plain config dict; named batch-norm buffers."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from app.data.generators import generate
from app.engine import from_config
from app.engine.adaptive import RmsProp

CONFIG: dict[str, Any] = {
    "model": {
        "layers": [
            {"units": 6, "activation": "relu", "batch_norm": True, "dropout": 0.0},
            {"units": 4, "activation": "tanh", "batch_norm": False, "dropout": 0.1},
        ],
        "init": "he",
        "init_scale": 1.0,
        "dtype": "float64",
    },
    "training": {
        "learning_rate": 0.01, "batch_size": 16, "optimizer": "rmsprop", "momentum": 0.5,
        "nesterov": False, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "rho": 0.9,
        "weight_decay": 0.0, "l1": 0.0, "l2": 1e-3, "clip_norm": 5.0, "clip_value": None,
        "schedule": {
            "kind": "cosine", "step_size": 50, "gamma": 0.5, "warmup_epochs": 2, "period": 40,
            "min_lr": 1e-4, "patience": 10, "factor": 0.5,
        },
        "early_stopping": {"enabled": True, "patience": 7, "min_delta": 0.0, "restore_best": True},
        "histogram_every": 0,
        "seed": 3,
    },
}  # fmt: skip


def _data() -> tuple[np.ndarray, ...]:
    x, y = generate("circle", 120, 0.1, 2)
    return x[:90], y[:90], x[90:], y[90:]


def _with(section: str, **changes: Any) -> dict[str, Any]:
    config = copy.deepcopy(CONFIG)
    config[section].update(changes)
    return config


def test_settings_follow_the_dict() -> None:
    s = from_config.train_settings(CONFIG["training"])
    assert (s.learning_rate, s.batch_size, s.l2, s.clip_norm) == (0.01, 16, 1e-3, 5.0)
    assert s.optimizer.name == "rmsprop" and s.optimizer.momentum == 0.5
    assert s.schedule.kind == "cosine" and s.schedule.period == 40
    assert s.early_stopping is not None and s.early_stopping.patience == 7
    spec = from_config.model_spec(CONFIG["model"], 2, 1, "binary")
    assert spec.sizes == (2, 6, 4, 1) and spec.hidden[0].batch_norm and spec.init == "he"


@pytest.mark.parametrize(
    "name,expected", [("sgd", 0.5), ("rmsprop", 0.5), ("adam", 0.0), ("adagrad", 0.0)]
)
def test_momentum_reaches_the_optimisers_that_use_it(name: str, expected: float) -> None:
    settings = from_config.train_settings(_with("training", optimizer=name)["training"])
    assert settings.optimizer.momentum == expected


def test_rmsprop_momentum_changes_training() -> None:
    records = {}
    for mu in (0.0, 0.5):
        model, trainer = from_config.build(
            _with("training", momentum=mu), *_data(), task="binary", instruments=False
        )
        assert isinstance(trainer.optimizer, RmsProp)
        assert trainer.optimizer.spec.momentum == mu
        trainer.run_epoch()
        records[mu] = model.theta.copy()
    assert not np.allclose(records[0.0], records[0.5])


def test_build_is_deterministic_and_seeded_by_the_training_seed() -> None:
    def run(config: dict[str, Any]) -> list[float]:
        _, trainer = from_config.build(config, *_data(), task="binary", instruments=False)
        return [trainer.run_epoch()["train_loss"] for _ in range(3)]

    assert run(CONFIG) == run(CONFIG)
    assert run(CONFIG) != run(_with("training", seed=4))


def test_multiclass_outputs_are_inferred_from_the_labels() -> None:
    x, y = generate("blobs", 90, 0.1, 1, classes=4)
    model, _ = from_config.build(CONFIG, x[:60], y[:60], x[60:], y[60:], task="multiclass")
    assert model.spec.n_outputs == 4
    model, _ = from_config.build(
        CONFIG, x[:60], y[:60], x[60:], y[60:], task="multiclass", n_outputs=6
    )
    assert model.spec.n_outputs == 6


def test_a_missing_key_is_named() -> None:
    training = dict(CONFIG["training"])
    del training["rho"]
    with pytest.raises(ValueError, match=r"expected key 'rho' in config\[\"training\"\]"):
        from_config.train_settings(training)
    layers = [{"units": 3, "activation": "tanh", "dropout": 0.0}]
    with pytest.raises(ValueError, match=r"'batch_norm'.*layers.*0"):
        from_config.model_spec({**CONFIG["model"], "layers": layers}, 2, 1, "binary")
    with pytest.raises(ValueError, match="expected key 'model' in config"):
        from_config.build({"training": CONFIG["training"]}, *_data(), task="binary")


def test_buffers_name_the_batch_norm_running_statistics() -> None:
    model, trainer = from_config.build(CONFIG, *_data(), task="binary")
    buffers = dict(model.buffers())
    assert list(buffers) == ["bn0.running_mean", "bn0.running_var"]
    assert [n for n, _, _ in model.parameters()][:4] == [
        "dense0.W", "dense0.b", "bn0.gamma", "bn0.beta"
    ]  # fmt: skip
    np.testing.assert_array_equal(buffers["bn0.running_var"], 1.0)
    trainer.run_epoch()
    assert not np.allclose(buffers["bn0.running_var"], 1.0)  # live views of the model's state
    assert all(np.shares_memory(v, model.state) for v in buffers.values())
    plain, _ = from_config.build(_with("model", layers=[CONFIG["model"]["layers"][1]]), *_data(),
                                 task="binary")  # fmt: skip
    assert list(plain.buffers()) == []
