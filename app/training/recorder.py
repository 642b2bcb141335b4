"""The seam between a session and the store: it watches what the session emits and records it.

A session calls `observe(kind, payload, epoch)` for every entry it emits and `close(...)` when it
ends. Records and histograms go to the store as they come; state frames become
play/pause/diverged/stopped events; config frames become setting changes (old -> new),
architecture edits, resets or regenerations; a dataset frame that no config frame announced is a
point edit. A rebuild (new weights) starts a new segment, since the epoch count starts again; an
edit of the network that keeps the history stays in its segment. Checkpoints are captured where
the Run lives (executors/host.py): when a segment first runs (epoch 0), on the `Cadence` (dense
early, sparser as the run grows), after a kept-history edit and on pause, stop and close, never
of non-finite weights; they arrive here as bytes after the records they continue, and the store's
`CheckpointRetention` thins them.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from app.store import RunStore
from app.store.retention import CheckpointRetention
from app.training.cadence import CADENCE, Cadence
from app.training.executors.messages import Checkpoint
from app.training.history import stored_rows
from app.training.markers import config_changes, edit_fields

__all__ = ["CADENCE", "Cadence", "Recorder", "checkpoint_policy", "config_changes", "default_name"]

log = logging.getLogger(__name__)


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
        last: Checkpoint | None = None,  # the checkpoint a resumed run starts from
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.config = config
        self.segment = segment
        self.cadence = cadence  # the host of the Run applies it (OpenSpec.cadence)
        self.state = "idle"
        self.last = last  # the newest checkpoint of this segment: where a lost worker resumes
        # A pause, a stop, a segment's first play or a kept-history edit: the session has its
        # host capture a checkpoint (at the end of the epoch in progress, if one is half done).
        self.wants_checkpoint = False
        self._data_explained = False  # a config frame announced the next dataset frame
        if create:
            store.create_run(run_id, name or default_name(config), config, self.state)

    def observe(self, kind: str, payload: dict[str, Any], epoch: int) -> None:
        """Record what the session just emitted, at its current `epoch`. Never raises."""
        try:
            self._observe(kind, payload, epoch)
        except Exception:  # a storage problem must never stop training
            log.exception("recording run %s failed; training goes on", self.run_id)

    def _observe(self, kind: str, payload: dict[str, Any], epoch: int) -> None:
        if kind == "record":
            self.store.add_record(self.run_id, self.segment, payload)
        elif kind == "histograms":
            self.store.add_histograms(
                self.run_id, self.segment, payload["epoch"], payload["layers"]
            )
        elif kind == "dataset":  # {"train": n, "val": m} of a dataset frame
            if not self._data_explained:  # no config change came first: points were edited
                self.event(epoch, "points", payload)
            self._data_explained = False
        elif kind == "frame" and payload.get("type") == "state":
            self._state(payload, epoch)
        elif kind == "frame" and payload.get("type") == "config":
            self._config(payload, epoch)
            self._data_explained = True

    def records(self, rows: np.ndarray, layer_names: tuple[str, ...], stopped: bool) -> None:
        """Record a chunk's epoch rows (`stopped`: the last one ended the run). Never raises."""
        try:
            self.store.add_rows(self.run_id, self.segment, *stored_rows(rows, layer_names, stopped))
        except Exception:
            log.exception("recording run %s failed; training goes on", self.run_id)

    def histograms(self, frame: str) -> None:
        """Record a `histograms` frame, as its JSON text. Never raises."""
        try:
            self.store.add_histograms_text(self.run_id, self.segment, frame)
        except Exception:
            log.exception("recording run %s failed; training goes on", self.run_id)

    def saved(self, checkpoint: Checkpoint) -> None:
        """Store a checkpoint the host captured, after the records it continues. Never raises."""
        self.last = checkpoint
        try:
            self.store.save_checkpoint(
                self.run_id,
                self.segment,
                checkpoint.epoch,
                checkpoint.config,
                lambda: checkpoint.data,
            )
        except Exception:
            log.exception("storing a checkpoint of run %s failed; training goes on", self.run_id)

    def close(self, epoch: int, state: str, checkpoint: Checkpoint | None) -> None:
        """The session ends (with a last checkpoint if its engine was idle); a live run is
        interrupted."""
        try:
            if checkpoint is not None:
                self.saved(checkpoint)
            final = "interrupted" if state == "running" else state
            self.event(epoch, "closed", {"state": final})
            self.store.update_run(self.run_id, state=final)
        except Exception:
            log.exception("recording the end of run %s failed", self.run_id)

    def event(self, epoch: int, kind: str, payload: dict[str, Any]) -> None:
        """An event at `epoch`."""
        self.store.add_event(self.run_id, self.segment, epoch, kind, payload)

    def _state(self, payload: dict[str, Any], epoch: int) -> None:
        self.state = str(payload["state"])
        info = {"reason": payload["reason"]} if payload.get("reason") else {}
        self.event(epoch, STATE_EVENTS.get(self.state, self.state), info)
        self.store.update_run(self.run_id, state=self.state)
        first_play = self.state == "running" and self.last is None  # epoch 0, usually
        if self.state in ("paused", "stopped") or first_play:
            self.wants_checkpoint = True

    def _config(self, payload: dict[str, Any], epoch: int) -> None:
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
            self.last = None
            self.wants_checkpoint = True
        elif rebuilt:
            kind = "architecture" if changes else "reset"
            self.segment += 1
            self.last = None
        elif [c["path"] for c in changes] == ["dataset.seed"]:
            kind = "regenerate"
        else:
            kind = "configure"
        if changes or rebuilt:
            self.event(epoch, kind, info)
        self.config = new
        self.store.update_run(self.run_id, config=new)
