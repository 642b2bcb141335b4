"""Keep secrets out of log lines: session tokens travel in the websocket URL's query string."""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

_SECRET = re.compile(r"(token=|[?&]code=)[^&\s\"'#]*", re.IGNORECASE)  # code: a room's join code
REDACTED = r"\1[redacted]"


def redact(text: str) -> str:
    """`text` with every `token=...` and `code=...` value replaced."""
    return _SECRET.sub(REDACTED, text)


class RedactSecrets(logging.Filter):
    """A handler filter that rewrites a record's message and arguments before formatting."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact in place (arguments one by one, as uvicorn's access formatter reads them)."""
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed record: logging reports it as usual
            return True
        if redact(message) != message:  # the secret was in the template or split across parts
            record.msg, record.args = redact(message), None
        return True


def logging_config(base: dict[str, Any]) -> dict[str, Any]:
    """A copy of a logging dictConfig whose every handler redacts secrets."""
    config = copy.deepcopy(base)
    config.setdefault("filters", {})["redact_secrets"] = {"()": f"{__name__}.RedactSecrets"}
    for handler in config.get("handlers", {}).values():
        handler["filters"] = [*handler.get("filters", []), "redact_secrets"]
    return config
