"""What a session and the host of its Run exchange: plain, picklable data (no callables).

Every executor (a thread, a worker process, later a Ray actor) carries these unchanged. Records
travel as one float64 matrix per chunk, snapshots and histograms as JSON text already encoded
where the Run lives, checkpoints as `.npz` bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.data import Table
from app.training.cadence import Cadence
from app.training.event_log import RecordRows
from app.training.inspection import InspectError
from app.training.run import ConfigError


@dataclass(frozen=True)
class OpenSpec:
    """Everything a host needs to build a session's Run, wherever it runs."""

    config: dict[str, Any]  # a SessionConfig dump
    tables: dict[str, Table] = field(default_factory=dict)  # uploads the config trains on
    checkpoint: bytes | None = None  # engine state to continue from
    cadence: Cadence | None = None  # when to take periodic checkpoints; None: nothing records
    last_checkpoint: int = -1  # epoch of the checkpoint the Run starts from


@dataclass(frozen=True)
class Checkpoint:
    """The engine's state between two epochs, with the config it was trained under."""

    epoch: int
    config: dict[str, Any]
    data: bytes


@dataclass(frozen=True)
class View:
    """What a session shows of a (re)built or edited Run: encoded frames and a few facts."""

    config: dict[str, Any]
    epoch: int
    dataset_text: str
    snapshot_text: str
    sizes: tuple[int, int]  # training and validation points
    is_planar: bool
    layer_names: tuple[str, ...]
    guessing_loss: float  # the loss of always guessing the base rate, for the diagnoses
    # A network edit that kept the history: the config frame's fields saying what it kept
    # (markers.edit_frame_fields); empty for a fresh start or no edit.
    edit: dict[str, Any] = field(default_factory=dict)


@dataclass
class ChunkResult:
    """What one slice of training produced."""

    rows: RecordRows | None
    snapshot: str | None  # encoded where the Run lives
    stop: tuple[str, str | None] | None  # (session state, reason) when training must stop
    epoch: int  # completed epochs after the slice
    in_epoch: bool  # an epoch is half done
    histograms: list[tuple[int, str]] = field(default_factory=list)  # (epoch, encoded frame)
    checkpoints: list[Checkpoint] = field(default_factory=list)


@dataclass(frozen=True)
class RemoteError:
    """An exception raised where the Run lives, as data: `kind` names the class to raise here."""

    kind: str  # "config", "inspect", "value" or "internal"
    message: str
    code: str = ""

    @classmethod
    def of(cls, exc: Exception) -> RemoteError:
        """The error to send back for `exc`."""
        if isinstance(exc, ConfigError):
            return cls("config", exc.message, exc.code)
        if isinstance(exc, InspectError):
            return cls("inspect", exc.message, exc.code)
        if isinstance(exc, ValueError):
            return cls("value", str(exc))
        return cls("internal", f"{type(exc).__name__}: {exc}")

    def exception(self) -> Exception:
        """The exception to raise in the session."""
        if self.kind == "config":
            return ConfigError(self.message, self.code)
        if self.kind == "inspect":
            return InspectError(self.message, self.code)
        if self.kind == "value":
            return ValueError(self.message)
        return RuntimeError(self.message)


class WorkerLost(Exception):
    """The process hosting a session's Run stopped; `reason` says how."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
