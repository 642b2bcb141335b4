"""How many tabs have a session open: each of them hears the count in a `tabs` frame.

Only the session websocket's connections count (a room's watchers are not tabs of the run).
The frame goes into each tab's outbox, beside the session's own event log.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from app.training.event_log import Subscriber
from app.training.session import TrainingSession

_open: WeakKeyDictionary[TrainingSession, set[Subscriber]] = WeakKeyDictionary()


def tab_count(session: TrainingSession) -> int:
    """The tabs that have `session` open now."""
    return len(_open.get(session, ()))


def joined(session: TrainingSession, sub: Subscriber) -> None:
    """A tab connected: tell every tab of the session the new count."""
    _open.setdefault(session, set()).add(sub)
    _announce(session)


def left(session: TrainingSession, sub: Subscriber) -> None:
    """A tab disconnected: tell the others."""
    tabs = _open.get(session)
    if tabs is None:
        return
    tabs.discard(sub)
    if tabs:
        _announce(session)
    else:
        del _open[session]


def _announce(session: TrainingSession) -> None:
    tabs = _open.get(session, set())
    frame = {"type": "tabs", "count": len(tabs)}
    for sub in tabs:
        sub.outbox.append(dict(frame))
        sub.wake.set()
