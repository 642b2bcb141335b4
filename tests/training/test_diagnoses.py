"""Diagnoses are accurate on the presets: each failure raises its own within a stated number of
epochs on every seed, fixes and the spiral raise none, and applying an offered fix clears it.

Like tests/training/test_presets.py this trains each preset on its own seeds and the next four,
and `make test` reruns it under forced OpenBLAS kernels. Records are fed in uneven chunks, as
the session does, so the detectors' incremental state is what is tested.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from threadpoolctl import threadpool_limits

from app.schemas.config import merge_config
from app.training import preset_figures as pf
from app.training.detectors import chance_loss
from app.training.diagnoses import (
    HEALTHY_PRESETS,
    PRESET_DIAGNOSES,
    SPIRAL_EPOCHS,
    Diagnoser,
    Diagnosis,
)
from app.training.run import Run

SEEDS = 5
CHUNK = 7
HORIZON = {claim.preset_id: claim.epochs for claim in pf.CLAIMS} | {"spiral": SPIRAL_EPOCHS}
FAILURES = list(PRESET_DIAGNOSES)
HEALTHY = list(HEALTHY_PRESETS)


class Watched:
    """A run with a diagnoser fed in chunks; remembers when each kind was first shown."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.diagnoser = Diagnoser(run.config, chance_loss(run.data.task, run.data.y_train))
        self.first: dict[str, int] = {}
        self.epochs = 0

    def train(self, epochs: int, until: str | None = None) -> None:
        """Train up to `epochs` more epochs; stop on divergence, early stop or `until` raised."""
        pending: list[dict[str, Any]] = []
        with threadpool_limits(limits=1):
            for _ in range(epochs):
                record = self.run.train_epoch()
                record.pop("histograms", None)
                pending.append(record)
                self.epochs += 1
                end = not math.isfinite(record["train_loss"]) or record["stopped"]
                if len(pending) == CHUNK or end:
                    self._feed(pending)
                    pending = []
                if end or (until is not None and until in self.first):
                    break
        self._feed(pending)

    def _feed(self, records: list[dict[str, Any]]) -> None:
        """Feed one chunk; a kind first shown now was shown from max(its raise, the chunk start)."""
        if not records:
            return
        self.diagnoser.update(records)
        for diagnosis in self.diagnoser.active:
            shown = max(diagnosis.raised_at, records[0]["epoch"])
            self.first.setdefault(diagnosis.kind, shown)

    def active(self, kind: str) -> Diagnosis | None:
        return next((d for d in self.diagnoser.active if d.kind == kind), None)


def watch(preset_id: str, index: int, until: str | None = None) -> Watched:
    watched = Watched(Run(pf.seeded_config(preset_id, index)))
    watched.train(HORIZON[preset_id], until)
    return watched


@pytest.mark.parametrize(("preset_id", "kind", "within"), FAILURES)
def test_each_failure_preset_raises_its_diagnosis_in_time(
    preset_id: str, kind: str, within: int
) -> None:
    for index in range(SEEDS):
        watched = watch(preset_id, index, until=kind)
        assert kind in watched.first, f"{preset_id} seed {index}: raised only {watched.first}"
        assert watched.first[kind] <= within, (preset_id, index, watched.first)
        diagnosis = watched.active(kind)
        assert diagnosis is not None and diagnosis.fixes
        assert any(ch.isdigit() for ch in diagnosis.message), "the evidence carries numbers"
        for fix in diagnosis.fixes:
            merge_config(watched.run.config, fix.config)  # every offered fix is a valid config


@pytest.mark.parametrize("preset_id", HEALTHY)
def test_fix_presets_and_the_spiral_raise_no_diagnosis(preset_id: str) -> None:
    for index in range(SEEDS):
        watched = watch(preset_id, index)
        assert watched.first == {}, f"{preset_id} seed {index}: false alarm {watched.first}"


@pytest.mark.parametrize(("preset_id", "kind", "within"), FAILURES[:2] + FAILURES[3:])
def test_applying_each_offered_fix_clears_the_diagnosis(
    preset_id: str, kind: str, within: int
) -> None:
    horizon = min(HORIZON[preset_id], 1000)
    for index in range(SEEDS):
        failing = watch(preset_id, index, until=kind)
        diagnosis = failing.active(kind)
        assert diagnosis is not None
        for fix in diagnosis.fixes:
            watched = watch(preset_id, index, until=kind)
            new = merge_config(watched.run.config, fix.config)
            rebuilt = watched.run.apply(new)
            if not rebuilt and not math.isfinite(watched.run.model.theta.sum()):
                watched.run.reset()  # as the session does when play follows a divergence
            assert watched.diagnoser.restart(new), "the diagnosis is cleared at once"
            assert watched.diagnoser.active == []
            watched.first.clear()
            watched.train(horizon)
            assert kind not in watched.first, (preset_id, index, fix.label, watched.first)


# ---- detectors without a preset, from records ----------------------------------------------


def record(epoch: int, loss: float, **layer: float) -> dict[str, Any]:
    """A minimal epoch record: two hidden layers sharing `layer`'s values, and an output layer."""
    base = {"grad_norm": 0.1, "weight_norm": 1.0, "update_ratio": 1e-3, "dead_frac": 0.0}
    hidden = {**base, "saturated_frac": 0.0, **layer}
    layers = [{"name": f"dense{i}", **hidden} for i in range(2)]
    layers.append({"name": "dense2", **base, "saturated_frac": 0.0})
    return {"epoch": epoch, "train_loss": loss, "val_loss": loss, "grad_norm_global": 0.1,
            "layers": layers}  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "layer", "loss"),
    [
        ("dead_relu", {"dead_frac": 0.95}, 0.3),
        ("saturated_units", {"saturated_frac": 0.95}, 0.3),
        ("plateau", {}, 0.6),
    ],
)
def test_dead_saturated_and_plateau_are_raised_from_their_evidence(
    kind: str, layer: dict[str, float], loss: float
) -> None:
    diagnoser = Diagnoser(pf.seeded_config("spiral", 0), reference_loss=math.log(2))
    healthy = [record(e, loss * (1 + 0.1 * (e % 2))) for e in range(1, 150)]
    diagnoser.update(healthy)
    assert diagnoser.active == [], "a jumpy loss and live units raise nothing"
    diagnoser.update(record(e, loss, **layer) for e in range(150, 260))
    assert [d.kind for d in diagnoser.active] == [kind]
    assert [d.kind for d in diagnoser.raised] == [kind] and diagnoser.active[0].since >= 150


def test_cli_prints_each_diagnosis_when_raised(capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main

    assert main(["train", "--preset", "vanishing-gradients", "--epochs", "6"]) == 0
    err = capsys.readouterr().err
    assert "epoch 3: Vanishing gradients (since epoch 1)." in err, err
    assert "Fixes: Use ReLU + He init; Add batch norm." in err
    assert main(["train", "--quiet", "--preset", "vanishing-gradients", "--epochs", "6"]) == 0
    assert "Vanishing" not in capsys.readouterr().err


def test_session_sends_diagnosis_frames_and_hello_carries_them() -> None:
    from tests.training.test_session import collect, make_session, run_isolated, send

    async def scenario() -> None:
        session = make_session(pf.seeded_config("vanishing-gradients", 0).model_dump())
        session.start()
        sub, hello = session.subscribe()
        assert hello.head["diagnoses"] == []
        send(session, sub, '{"type": "step", "epochs": 5}')
        frames = await collect(session, sub, lambda f: f.get("state") == "paused")
        raised = [f for f in frames if f["type"] == "diagnosis"]
        assert [d["kind"] for d in raised[-1]["diagnoses"]] == ["vanishing_gradients"]
        assert session.hello().head["diagnoses"] == raised[-1]["diagnoses"]
        fix = raised[-1]["diagnoses"][0]["fixes"][0]["config"]
        send(session, sub, json.dumps({"type": "configure", "config": fix}))
        cleared = await collect(session, sub, lambda f: f["type"] == "diagnosis")
        assert cleared[-1]["diagnoses"] == [] and session.hello().head["diagnoses"] == []
        await session.close()

    run_isolated(scenario())


def test_a_first_layer_gradient_of_exactly_zero_is_diagnosed_without_error() -> None:
    diagnoser = Diagnoser(pf.seeded_config("spiral", 0), reference_loss=math.log(2))
    diagnoser.update(record(e, 0.5, grad_norm=0.0) for e in range(1, 20))  # once: 0 / x
    vanishing = [d for d in diagnoser.active if d.kind == "vanishing_gradients"]
    assert vanishing and "no gradient at all" in vanishing[0].message
