"""The seam between a session and the store: it watches what the session emits and records it.

A session calls `observe(kind, payload, run)` for every entry it emits (between chunks, when the
engine is idle) and `close(run, state, idle=...)` when it ends. Records and histograms go to the
store as they come; state frames become play/pause/diverged/stopped events; config frames become
setting changes (old -> new), architecture edits, resets or regenerations; a dataset frame that
no config frame announced is a point edit. A rebuild (new weights) starts a new segment, since
the epoch count starts again. Checkpoints are taken when a segment first runs (epoch 0), on the
`Cadence` (dense early, sparser as the run grows), and on pause, stop and close; their `.npz`
encoding happens on the store's writer thread, and the store's `CheckpointRetention` thins them.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.engine.checkpoint import TrainerState, capture, to_bytes
from app.store import RunStore
from app.store.retention import CheckpointRetention
from app.training.markers import config_changes, edit_fields
from app.training.run import Run

__all__ = ["CADENCE", "Cadence", "Recorder", "checkpoint_policy", "config_changes", "default_name"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Cadence:
    """When a running segment takes its next periodic checkpoint: every `min_every` epochs at
    first, then every `1/spread` of the epochs so far, but at least every `max_every` epochs."""

    min_every: int = 10
    spread: int = 10
    max_every: int = 500

    def interval(self, last: int) -> int:
        """Epochs from a checkpoint at epoch `last` to the next one."""
        return min(self.max_every, max(self.min_every, last // self.spread))

    def describe(self) -> str:
        """The rule in words, for the page and the docs."""
        return (
            f"when training starts, every {self.min_every} epochs at first (the gap growing to "
            f"{100 // self.spread} % of the run so far, at most {self.max_every:,}) and at each "
            "pause and stop"
        )


CADENCE = Cadence()


def checkpoint_policy(
    cadence: Cadence = CADENCE, retention: CheckpointRetention | None = None
) -> str:
    """What checkpoints a run has, in one sentence (GET /api/runs/limits sends it to the page)."""
    kept = (retention or CheckpointRetention()).describe()
    return f"Replay steps through checkpoints taken {cadence.describe()}; {kept}."


STATE_EVENTS = {
    "running": "play",
    "paused": "pause",
    "idle": "idle",
    "diverged": "diverged",
    "stopped": "stopped",
}


def default_name(config: dict[str, Any]) -> str:
    """A run's first name, from what tells runs apart: e.g. 'spiral 8-8 tanh, sgd lr 0.01'."""
    layers = config["model"]["layers"]
    shape = "-".join(str(layer["units"]) for layer in layers) or "linear"
    activations = sorted({layer["activation"] for layer in layers})
    training = config["training"]
    return (
        f"{config['dataset']['name']} {shape} {'/'.join(activations)}".rstrip()
        + f", {training['optimizer']} lr {training['learning_rate']:g}"
    )


def _finite(run: Run) -> bool:
    """Diverged weights are not worth continuing from (nor replaying)."""
    return bool(np.isfinite(run.model.theta).all())


class Recorder:
    """Records one session's run into the store."""

    def __init__(
        self,
        store: RunStore,
        run_id: str,
        config: dict[str, Any],
        *,
        name: str | None = None,
        segment: int = 0,
        cadence: Cadence = CADENCE,
        create: bool = True,
        last_checkpoint: int = -1,  # epoch of the checkpoint a resumed run starts from
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.config = config
        self.segment = segment
        self.cadence = cadence
        self.state = "idle"
        self._data_explained = False  # a config frame announced the next dataset frame
        self._checkpointed = last_checkpoint  # epoch of the last checkpoint in this segment
        self._pending = False  # a checkpoint was asked for mid-epoch: take it at the epoch's end
        # Captured at epoch ends, each awaiting its record (a chunk may span several).
        self._captured: list[tuple[int, TrainerState, dict[str, Any]]] = []
        if create:
            store.create_run(run_id, name or default_name(config), config, self.state)

    def observe(self, kind: str, payload: dict[str, Any], run: Run) -> None:
        """Record what the session just emitted; `run` is idle while this runs. Never raises."""
        try:
            self._observe(kind, payload, run)
        except Exception:  # a storage problem must never stop training
            log.exception("recording run %s failed; training goes on", self.run_id)

    def _observe(self, kind: str, payload: dict[str, Any], run: Run) -> None:
        if kind == "record":
            self.store.add_record(self.run_id, self.segment, payload)
            while self._captured and payload["epoch"] >= self._captured[0][0]:
                epoch, state, config = self._captured.pop(0)
                self.store.save_checkpoint(
                    self.run_id, self.segment, epoch, config, functools.partial(to_bytes, state)
                )
        elif kind == "histograms":
            epoch, layers = payload["epoch"], payload["layers"]
            self.store.add_histograms(self.run_id, self.segment, epoch, layers)
        elif kind == "frame" and payload.get("type") == "state":
            self._state(payload, run)
        elif kind == "frame" and payload.get("type") == "config":
            self._config(payload, run)
            self._data_explained = True
        elif kind == "frame" and payload.get("type") == "dataset":
            if not self._data_explained:  # no config change came first: points were edited
                sizes = {"train": len(payload["train"]["y"]), "val": len(payload["val"]["y"])}
                self.event(run, "points", sizes)
            self._data_explained = False

    def close(self, run: Run, state: str, *, idle: bool) -> None:
        """The session ends: a last checkpoint if the engine is idle; a live run is interrupted."""
        try:
            self._close(run, state, idle=idle)
        except Exception:
            log.exception("recording the end of run %s failed", self.run_id)

    def _close(self, run: Run, state: str, *, idle: bool) -> None:
        if idle and state != "diverged":  # diverged weights are not worth continuing from
            self.checkpoint(run)
        final = "interrupted" if state == "running" else state
        self.event(run, "closed", {"state": final})
        self.store.update_run(self.run_id, state=final)

    def event(self, run: Run, kind: str, payload: dict[str, Any]) -> None:
        """An event at the run's current epoch."""
        self.store.add_event(self.run_id, self.segment, run.epoch, kind, payload)

    def at_epoch_end(self, run: Run) -> None:
        """Between two epochs (worker thread, engine idle): capture a due or postponed checkpoint.

        It is written once its epoch's record has been queued (see _observe), so the store never
        holds a checkpoint ahead of the records it continues."""
        last = max(self._checkpointed, 0)
        due = run.epoch - last >= self.cadence.interval(last)
        if (due or self._pending) and run.epoch != self._checkpointed and _finite(run):
            self._pending = False
            self._checkpointed = run.epoch
            self._captured.append((run.epoch, capture(run.trainer), run.config.model_dump()))

    def checkpoint(self, run: Run) -> None:
        """Save the engine's state now, or at the end of the epoch when one is half done."""
        if run.epoch == self._checkpointed or not _finite(run):
            return
        if run.trainer.in_epoch:  # its permutation and half-done steps could not resume exactly
            self._pending = True
            return
        self._pending = False
        self._checkpointed = run.epoch
        state = capture(run.trainer)
        self.store.save_checkpoint(
            self.run_id, self.segment, run.epoch, run.config.model_dump(), lambda: to_bytes(state)
        )

    def _state(self, payload: dict[str, Any], run: Run) -> None:
        self.state = str(payload["state"])
        info = {"reason": payload["reason"]} if payload.get("reason") else {}
        self.event(run, STATE_EVENTS.get(self.state, self.state), info)
        self.store.update_run(self.run_id, state=self.state)
        first_play = self.state == "running" and self._checkpointed < 0  # epoch 0, usually
        if self.state in ("paused", "stopped") or first_play:
            self.checkpoint(run)

    def _config(self, payload: dict[str, Any], run: Run) -> None:
        new = payload["config"]
        changes = config_changes(self.config, new)
        rebuilt = bool(payload.get("rebuilt"))
        info: dict[str, Any] = {"changes": changes, **edit_fields(payload)}
        if payload.get("fix"):
            info["fix"] = payload["fix"]
        if rebuilt and info.get("kept_history"):
            # An edit that keeps the history: same segment, the epoch count goes on. A checkpoint
            # of the new network now, so a resume never rebuilds the old one past this point.
            kind = "architecture"
            self._checkpointed = -1
            self._captured.clear()
            self._pending = False
        elif rebuilt:
            kind = "architecture" if changes else "reset"
            self.segment += 1
            self._checkpointed = -1
            self._captured.clear()
        elif [c["path"] for c in changes] == ["dataset.seed"]:
            kind = "regenerate"
        else:
            kind = "configure"
        if changes or rebuilt:
            self.event(run, kind, info)
        self.config = new
        self.store.update_run(self.run_id, config=new)
        if info.get("kept_history"):
            self.checkpoint(run)
