"""Config validation, merging and the rebuild rule."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.schemas.config import SessionConfig, deep_merge, merge_config, needs_rebuild
from app.schemas.messages import describe_validation_error


def test_defaults_are_the_spiral_with_two_tanh_layers() -> None:
    config = SessionConfig()
    assert config.dataset.name == "spiral"
    assert [layer.units for layer in config.model.layers] == [8, 8]
    assert config.training.learning_rate == pytest.approx(0.01)


def test_deep_merge_merges_dicts_and_replaces_lists() -> None:
    base = {"a": {"b": 1, "c": 2}, "l": [1, 2]}
    assert deep_merge(base, {"a": {"c": 3}, "l": [9]}) == {"a": {"b": 1, "c": 3}, "l": [9]}
    assert base == {"a": {"b": 1, "c": 2}, "l": [1, 2]}


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"training": {"learning_rate": -1}}, "training.learning_rate"),
        ({"training": {"learning_rat": 0.1}}, "training.learning_rat"),
        ({"model": {"layers": [{"units": 0}]}}, "model.layers.0.units"),
        ({"model": {"layers": [{"units": 4}] * 11}}, "model.layers"),
        ({"model": {"layers": [{"activation": "swishy"}]}}, "model.layers.0.activation"),
        ({"dataset": {"name": "mnist"}}, "dataset.name"),
        ({"dataset": {"samples": 10**6}}, "dataset.samples"),
        ({"dataset": {"features": ["x1", "x1"]}}, "dataset"),
        ({"dataset": {"name": "csv"}}, "dataset"),
        ({"training": {"epochs_per_second": 0}}, "training.epochs_per_second"),
        ({"training": {"epochs_per_second": 10**6}}, "training.epochs_per_second"),
        ({"training": {"stop_at_epoch": 0}}, "training.stop_at_epoch"),
    ],
)
def test_bad_values_name_the_field(patch: dict, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        merge_config(SessionConfig(), patch)
    assert describe_validation_error(info.value).startswith(field)


def test_training_and_dropout_changes_keep_weights_others_rebuild() -> None:
    base = SessionConfig()
    live = merge_config(base, {"training": {"learning_rate": 1.0, "optimizer": "adam", "l2": 0.1}})
    assert not needs_rebuild(base, live)
    paced = merge_config(base, {"training": {"epochs_per_second": 2, "stop_at_epoch": 50}})
    assert not needs_rebuild(base, paced)
    dropout = merge_config(base, {"model": {"layers": [{"dropout": 0.3}, {"dropout": 0.1}]}})
    assert not needs_rebuild(base, dropout)
    assert needs_rebuild(base, merge_config(base, {"model": {"layers": [{"units": 3}]}}))
    assert needs_rebuild(base, merge_config(base, {"model": {"init": "he"}}))
    assert needs_rebuild(base, merge_config(base, {"dataset": {"name": "xor"}}))
