"""The engine's specs from the app's plain JSON config dict, so a notebook builds what the app does.

The app validates a config with pydantic and then calls these same functions on its sections
(`app/training/run.py`), so there is one conversion. Here nothing is defaulted: a section must
carry every key read below (a config written by the app or the CLI does; of the schedule, only
`kind` is required); keys the engine does not use are ignored.

    model, trainer = build(config, x_train, y_train, x_val, y_val, task="binary")

Seeding: the model's weights come from `default_rng([seed, 0])`, the trainer's shuffles from
`default_rng([seed, 1])`, seed = config["training"]["seed"], as in a browser session.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

import numpy as np

from app.engine.early_stopping import EarlyStoppingSpec
from app.engine.model import LayerSpec, Model, ModelSpec, build_model
from app.engine.numerics import Array
from app.engine.optimizer_base import MOMENTUM_OPTIMIZERS, OptimizerSpec
from app.engine.schedules import ScheduleSpec
from app.engine.trainer import Trainer, TrainSettings

Section = Mapping[str, Any]

SCHEDULE_KNOBS = tuple(f.name for f in fields(ScheduleSpec))


def _get(section: Section, key: str, where: str) -> Any:
    """section[key], or a ValueError naming the missing key and where it was expected."""
    if not isinstance(section, Mapping):
        raise ValueError(f"expected {where} to be a dict, received {type(section).__name__}")
    try:
        return section[key]
    except KeyError:
        raise ValueError(f"expected key {key!r} in {where}; it has {sorted(section)}") from None


def model_spec(model: Section, n_inputs: int, n_outputs: int, task: str) -> ModelSpec:
    """ModelSpec from config["model"]; inputs, outputs and task come from the data."""
    where = 'config["model"]'
    layers = _get(model, "layers", where)
    hidden = tuple(
        LayerSpec(
            _get(layer, "units", f'{where}["layers"][{i}]'),
            _get(layer, "activation", f'{where}["layers"][{i}]'),
            _get(layer, "batch_norm", f'{where}["layers"][{i}]'),
            _get(layer, "dropout", f'{where}["layers"][{i}]'),
        )
        for i, layer in enumerate(layers)
    )
    return ModelSpec(
        n_inputs=n_inputs,
        n_outputs=n_outputs,
        hidden=hidden,
        task=task,
        init=_get(model, "init", where),
        init_scale=_get(model, "init_scale", where),
        dtype=_get(model, "dtype", where),
    )


def train_settings(training: Section) -> TrainSettings:
    """TrainSettings from config["training"]; momentum applies to the optimisers that use it."""
    where = 'config["training"]'

    def get(key: str) -> Any:
        return _get(training, key, where)

    name = get("optimizer")
    schedule = get("schedule")
    es = get("early_stopping")
    es_where = f'{where}["early_stopping"]'
    return TrainSettings(
        learning_rate=get("learning_rate"),
        batch_size=get("batch_size"),
        optimizer=OptimizerSpec(
            name=name,
            momentum=get("momentum") if name in MOMENTUM_OPTIMIZERS else 0.0,
            nesterov=get("nesterov"),
            beta1=get("beta1"),
            beta2=get("beta2"),
            eps=get("eps"),
            rho=get("rho"),
            weight_decay=get("weight_decay"),
        ),
        l1=get("l1"),
        l2=get("l2"),
        clip_norm=get("clip_norm"),
        clip_value=get("clip_value"),
        schedule=_schedule(schedule, f'{where}["schedule"]'),
        early_stopping=(
            EarlyStoppingSpec(
                patience=_get(es, "patience", es_where),
                min_delta=_get(es, "min_delta", es_where),
                restore_best=_get(es, "restore_best", es_where),
            )
            if _get(es, "enabled", es_where)
            else None
        ),
        histogram_every=get("histogram_every"),
        # optional in a headless config dict: older configs measure everything, every epoch
        eval_every=training.get("eval_every", 1),
        instruments=training.get("instruments", True),
    )


def _schedule(schedule: Section, where: str) -> ScheduleSpec:
    """ScheduleSpec from the knobs the section has (`kind` is required; the app sends them all)."""
    _get(schedule, "kind", where)
    return ScheduleSpec(**{k: schedule[k] for k in SCHEDULE_KNOBS if k in schedule})


def seeded_rngs(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """(weights' Generator, trainer's Generator) for a config's training seed."""
    return np.random.default_rng([seed, 0]), np.random.default_rng([seed, 1])


def build(
    config: Section,
    x_train: Array,
    y_train: Array,
    x_val: Array,
    y_val: Array,
    *,
    task: str,
    n_outputs: int | None = None,
    instruments: bool = True,
) -> tuple[Model, Trainer]:
    """(model, trainer) for a whole config dict and data, as a session builds them.

    task: binary | multiclass | regression; n_outputs defaults to 1, or for multiclass to the
    largest label in y_train and y_val plus one (pass the class count if a class may be absent).
    """
    if n_outputs is None:
        labels = [np.asarray(y).reshape(-1) for y in (y_train, y_val)]
        top = max((int(v.max()) for v in labels if v.size), default=0)
        n_outputs = top + 1 if task == "multiclass" else 1
    x = np.asarray(x_train)
    if x.ndim != 2:
        raise ValueError(f"expected x_train of shape (n, features), received shape {x.shape}")
    spec = model_spec(_get(config, "model", "config"), x.shape[1], n_outputs, task)
    training = _get(config, "training", "config")
    settings = train_settings(training)
    weights_rng, trainer_rng = seeded_rngs(int(_get(training, "seed", 'config["training"]')))
    model = build_model(spec, weights_rng)
    trainer = Trainer(
        model, settings, x, y_train, x_val, y_val, trainer_rng, instruments=instruments
    )
    return model, trainer
