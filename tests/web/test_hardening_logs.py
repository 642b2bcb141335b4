"""Secrets never reach a log line of a real server (uvicorn's access and websocket lines)."""

from __future__ import annotations

import logging
import urllib.request

from websockets.sync.client import connect

from app.web.redact import RedactSecrets
from tests.web.live_server import live_server


def test_session_tokens_stay_out_of_the_server_log() -> None:
    with live_server() as server:
        _, session = server.request("POST", "/api/sessions", {})
        token = session["token"]
        ws_url = f"ws://{server.host}:{server.port}/ws/sessions/{session['id']}?token={token}"
        with connect(ws_url) as ws:
            ws.recv(timeout=30)  # hello
        # A wrong token and a token in an ordinary request's query string are logged too.
        with connect(ws_url.replace(token, token[::-1])) as ws:
            ws.recv(timeout=30)
        query = f"{server.url}/api/health?token={token}&x=1"
        with urllib.request.urlopen(query, timeout=30) as reply:
            assert reply.status == 200
        server.request("GET", "/api/datasets", headers={"X-Session-Token": token})
        log = server.log()
    assert "/ws/sessions/" in log and "/api/health" in log, "the requests were logged"
    assert token not in log and token[::-1] not in log, log[-3000:]
    assert "token=[redacted]" in log


def test_the_filter_redacts_message_and_arguments() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s"',
        ("1.2.3.4", "GET", "/ws/sessions/ab?token=SECRET&next=1"),
        None,
    )
    assert RedactSecrets().filter(record)
    assert "SECRET" not in record.getMessage()
    assert "token=[redacted]&next=1" in record.getMessage()
    plain = logging.LogRecord("x", logging.INFO, __file__, 1, "token=%s", ("abc",), None)
    RedactSecrets().filter(plain)
    assert plain.getMessage() == "token=[redacted]"
