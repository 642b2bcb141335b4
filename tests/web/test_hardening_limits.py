"""Input bounds: chunked uploads over the limit get 413, min_delta must be finite."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from app.schemas.config import SessionConfig, merge_config
from app.settings import Settings
from tests.web.live_server import live_server

BOUNDARY = "hardening-boundary"


def _chunked_multipart(total: int) -> Iterator[bytes]:
    """A multipart CSV upload of about `total` bytes, yielded in 64 KiB chunks."""
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
        "Content-Type: text/csv\r\n\r\na,b\r\n"
    ).encode()
    chunk = b"1,2\r\n" * (64 * 1024 // 5)
    for _ in range(total // len(chunk) + 1):
        yield chunk
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def test_chunked_upload_over_the_limit_is_413_not_400() -> None:
    limit = Settings().max_upload_bytes
    with live_server() as server:
        _, session = server.request("POST", "/api/sessions", {})
        conn = http.client.HTTPConnection(server.host, server.port, timeout=60)
        try:
            conn.request(
                "POST",
                "/api/datasets",
                body=_chunked_multipart(limit + limit // 8),
                headers={
                    "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                    "X-Session-Id": session["id"],
                    "X-Session-Token": session["token"],
                },
                encode_chunked=True,
            )
            reply = conn.getresponse()
            status, body = reply.status, json.loads(reply.read())
        except (BrokenPipeError, ConnectionResetError) as exc:
            pytest.fail(f"the server dropped the connection instead of answering 413: {exc!r}")
        finally:
            conn.close()
    assert status == 413, body
    assert "too large" in body["detail"] and f"{limit:,}" in body["detail"]


@pytest.mark.parametrize("value", [float("inf"), 1e308, 1e7])
def test_min_delta_must_be_a_finite_bounded_number(value: float) -> None:
    with pytest.raises(ValidationError) as info:
        merge_config(SessionConfig(), {"training": {"early_stopping": {"min_delta": value}}})
    assert "min_delta" in str(info.value)


def test_a_valid_min_delta_survives_a_json_round_trip() -> None:
    config = merge_config(SessionConfig(), {"training": {"early_stopping": {"min_delta": 0.5}}})
    again = json.loads(json.dumps(config.model_dump(), allow_nan=False))
    assert merge_config(SessionConfig(), again).training.early_stopping.min_delta == 0.5
