"""Diagnoses are accurate on the presets: each failure raises its own within a stated number of
epochs on every seed, fixes and the spiral raise none, and applying an offered fix clears it.

Like tests/training/test_presets.py this trains each preset on its own seeds and the next four,
and `make test` reruns it under forced OpenBLAS kernels. Records are fed in uneven chunks, as
the session does, so the detectors' incremental state is what is tested.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from threadpoolctl import threadpool_limits

from app.schemas.config import merge_config
from app.training import preset_figures as pf
from app.training.detectors import chance_loss
from app.training.diagnoses import Diagnoser, Diagnosis
from app.training.run import Run

SEEDS = 5
CHUNK = 7
HORIZON = {claim.preset_id: claim.epochs for claim in pf.CLAIMS} | {"spiral": 500}
# (preset, the kind it must raise, by which epoch at the latest)
FAILURES = [
    ("vanishing-gradients", "vanishing_gradients", 5),
    ("exploding-gradients", "exploding_gradients", 5),
    ("exploding-gradients", "divergence", 12),
    ("overfitting", "overfitting", 500),
    ("lr-too-high", "lr_too_high", 25),
    ("lr-too-low", "lr_too_low", 35),
]
HEALTHY = [
    "spiral",
    "vanishing-gradients-relu",
    "vanishing-gradients-batchnorm",
    "exploding-gradients-clipped",
    "overfitting-dropout",
    "overfitting-l2",
    "overfitting-early-stopping",
    "lr-adam",
    "lr-schedule",
]


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
        if not records:
            return
        self.diagnoser.update(records)
        for diagnosis in self.diagnoser.active:
            self.first.setdefault(diagnosis.kind, diagnosis.since)

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
