"""The backprop inspector over the websocket: inspect and apply_sample while paused."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.schemas.config import SessionConfig
from app.training.inspection import apply_sample
from app.training.run import Run
from tests.web.test_ws import live, read_until


def _engine_loss(config: dict[str, Any], index: int, applied: bool = False) -> float:
    """The sample's loss in a Run built here from the same config (and seed) as the session's,
    whose Run trains in a worker process: the numbers must agree."""
    run = Run(SessionConfig.model_validate(config))
    if applied:
        apply_sample(run, index)
    model, data = run.model, run.data
    logits = model.forward(data.x_train[index : index + 1], False)
    return float(model.loss.value(logits, model.loss.prepare(data.y_train[index : index + 1])))


def test_inspect_then_apply_the_single_step(client: TestClient) -> None:
    with live(client) as (ws, hello):
        config = hello["config"]
        ws.send_json({"type": "inspect", "index": 3})
        frame = read_until(ws, lambda f: f["type"] in ("inspection", "error"))[-1]
        assert frame["type"] == "inspection", frame
        assert frame["index"] == 3 and frame["epoch"] == 0
        assert frame["loss"] == pytest.approx(_engine_loss(config, 3), rel=1e-5)
        assert [layer["name"] for layer in frame["layers"]] == ["dense0", "dense1", "dense2"]
        first = frame["layers"][0]
        assert len(first["z"]) == first["units"] and len(first["W"]) == first["n_in"]
        np.testing.assert_allclose(frame["point"], hello["dataset"]["train"]["x"][3], atol=1e-3)

        ws.send_json({"type": "apply_sample", "index": 3})
        frames = read_until(ws, lambda f: f["type"] == "snapshot")
        applied = next(f for f in frames if f["type"] == "inspection")
        assert applied["applied"]["loss_before"] == pytest.approx(frame["loss"])
        assert applied["loss"] < frame["loss"]  # one step of gradient descent on this sample
        assert applied["loss"] == pytest.approx(_engine_loss(config, 3, applied=True), rel=1e-5)
        w_before = np.array(first["W"])
        w_after = np.array(applied["layers"][0]["W"])
        np.testing.assert_allclose(w_after - w_before, first["update"]["W"], atol=1e-6)


def test_inspect_refuses_while_training_and_bad_indices(client: TestClient) -> None:
    with live(client) as (ws, hello):
        n = len(hello["dataset"]["train"]["x"])
        ws.send_json({"type": "inspect", "index": n})
        error = read_until(ws, lambda f: f["type"] == "error")[-1]
        assert error["code"] == "bad_index" and str(n - 1) in error["message"]
        ws.send_json({"type": "inspect", "index": "first"})
        error = read_until(ws, lambda f: f["type"] == "error")[-1]
        assert error["code"] == "bad_message" and "index" in error["message"]
        ws.send_json({"type": "inspect", "index": "random"})
        frame = read_until(ws, lambda f: f["type"] == "inspection")[-1]
        assert 0 <= frame["index"] < n

        ws.send_json({"type": "play"})
        read_until(ws, lambda f: f["type"] == "state" and f["state"] == "running")
        ws.send_json({"type": "inspect", "index": 0})
        error = read_until(ws, lambda f: f["type"] == "error")[-1]
        assert error["code"] == "not_paused" and "pause" in error["message"]
