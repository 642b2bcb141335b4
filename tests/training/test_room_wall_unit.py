"""The wall's bounded pieces: history samples, boundary thumbnails, polls."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.training.history import LAYER_COLUMNS, SCALAR_COLUMNS, RecordHistory
from app.training.room_votes import Choice, Classroom, PollError
from app.training.room_wall import THUMB_CELLS, THUMB_LEVELS, thumbnail


def history(epochs: int) -> RecordHistory:
    h = RecordHistory()
    rows = np.zeros((epochs, len(SCALAR_COLUMNS) + len(LAYER_COLUMNS)))  # one layer
    rows[:, 0] = np.arange(1, epochs + 1)
    rows[:, 1] = 1.0 / rows[:, 0]
    h.add(rows, ("a",))
    return h


def test_a_sample_is_bounded_spread_and_ends_at_the_last_epoch() -> None:
    h = history(3000)
    sample = h.sample([0, 1], 48)
    assert len(sample) <= 48 and sample[0, 0] == 1 and sample[-1, 0] == 3000
    assert np.all(np.diff(sample[:, 0]) > 0)
    assert h.sample([0], 1)[0, 0] == 3000
    late = h.sample([0], 10, since=2500)
    assert late[0, 0] >= 2500 and late[-1, 0] == 3000
    assert len(h.sample([0], 10, since=9999)) == 0
    assert len(RecordHistory().sample([0], 10)) == 0
    assert len(history(5).sample([0], 48)) == 5


def snapshot(task: str, values: list[float]) -> str:
    return json.dumps({"boundary": {"task": task, "resolution": 64, "values": values}})


def test_thumbnails_keep_the_picture_at_a_fixed_size() -> None:
    left_right = [0.0 if c < 32 else 1.0 for _ in range(64) for c in range(64)]
    thumb = thumbnail(snapshot("binary", left_right))
    assert thumb is not None and len(thumb["cells"]) == THUMB_CELLS**2
    row = thumb["cells"][:THUMB_CELLS]
    assert row[0] == 0 and row[-1] == THUMB_LEVELS  # left stays left
    classes = thumbnail(
        snapshot("multiclass", [float(r // 22) for r in range(64) for _ in range(64)])
    )
    assert classes is not None and classes["classes"] == 3 and classes["cells"][0] == 0
    assert thumbnail(json.dumps({"boundary": {"task": "binary", "train_pred": []}})) is None
    assert thumbnail("not json") is None


def test_a_poll_takes_one_changeable_vote_per_member_until_closed() -> None:
    room = Classroom()
    with pytest.raises(PollError):
        room.ask("Which?", [Choice("only", {})])
    poll = room.ask("  Which   one? ", [Choice("a", {}), Choice("b", {"training": {}})])
    assert poll.question == "Which one?"
    poll.vote("ada", 0)
    poll.vote("ada", 1)
    poll.vote("bob", 1)
    assert poll.counts() == [0, 2]
    with pytest.raises(PollError):
        poll.vote("bob", 2)
    poll.open = False
    with pytest.raises(PollError):
        poll.vote("cy", 0)
    assert "counts" in poll.describe("ada", counts=False)  # closed: counts for everyone
    assert room.send("preset", "Spiral", preset="spiral").id > poll.id
