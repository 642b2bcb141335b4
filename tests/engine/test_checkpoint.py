"""Checkpoints: a trainer restored from one continues bit-identically; bad input is refused."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.checkpoint import capture, from_bytes, parameters_of, restore, to_bytes
from app.schemas.config import SessionConfig, merge_config
from app.training.run import Run

CONFIGS = {
    "sgd-momentum": {},
    "adam-bn-dropout-plateau": {
        "model": {"layers": [{"units": 6, "batch_norm": True, "dropout": 0.2}, {"units": 4}]},
        "training": {
            "optimizer": "adam",
            "schedule": {"kind": "plateau", "patience": 2},
            "early_stopping": {"enabled": True, "patience": 50},
        },
    },
    "rmsprop-momentum": {"training": {"optimizer": "rmsprop", "momentum": 0.5}},
}


def _strip(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "histograms"}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_restored_trainer_continues_bit_identically(name: str) -> None:
    config = merge_config(SessionConfig(), {**CONFIGS[name], "dataset": {"samples": 120}})
    straight = Run(config)
    for _ in range(7):
        straight.train_epoch()
    state = from_bytes(to_bytes(capture(straight.trainer)))
    expected = [_strip(straight.train_epoch()) for _ in range(5)]

    resumed = Run(config)
    restore(resumed.trainer, state)
    assert resumed.epoch == 7
    got = [_strip(resumed.train_epoch()) for _ in range(5)]
    assert got == expected


def test_parameters_are_named_like_the_model() -> None:
    layers = [{"units": 5, "batch_norm": True}]
    config = merge_config(SessionConfig(), {"model": {"layers": layers}})
    run = Run(config)
    run.train_epoch()
    params = parameters_of(from_bytes(to_bytes(capture(run.trainer))))
    live = {name: value for name, value, _ in run.model.parameters()}
    assert list(params) == list(live)
    for key, value in live.items():
        np.testing.assert_array_equal(params[key], value)


def test_restore_refuses_another_architecture() -> None:
    small = Run(SessionConfig())
    big = Run(merge_config(SessionConfig(), {"model": {"layers": [{"units": 3}]}}))
    with pytest.raises(ValueError, match="another config"):
        restore(big.trainer, capture(small.trainer))


def test_from_bytes_refuses_junk() -> None:
    with pytest.raises(ValueError, match="checkpoint"):
        from_bytes(b"not an npz")
