"""Config name lists match the engine and data registries; the schema says when knobs apply."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from app.data import BUILTIN, CSV, DATASET_NAMES, FEATURES, GENERATORS, TASK_CHOICES
from app.engine.activations import ACTIVATIONS
from app.engine.initializers import INITIALIZERS
from app.engine.optimizers import OPTIMIZERS
from app.engine.schedules import SCHEDULES
from app.schemas import config as cfg
from app.schemas.config import SessionConfig


@pytest.mark.parametrize(
    ("literal", "registry"),
    [
        (cfg.Activation, tuple(ACTIVATIONS)),
        (cfg.OptimizerName, OPTIMIZERS),
        (cfg.ScheduleKind, SCHEDULES),
        (cfg.DatasetName, DATASET_NAMES),
        (cfg.FeatureName, tuple(FEATURES)),
        (cfg.Task, TASK_CHOICES),
    ],
    ids=["activations", "optimizers", "schedules", "datasets", "features", "tasks"],
)
def test_config_names_equal_the_registry(literal: Any, registry: tuple[str, ...]) -> None:
    assert list(get_args(literal)) == list(registry)


def test_initializers_are_the_registry_without_its_alias() -> None:
    # The engine also accepts "glorot", an alias of "xavier"; the config offers each kind once.
    distinct = [n for n, fn in INITIALIZERS.items() if n == fn.__name__]
    assert list(get_args(cfg.Initializer)) == distinct


def test_dataset_groups_cover_every_dataset_but_csv_once() -> None:
    grouped = [name for _, names in cfg.DATASET_GROUPS for name in names]
    assert sorted(grouped) == sorted(set(DATASET_NAMES) - {CSV})
    assert set(cfg.GENERATED) == set(GENERATORS)
    assert set(grouped[-len(BUILTIN) :]) == set(BUILTIN)


def _node(schema: dict[str, Any], path: str) -> dict[str, Any]:
    """The schema node of a dotted config path, through $ref and an `X | None` anyOf."""
    node: dict[str, Any] = schema
    for key in path.split("."):
        node = node["properties"][key]
        if "anyOf" in node:
            node = next(b for b in node["anyOf"] if b.get("type") != "null")
        if "$ref" in node:
            node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


@pytest.mark.parametrize(
    ("path", "condition"),
    [
        ("training.momentum", {"training.optimizer": ["sgd", "rmsprop"]}),
        ("training.nesterov", {"training.optimizer": ["sgd"]}),
        ("training.rho", {"training.optimizer": ["rmsprop"]}),
        ("training.eps", {"training.optimizer": ["rmsprop", "adagrad", "adam", "adamw"]}),
        ("training.weight_decay", {"training.optimizer": ["adamw"]}),
        (
            "training.schedule.min_lr",
            {"training.schedule.kind": ["step", "exponential", "cosine", "plateau"]},
        ),
        ("training.schedule.gamma", {"training.schedule.kind": ["step", "exponential"]}),
        ("training.early_stopping.patience", {"training.early_stopping.enabled": [True]}),
        ("dataset.task", {"dataset.name": ["csv"]}),
        ("training.histogram_every", {"training.instruments": [True]}),
        ("dataset.classes", {"dataset.name": ["spiral", "blobs"]}),
    ],
)
def test_schema_says_when_a_setting_applies(path: str, condition: dict[str, list[Any]]) -> None:
    assert _node(SessionConfig.model_json_schema(), path)["applies_when"] == condition


def test_settings_for_every_kind_carry_no_condition() -> None:
    schema = SessionConfig.model_json_schema()
    for path in (
        "training.learning_rate",
        "training.schedule.warmup_epochs",
        "model.init",
        "training.instruments",
        "training.eval_every",
    ):
        assert "applies_when" not in _node(schema, path)


def test_every_condition_names_a_config_path_and_its_values() -> None:
    schema = SessionConfig.model_json_schema()
    for model in schema["$defs"].values():
        for prop in model["properties"].values():
            branches = prop.get("anyOf", [prop])
            for node in branches:
                for path, values in node.get("applies_when", {}).items():
                    allowed = _node(schema, path)
                    if "enum" in allowed:
                        assert set(values) <= set(allowed["enum"]), path
                    else:
                        assert allowed["type"] == "boolean", path
