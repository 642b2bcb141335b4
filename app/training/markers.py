"""Markers: where something changed in a run, for the charts to draw as labelled vertical lines.

A session's `Markers` watches the frames it emits (as the store's recorder does) and turns each
change into a marker at the run's current epoch: a setting change (`configure`), an edit of the
network that keeps the history (`architecture`), a fresh start (`reset`, or `restart` when a data
or initialiser change caused it), new points (`regenerate`, `points`), a divergence
(`diverged`) and early stopping (`stopped`). A marker is a plain dict, the same in `hello`, in a
live `marker` frame and when rebuilt from the store's events for a resumed run:

    {epoch, kind, changes: [{path, old, new}], fix?, reason?, layer_sources?, kept?, fresh?}

The page makes the labels ("lr 0.01 → 0.3", "+ layer") from the changes (static/js/markers.js).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.engine.transplant import Transplant

MAX_MARKERS = 500  # per history; the oldest go first
EDIT_FIELDS = ("layer_sources", "kept", "fresh", "dropped")  # what an edit's config frame tells
STATE_KINDS = ("diverged", "stopped")
EVENT_KINDS = {  # store event kind -> marker kind (architecture: see marker_from_event)
    "configure": "configure",
    "regenerate": "regenerate",
    "reset": "reset",
    "points": "points",
    "diverged": "diverged",
    "stopped": "stopped",
}

Marker = dict[str, Any]


def config_changes(old: Any, new: Any, path: str = "") -> list[dict[str, Any]]:
    """Every leaf that differs between two config dumps: [{path, old, new}]."""
    if isinstance(old, dict) and isinstance(new, dict):
        changes = []
        for key in [*old, *(k for k in new if k not in old)]:
            sub = f"{path}.{key}" if path else str(key)
            changes.extend(config_changes(old.get(key), new.get(key), sub))
        return changes
    return [] if old == new else [{"path": path, "old": old, "new": new}]


def edit_frame_fields(edit: Transplant | None, layer_names: Iterable[str]) -> dict[str, Any]:
    """The config frame's fields for a network edit that kept the history ({} for none)."""
    if edit is None:
        return {}
    return {
        "kept_history": True,
        "layer_names": list(layer_names),
        "layer_sources": list(edit.layer_sources),
        "kept": edit.kept,
        "fresh": edit.fresh,
        "dropped": edit.dropped,
    }


def edit_fields(frame: dict[str, Any]) -> dict[str, Any]:
    """What a config frame says about a network edit (for its marker and its stored event)."""
    if not frame.get("kept_history"):
        return {}
    return {"kept_history": True, **{k: frame[k] for k in EDIT_FIELDS if k in frame}}


def config_marker(old: dict[str, Any], frame: dict[str, Any], epoch: int) -> Marker | None:
    """The marker of a `config` frame following config `old`, or None when nothing changed."""
    changes = config_changes(old, frame["config"])
    fix = frame.get("fix")
    if frame.get("rebuilt") and frame.get("kept_history"):
        kind = "architecture"
    elif frame.get("rebuilt"):
        kind = "restart" if changes else "reset"
    elif not changes:
        return None
    elif [c["path"] for c in changes] == ["dataset.seed"]:
        kind = "regenerate"
    else:
        kind = "configure"
    marker: Marker = {"epoch": epoch, "kind": kind, "changes": changes}
    if fix:
        marker["fix"] = fix
    marker.update({k: v for k, v in edit_fields(frame).items() if k != "kept_history"})
    return marker


class Markers:
    """The markers of one history (cleared with it), made from the frames a session emits."""

    def __init__(self, config: dict[str, Any], items: Iterable[Marker] = ()) -> None:
        self.config = config
        self.items: list[Marker] = list(items)[-MAX_MARKERS:]
        self._data_explained = False  # a config frame announced the next dataset frame

    def clear(self) -> None:
        """Forget every marker (a fresh start)."""
        self.items = []

    def truncate(self, epoch: int) -> None:
        """Forget the markers after `epoch` (a run continued from an earlier checkpoint)."""
        self.items = [m for m in self.items if m["epoch"] <= epoch]

    def observe(self, frame: dict[str, Any], epoch: int) -> Marker | None:
        """The marker a frame the session emitted makes, if any (it is kept)."""
        kind = frame.get("type")
        marker: Marker | None = None
        if kind == "config":
            marker = config_marker(self.config, frame, epoch)
            self.config = frame["config"]
            self._data_explained = True
        elif kind == "dataset":
            if not self._data_explained:  # no config change came first: points were edited
                sizes = {"train": _size(frame["train"]), "val": _size(frame["val"])}
                marker = {"epoch": epoch, "kind": "points", "changes": [], **sizes}
            self._data_explained = False
        elif kind == "state" and frame.get("state") in STATE_KINDS:
            marker = {"epoch": epoch, "kind": frame["state"], "changes": []}
            if frame.get("reason"):
                marker["reason"] = frame["reason"]
        if marker is not None:
            self.items.append(marker)
            del self.items[:-MAX_MARKERS]
        return marker


def _size(part: Any) -> int:
    """Points in a dataset frame's part, or the count a session reports in its place."""
    return part if isinstance(part, int) else len(part["y"])


def marker_from_event(event: dict[str, Any]) -> Marker | None:
    """The marker of a stored event (RunStore.events), or None for events that draw none."""
    kind, payload = event["kind"], event["payload"]
    if kind == "architecture":
        kind = "architecture" if payload.get("kept_history") else "restart"
    elif kind in EVENT_KINDS:
        kind = EVENT_KINDS[kind]
    else:
        return None
    marker: Marker = {"epoch": int(event["epoch"]), "kind": kind}
    marker["changes"] = list(payload.get("changes", []))
    for key in ("fix", "reason", "train", "val", *EDIT_FIELDS):
        if key in payload:
            marker[key] = payload[key]
    return marker


def stored_markers(events: Iterable[dict[str, Any]], segment: int, until: int) -> list[Marker]:
    """The markers of a stored run's segment up to epoch `until` (a resumed run's history)."""
    found = (
        marker_from_event(e) for e in events if e["segment"] == segment and e["epoch"] <= until
    )
    return [m for m in found if m is not None]
