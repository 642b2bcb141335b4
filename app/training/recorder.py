"""The seam between a session and the store: it watches what the session emits and records it.

A session calls `observe(kind, payload, epoch)` for every entry it emits and `close(...)` when it
ends. Records and histograms go to the
store as they come; state frames become play/pause/diverged/stopped events; config frames become
setting changes (old -> new), architecture edits, resets or regenerations; a dataset frame that
no config frame announced is a point edit. A rebuild (new weights) starts a new segment, since
the epoch count starts again. Checkpoints are captured where the Run lives (executors/host.py),
every CHECKPOINT_EVERY epochs and on pause, stop and close, and arrive here as bytes after the
records they continue.
"""

from __future__ import annotations

import logging
from typing import Any

from app.store import RunStore
from app.training.executors.messages import Checkpoint

log = logging.getLogger(__name__)

CHECKPOINT_EVERY = 500  # epochs
STATE_EVENTS = {
    "running": "play",
    "paused": "pause",
    "idle": "idle",
    "diverged": "diverged",
    "stopped": "stopped",
}


def config_changes(old: Any, new: Any, path: str = "") -> list[dict[str, Any]]:
    """Every leaf that differs between two config dumps: [{path, old, new}]."""
    if isinstance(old, dict) and isinstance(new, dict):
        changes = []
        for key in [*old, *(k for k in new if k not in old)]:
            sub = f"{path}.{key}" if path else str(key)
            changes.extend(config_changes(old.get(key), new.get(key), sub))
        return changes
    return [] if old == new else [{"path": path, "old": old, "new": new}]


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
        checkpoint_every: int = CHECKPOINT_EVERY,
        create: bool = True,
        last: Checkpoint | None = None,  # the checkpoint a resumed run starts from
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.config = config
        self.segment = segment
        self.checkpoint_every = checkpoint_every
        self.state = "idle"
        self.last = last  # the newest checkpoint of this segment: where a lost worker resumes
        self.wants_checkpoint = False  # a pause or a stop: the session has its host capture one
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
        if self.state in ("paused", "stopped"):
            self.wants_checkpoint = True

    def _config(self, payload: dict[str, Any], epoch: int) -> None:
        new = payload["config"]
        changes = config_changes(self.config, new)
        rebuilt = bool(payload.get("rebuilt"))
        if rebuilt:
            kind = "architecture" if changes else "reset"
            self.segment += 1
            self.last = None
        elif [c["path"] for c in changes] == ["dataset.seed"]:
            kind = "regenerate"
        else:
            kind = "configure"
        if changes or rebuilt:
            self.event(epoch, kind, {"changes": changes})
        self.config = new
        self.store.update_run(self.run_id, config=new)
