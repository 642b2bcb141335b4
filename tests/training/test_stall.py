"""Regression: a session stalled, state "running" and the epoch frozen, when a diagnosis detector
raised. 3×8 ReLU on circle at learning rate 0.3 kills units until the first layer gets exactly no
gradient, and the vanishing-gradients message divided by that zero ratio.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.schemas.config import SessionConfig, merge_config
from app.training import preset_figures as pf
from app.training.detectors import chance_loss
from app.training.detectors_loss import Plateau
from app.training.diagnoses import Diagnoser
from app.training.run import Run
from tests.training.test_diagnoses import record
from tests.training.test_session import collect, epochs_of, make_session, run_isolated, send
from tests.web.test_ws import last_epoch, live, read_until

STALLING = {
    "dataset": {"name": "circle"},
    "model": {"layers": [{"units": 8, "activation": "relu"}] * 3},
    "training": {"learning_rate": 0.3},
}
PAST = 60  # epochs: the stall came near epoch 7 (at most 16 on any machine seen)


def test_vanishing_names_a_first_layer_without_any_gradient() -> None:
    diagnoser = Diagnoser(pf.seeded_config("spiral", 0), reference_loss=math.log(2))
    diagnoser.update(record(e, 0.5, grad_norm=0.0) for e in range(1, 6))  # hidden layers: 0
    [vanishing] = [d for d in diagnoser.active if d.kind == "vanishing_gradients"]
    assert "gets no gradient at all" in vanishing.message, vanishing.message
    assert "0.1" in vanishing.message  # the last layer's norm, which it is compared with
    assert vanishing.evidence["ratio"] == 0.0


def test_a_failing_detector_is_retired_and_the_others_go_on(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(self: Plateau, *args: Any) -> None:
        raise ArithmeticError("a detector bug")

    monkeypatch.setattr(Plateau, "observe", broken)
    diagnoser = Diagnoser(pf.seeded_config("spiral", 0), reference_loss=math.log(2))
    with caplog.at_level(logging.ERROR, logger="app.training.diagnoses"):
        diagnoser.update(record(e, 0.3, dead_frac=0.95) for e in range(1, 40))
    assert [d.kind for d in diagnoser.active] == ["dead_relu"]
    failures = [r for r in caplog.records if "detector plateau failed" in r.getMessage()]
    assert len(failures) == 1, "logged once, then retired until restart"


def test_the_stalling_run_trains_headless_with_its_diagnoses() -> None:
    config = merge_config(SessionConfig(), STALLING)
    run = Run(config)
    diagnoser = Diagnoser(config, chance_loss(run.data.task, run.data.y_train))
    first_grads = []
    for _ in range(PAST):
        rec = run.train_epoch()
        first_grads.append(rec["layers"][0]["grad_norm"])
        diagnoser.update([rec])
    assert run.epoch == PAST
    assert 0.0 in first_grads, "the case that stalled: a first layer with exactly no gradient"


def test_the_stalling_config_keeps_training_in_a_session() -> None:
    async def scenario() -> None:
        session = make_session(STALLING)
        session.start()
        try:
            sub, _ = session.subscribe()
            send(session, sub, '{"type": "play"}')
            frames = await collect(session, sub, lambda f: max(epochs_of([f]), default=0) >= PAST)
            assert session.state.value == "running" and session.epoch >= PAST
            assert any(f["type"] == "diagnosis" and f["diagnoses"] for f in frames)
            send(session, sub, '{"type": "pause"}')
            await collect(session, sub, lambda f: f.get("state") == "paused")
        finally:
            await session.close()

    run_isolated(scenario())


def test_a_failure_after_the_chunk_pauses_the_session_with_a_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Whatever goes wrong while publishing a chunk, the session says so instead of hanging."""

    def broken(records: Any) -> bool:
        raise RuntimeError("publishing failed")

    async def scenario() -> None:
        session = make_session()
        session.diagnoser.update = broken  # type: ignore[method-assign]
        session.start()
        try:
            sub, _ = session.subscribe()
            send(session, sub, '{"type": "play"}')
            frames = await collect(session, sub, lambda f: f.get("state") == "paused")
            assert "Internal error" in frames[-1]["reason"]
            send(session, sub, '{"type": "step", "epochs": 1}')  # still takes commands
            await collect(session, sub, lambda f: f.get("state") == "running")
        finally:
            await session.close()

    with caplog.at_level(logging.CRITICAL):  # the failure is logged on purpose
        run_isolated(scenario())


def test_the_stalling_config_keeps_training_over_the_websocket(client: TestClient) -> None:
    with live(client, STALLING, play=True) as (ws, _):
        frames = read_until(ws, lambda f: last_epoch([f]) >= PAST, limit=5000)
        assert not [f for f in frames if f["type"] == "state" and f["state"] != "running"]


def test_the_cli_trains_the_stalling_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import main

    config = tmp_path / "stalling.json"
    config.write_text(json.dumps(STALLING))
    assert main(["train", "--config", str(config), "--epochs", str(PAST)]) == 0
    err = capsys.readouterr().err
    assert f"{PAST}/{PAST} epochs" in err and "first layer gets no gradient at all" in err, err
