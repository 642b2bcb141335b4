"""Live diagnoses: what is going wrong in a run, with the numbers that show it and the fixes.

Pure functions over epoch records (no HTTP, no asyncio). `Diagnoser.update(records)` is called
with each chunk's new records and costs O(1) per record (fixed-size windows, running minima),
so a run of 100 000 epochs is never rescanned. A diagnosis is raised once its evidence has held
for a few epochs, and cleared when the evidence is gone; `restart` forgets the evidence after a
setting changes (the old numbers no longer describe the run). The detectors and their thresholds
are in app/training/detectors*.py; tests/training/test_diagnoses.py checks them against every
preset over five seeds.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from app.schemas.config import SessionConfig
from app.training.detectors import Detector, Finding, RunBaseline
from app.training.detectors_gradients import DeadRelu, Divergence, Exploding, Saturated, Vanishing
from app.training.detectors_loss import LrTooHigh, LrTooLow, Overfitting, Plateau
from app.training.diagnosis_fixes import Fix

log = logging.getLogger(__name__)

# When one of these is active, the kinds it explains are not shown as well: a network whose
# first layers get no gradient also has a flat loss, which is not the learning rate's fault.
EXPLAINS: dict[str, tuple[str, ...]] = {
    "divergence": ("lr_too_high", "dead_relu"),
    "exploding_gradients": ("lr_too_high", "dead_relu"),
    "lr_too_high": ("vanishing_gradients", "saturated_units", "dead_relu", "overfitting"),
    "vanishing_gradients": ("lr_too_low", "plateau"),
    "saturated_units": ("lr_too_low", "plateau"),
    "dead_relu": ("lr_too_low", "plateau"),
    "lr_too_low": ("plateau",),
}


DETECTORS: tuple[type[Detector], ...] = (
    Divergence,
    Exploding,
    Vanishing,
    DeadRelu,
    Saturated,
    Overfitting,
    LrTooHigh,
    LrTooLow,
    Plateau,
)
ORDER = {detector.kind: index for index, detector in enumerate(DETECTORS)}


# What the presets promise (tests/training/test_diagnoses.py holds them on five seeds and three
# BLAS kernels; `python -m bench.diagnosis_margins` prints the epochs): (failure preset, the
# diagnosis it raises, by which epoch at the latest). Measured at most: 3, 3, 6, 390, 20, 30.
PRESET_DIAGNOSES: tuple[tuple[str, str, int], ...] = (
    ("vanishing-gradients", "vanishing_gradients", 5),
    ("exploding-gradients", "exploding_gradients", 5),
    ("exploding-gradients", "divergence", 12),
    ("overfitting", "overfitting", 500),
    ("lr-too-high", "lr_too_high", 25),
    ("lr-too-low", "lr_too_low", 35),
)
# ... and the presets that raise nothing over their claim's epochs (the spiral over 500).
HEALTHY_PRESETS: tuple[str, ...] = (
    "spiral",
    "vanishing-gradients-relu",
    "vanishing-gradients-batchnorm",
    "exploding-gradients-clipped",
    "overfitting-dropout",
    "overfitting-l2",
    "overfitting-early-stopping",
    "lr-adam",
    "lr-schedule",
)
SPIRAL_EPOCHS = 500


@dataclass(frozen=True)
class Diagnosis:
    """One problem: its kind, the epoch its evidence began and the one it sufficed, a sentence
    with the evidence, and fixes."""

    kind: str
    title: str
    since: int
    raised_at: int
    message: str
    fixes: tuple[Fix, ...]
    evidence: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as it goes into `diagnosis` and `hello` frames."""
        return {
            "kind": self.kind,
            "title": self.title,
            "since": self.since,
            "raised_at": self.raised_at,
            "message": self.message,
            "fixes": [fix.to_dict() for fix in self.fixes],
            "evidence": {k: (v if math.isfinite(v) else None) for k, v in self.evidence.items()},
        }

    def describe(self) -> str:
        """One line for a terminal: when, what, why, and the fixes."""
        fixes = "; ".join(fix.label for fix in self.fixes)
        when = f"epoch {self.raised_at}: {self.title} (since epoch {self.since})"
        return f"{when}. {self.message} Fixes: {fixes}."


def _diagnosis(finding: Finding, raised_at: int, config: SessionConfig) -> Diagnosis:
    return Diagnosis(
        kind=finding.kind,
        title=finding.title,
        since=finding.since,
        raised_at=raised_at,
        message=finding.message,
        fixes=tuple(build(config) for build in finding.fixes),
        evidence=dict(finding.evidence),
    )


class Diagnoser:
    """Watches a run's records as they come and keeps the set of active diagnoses."""

    def __init__(self, config: SessionConfig, reference_loss: float | None = None) -> None:
        self.config = config
        self.reference_loss = math.nan if reference_loss is None else reference_loss
        self.baseline = RunBaseline(self.reference_loss)
        self._detectors: list[Detector] = [make() for make in DETECTORS]
        self._findings: dict[str, tuple[Finding, int]] = {}  # kind -> (finding, epoch raised)
        self._active: list[Diagnosis] = []
        self.raised: list[Diagnosis] = []  # what the last `update` added

    @property
    def active(self) -> list[Diagnosis]:
        """The diagnoses shown now, in detector order."""
        return list(self._active)

    def update(self, records: Iterable[dict[str, Any]]) -> bool:
        """Feed new epoch records, oldest first; True when the active set changed."""
        before = self._keys()
        self.raised = []
        for record in records:
            self.baseline.observe(record)
            for detector in list(self._detectors):
                try:
                    finding = detector.observe(record, self.baseline, self.config)
                except Exception:  # a detector's bug must never stop the training it watches
                    log.exception("detector %s failed at epoch %s", detector.kind, record["epoch"])
                    self._detectors.remove(detector)  # retired until `restart`
                    finding = None
                if finding is None:
                    self._findings.pop(detector.kind, None)
                elif detector.kind not in self._findings:
                    self._findings[detector.kind] = (finding, record["epoch"])
        self._refresh()
        self.raised = [d for d in self._active if (d.kind, d.since) not in before]
        return self._keys() != before

    def restart(self, config: SessionConfig, reference_loss: float | None = None) -> bool:
        """Forget the evidence after a change (new data may bring a new guessing loss).

        Returns True when diagnoses were cleared."""
        had = bool(self._active)
        self.config = config
        if reference_loss is not None:
            self.reference_loss = reference_loss
        self.baseline = RunBaseline(self.reference_loss)
        self._detectors = [make() for make in DETECTORS]
        self._findings.clear()
        self._active = []
        return had

    def _refresh(self) -> None:
        hidden = {k for kind in self._findings for k in EXPLAINS.get(kind, ())}
        self._active = [
            _diagnosis(finding, epoch, self.config)
            for kind, (finding, epoch) in self._findings.items()
            if kind not in hidden
        ]
        self._active.sort(key=lambda d: ORDER[d.kind])

    def _keys(self) -> list[tuple[str, int]]:
        return [(d.kind, d.since) for d in self._active]

    def frame(self) -> dict[str, Any]:
        """The `diagnosis` frame: every active diagnosis (an empty list clears the callout)."""
        return {"type": "diagnosis", "diagnoses": [d.to_dict() for d in self._active]}
