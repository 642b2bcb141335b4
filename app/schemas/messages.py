"""Websocket messages: client commands (validated) and server frame shapes."""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

MAX_STEP_EPOCHS = 1000
MAX_NESTING = 32  # a command's config is about 5 levels deep; deeper input is refused unparsed
# A JSON string, or the rest of the text after an unclosed quote: one pass, no backtracking.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Play(_Command):
    """Start or resume training."""

    type: Literal["play"]


class Pause(_Command):
    """Pause after the current chunk."""

    type: Literal["pause"]


class Step(_Command):
    """Train a fixed number of epochs, then pause."""

    type: Literal["step"]
    epochs: Annotated[int, Field(ge=1, le=MAX_STEP_EPOCHS)] = 1


class Reset(_Command):
    """Re-initialise the weights and clear the history; the config stays."""

    type: Literal["reset"]


MAX_FIX_LABEL = 120  # characters


class Configure(_Command):
    """Merge a partial config into the session's config."""

    type: Literal["configure"]
    config: dict[str, Any]
    # The label of the diagnosis fix this change applies (the page's fix buttons): the change's
    # marker on the charts names it.
    fix: Annotated[str, Field(min_length=1, max_length=MAX_FIX_LABEL)] | None = None


class Regenerate(_Command):
    """Draw new points from a new data seed, keeping the weights."""

    type: Literal["regenerate"]


class AddPoint(_Command):
    """Add a training point by hand (planar data only)."""

    type: Literal["add_point"]
    x: Annotated[float, Field(ge=-1e3, le=1e3, allow_inf_nan=False)]
    y: Annotated[float, Field(ge=-1e3, le=1e3, allow_inf_nan=False)]
    label: Annotated[float, Field(allow_inf_nan=False)]


class RemovePoint(_Command):
    """Remove the point nearest to (x, y) (planar data only)."""

    type: Literal["remove_point"]
    x: Annotated[float, Field(ge=-1e3, le=1e3, allow_inf_nan=False)]
    y: Annotated[float, Field(ge=-1e3, le=1e3, allow_inf_nan=False)]


class Inspect(_Command):
    """Backprop inspector: trace one training point (an index, or "random") while paused."""

    type: Literal["inspect"]
    index: Annotated[int, Field(ge=0)] | Literal["random"]


class ApplySample(_Command):
    """Backprop inspector: apply one training point's single-sample step to the weights."""

    type: Literal["apply_sample"]
    index: Annotated[int, Field(ge=0)]


Command = Annotated[
    Play
    | Pause
    | Step
    | Reset
    | Configure
    | Regenerate
    | AddPoint
    | RemovePoint
    | Inspect
    | ApplySample,
    Field(discriminator="type"),
]
COMMAND_TYPES = (
    "play",
    "pause",
    "step",
    "reset",
    "configure",
    "regenerate",
    "add_point",
    "remove_point",
    "inspect",
    "apply_sample",
)
_command_adapter: TypeAdapter[Command] = TypeAdapter(Command)


class ProtocolError(Exception):
    """A client message that cannot be used; `code` goes into the error frame."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def describe_validation_error(error: ValidationError, skip: int = 0) -> str:
    """Readable problems: 'training.learning_rate: Input should be greater than 0 (got -1)'."""
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"][skip:]) or "message"
        received = item.get("input")
        shown = json.dumps(received, default=str)[:80] if item["type"] != "missing" else None
        parts.append(f"{where}: {item['msg']}" + (f" (got {shown})" if shown is not None else ""))
    return "; ".join(parts)


def nesting_depth(text: str) -> int:
    """How deeply arrays and objects nest in a JSON text (brackets inside strings do not count)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text)).encode("ascii")
    if not brackets:
        return 0
    # Vectorised: a 64 KiB message of brackets costs well under a millisecond on the event loop.
    codes = np.frombuffer(brackets, np.uint8)
    steps = np.where((codes == ord("[")) | (codes == ord("{")), 1, -1)
    return int(steps.cumsum().max())


def parse_command(text: str) -> Command:
    """Parse one websocket text message, or raise ProtocolError saying what was expected."""
    # Deep nesting would exhaust the recursion of json.loads and of validation: refuse it first.
    # The cheap count lets every ordinary message skip the scan.
    if text.count("[") + text.count("{") > MAX_NESTING and nesting_depth(text) > MAX_NESTING:
        raise ProtocolError("too_deep", f"expected JSON nested at most {MAX_NESTING} levels deep")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError("bad_json", f"expected a JSON object, could not parse: {exc}") from None
    if not isinstance(data, dict):
        raise ProtocolError("bad_message", f"expected a JSON object, got {type(data).__name__}")
    kind = data.get("type")
    if kind not in COMMAND_TYPES:
        raise ProtocolError(
            "unknown_type",
            f"unknown message type {json.dumps(kind, default=str)[:60]}; "
            f"expected one of: {', '.join(COMMAND_TYPES)}",
        )
    try:
        return _command_adapter.validate_python(data)
    except ValidationError as exc:
        raise ProtocolError(
            "bad_message", f"bad '{kind}' message: {describe_validation_error(exc, skip=1)}"
        ) from None


def replace_non_finite(value: Any) -> Any:
    """Replace non-finite floats by None, recursively (strict JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: replace_non_finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [replace_non_finite(v) for v in value]
    return value


def encode_frame(frame: dict[str, Any]) -> str:
    """Serialise a server frame as strict JSON: NaN and infinities become null."""
    try:
        return json.dumps(frame, allow_nan=False, separators=(",", ":"))
    except ValueError:
        return json.dumps(replace_non_finite(frame), allow_nan=False, separators=(",", ":"))


def error_frame(code: str, message: str) -> dict[str, Any]:
    """An `error` frame."""
    return {"type": "error", "code": code, "message": message}
