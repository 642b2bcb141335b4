"""Client command parsing and strict-JSON frame encoding."""

from __future__ import annotations

import json

import pytest

from app.schemas.messages import ProtocolError, Step, encode_frame, parse_command


@pytest.mark.parametrize(
    ("text", "code", "words"),
    [
        ("{not json", "bad_json", "expected a JSON object"),
        ("[1, 2]", "bad_message", "got list"),
        ('"play"', "bad_message", "got str"),
        ('{"type": "dance"}', "unknown_type", "expected one of: play, pause"),
        ("{}", "unknown_type", "expected one of"),
        ('{"type": "step", "epochs": 0}', "bad_message", "epochs"),
        ('{"type": "step", "epochs": "many"}', "bad_message", "epochs"),
        ('{"type": "play", "extra": 1}', "bad_message", "extra"),
        ('{"type": "configure"}', "bad_message", "config"),
        ('{"type": "configure", "config": 3}', "bad_message", "config"),
        ('{"type": "add_point", "x": 1, "y": 2}', "bad_message", "label"),
    ],
)
def test_bad_messages_say_what_was_expected(text: str, code: str, words: str) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_command(text)
    assert info.value.code == code
    assert words in info.value.message


def test_good_messages_parse() -> None:
    assert parse_command('{"type": "step", "epochs": 5}') == Step(type="step", epochs=5)
    assert parse_command('{"type": "step"}') == Step(type="step", epochs=1)


def test_frames_never_contain_nan() -> None:
    text = encode_frame({"type": "metrics", "train_loss": [1.0, float("nan"), float("inf")]})
    assert json.loads(text)["train_loss"] == [1.0, None, None]
    assert "NaN" not in text and "Infinity" not in text
