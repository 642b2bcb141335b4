"""Hostile websocket messages: every one gets an `error` frame and the connection lives on."""

from __future__ import annotations

import json
import random

import pytest
from fastapi.testclient import TestClient

from app.schemas.messages import MAX_NESTING, ProtocolError, parse_command
from tests.conftest import strict_json

ERROR_CODES = {"bad_json", "bad_message", "unknown_type", "too_deep", "too_large", "bad_config"}


def _nested(depth: int, rng: random.Random) -> str:
    """A JSON text nested `depth` levels deep, arrays and objects mixed at random."""
    opens, closes = [], []
    for _ in range(depth):
        if rng.random() < 0.5:
            opens.append("[")
            closes.append("]")
        else:
            opens.append('{"k":')
            closes.append("}")
    return "".join(opens) + "1" + "".join(reversed(closes))


def hostile_messages(seed: int = 11) -> list[str]:
    """Many shapes a client should never send; none of them is a valid command."""
    rng = random.Random(seed)
    deep = [
        "[" * 60_000,
        "{" * 60_000,
        '{"a":' * 5000 + "1" + "}" * 5000,
        "[" * 2000 + "]" * 2000,
        '{"type": "configure", "config": ' + '{"a":' * 3000 + "1" + "}" * 3000 + "}",
        '{"type": "step", "epochs": ' + "[" * 1500 + "]" * 1500 + "}",
        '{"type": "play", "x": ' + _nested(MAX_NESTING + 1, rng) + "}",
    ]
    deep += [_nested(rng.randint(MAX_NESTING + 1, 20_000), rng) for _ in range(20)]
    odd = [
        "",
        " ",
        "\x00",
        "null",
        "true",
        "1e999999",
        "9" * 5000,  # past Python's int-string limit: ValueError, not a number
        '"\\ud800"',
        '{"type": "\\ud800"}',
        '{"type": "configure", "config": {"\\udfff": 1}}',
        '{"type": NaN}',
        '{"type": "add_point", "x": Infinity, "y": NaN, "label": -Infinity}',
        '{"type": "step", "epochs": 1e308}',
        '{"type": "step", "epochs": ' + "9" * 4000 + "}",
        '{"type": "configure", "config": {"training": {"learning_rate": "' + "x" * 60_000 + '"}}}',
        '{"type": "configure", "config": {"model": {"layers": ' + "[" * 40 + "]" * 40 + "}}}",
        '{"type": "configure", "config": {"training": ' + json.dumps([[]] * 2000) + "}}",
        '{"type": "play"' + ', "a": 1' * 3000 + "}",
        '{"type": "play", "type": "dance"}',
        '{"type": ["play"]}',
        '{"type": {"type": "play"}}',
        "[" + "]" * 50,
        '{"a": "' + "[" * 10_000 + '"}',  # brackets inside a string are not nesting
        '{"a": "\\"' + "[" * 10_000 + '"}',
        "\ufeff{}",
    ]
    return deep + odd


def test_parse_command_refuses_every_hostile_shape_or_leaves_it_to_configure() -> None:
    for text in hostile_messages():
        try:
            command = parse_command(text)
        except ProtocolError:
            continue
        # A configure's partial config is checked by the session (bad_config), not by the parser.
        assert command.type == "configure", text[:80]


def test_nesting_limit_is_clear_and_legit_depth_passes() -> None:
    with pytest.raises(ProtocolError) as info:
        parse_command("[" * 2000 + "]" * 2000)
    assert info.value.code == "too_deep"
    assert f"at most {MAX_NESTING}" in info.value.message
    deep_ok = {"type": "configure", "config": {"training": {"early_stopping": {"patience": 3}}}}
    assert parse_command(json.dumps(deep_ok)).type == "configure"
    # Brackets inside strings do not count as nesting.
    text = json.dumps({"type": "configure", "config": {"note": "[" * 5000}})
    assert parse_command(text).type == "configure"


def test_websocket_answers_every_hostile_message_and_stays_open(client: TestClient) -> None:
    body = client.post("/api/sessions", json={}).json()
    url = f"/ws/sessions/{body['id']}?token={body['token']}"
    messages = hostile_messages(seed=5)
    with client.websocket_connect(url) as ws:
        assert strict_json(ws.receive_text())["type"] == "hello"
        for text in messages:
            ws.send_text(text)
            frame = strict_json(ws.receive_text())
            assert frame["type"] == "error", (text[:80], frame)
            assert frame["code"] in ERROR_CODES
        ws.send_json({"type": "step", "epochs": 1})
        types = set()
        for _ in range(20):
            frame = strict_json(ws.receive_text())
            types.add(frame["type"])
            if frame["type"] == "metrics":
                break
        assert "metrics" in types, "the session still trains after the hostile messages"
