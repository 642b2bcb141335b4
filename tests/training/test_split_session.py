"""A session whose every epoch is split batch by batch still gives the CLI's numbers exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.training import session as session_module
from tests.training.test_cli import assert_same_numbers, cli_records, session_records, write_json

CONFIG = {
    "dataset": {"name": "spiral", "samples": 200, "seed": 4},
    "model": {
        "layers": [
            {"units": 6, "activation": "relu", "batch_norm": True, "dropout": 0.2},
            {"units": 4, "activation": "tanh"},
        ]
    },
    "training": {"optimizer": "adam", "batch_size": 16, "clip_norm": 0.5, "histogram_every": 2},
}


def test_cli_numbers_equal_a_session_whose_epochs_are_split_at_every_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_module, "CHUNK_SECONDS", 0.0)  # one batch per chunk
    cli = cli_records(
        tmp_path, "--config", write_json(tmp_path / "c.json", CONFIG), "--epochs", "6"
    )
    assert len(cli) == 6
    assert_same_numbers(cli, session_records({"config": CONFIG}, 6))
