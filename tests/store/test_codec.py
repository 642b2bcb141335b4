"""Epoch records survive encoding exactly: None and NaN apart, ints, bools, extra keys."""

from __future__ import annotations

import json
import math

from app.schemas.config import SessionConfig
from app.store.codec import Encoder, decode
from app.training.run import Run


def roundtrip(record: dict) -> dict:
    layout, data, extra = Encoder().encode(record)
    return decode(data, json.loads(layout), extra)


def test_a_real_record_comes_back_equal() -> None:
    record = Run(SessionConfig()).train_epoch()
    record.pop("histograms")
    assert roundtrip(record) == record


def test_none_nan_infinities_ints_bools_and_extras_are_kept_apart() -> None:
    record = {
        "epoch": 7,
        "train_loss": math.nan,
        "val_loss": None,
        "lr": math.inf,
        "train_acc": -math.inf,
        "stopped": True,
        "note": {"diagnosis": ["lr too high"]},
        "layers": [{"name": "dense0", "grad_norm": None, "weight_norm": 1.5}],
    }
    back = roundtrip(record)
    assert back["epoch"] == 7 and isinstance(back["epoch"], int)
    assert math.isnan(back["train_loss"])
    assert back["val_loss"] is None
    assert back["lr"] == math.inf and back["train_acc"] == -math.inf
    assert back["stopped"] is True
    assert back["note"] == {"diagnosis": ["lr too high"]}
    assert back["layers"] == [{"name": "dense0", "grad_norm": None, "weight_norm": 1.5}]


def test_eight_bytes_per_number() -> None:
    record = Run(SessionConfig()).train_epoch()
    record.pop("histograms")
    _, data, extra = Encoder().encode(record)
    numbers = sum(1 for k in record if k != "layers") + sum(len(x) - 1 for x in record["layers"])
    assert len(data) == 8 * numbers
    assert extra is None


def test_one_encoder_keeps_records_of_different_shapes_apart() -> None:
    encoder = Encoder()
    first = {"epoch": 1, "train_loss": 0.5, "val_loss": None}
    second = {"epoch": 2, "train_loss": None, "val_loss": 0.25, "extra": "note"}
    third = {"epoch": 3, "train_loss": 0.5, "val_loss": 1}  # an int where a float was
    for record in (first, second, third, first):
        layout, data, extra = encoder.encode(dict(record))
        assert decode(data, json.loads(layout), extra) == record
