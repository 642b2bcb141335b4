"""Token guessing is rate-limited per client address, with bounded memory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.main import create_app
from app.settings import LOOPBACK_HOSTS, Settings
from app.web.throttle import FailureLimiter
from tests.conftest import strict_json

BURST = 3


@pytest.fixture
def strict_client() -> Iterator[TestClient]:
    settings = Settings(
        allowed_hosts=(*LOOPBACK_HOSTS, "testserver"),
        token_failure_burst=BURST,
        token_failure_per_second=0.001,  # nothing drains during the test
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _socket_close(client: TestClient, url: str) -> tuple[dict[str, object], int]:
    with client.websocket_connect(url) as ws:
        frame = strict_json(ws.receive_text())
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive_text()
    return frame, info.value.code


def test_websocket_guesses_are_cut_off_with_4429(strict_client: TestClient) -> None:
    body = strict_client.post("/api/sessions", json={}).json()
    for guess in range(BURST):
        frame, code = _socket_close(strict_client, f"/ws/sessions/{body['id']}?token=guess{guess}")
        assert code == 4404 and frame["code"] == "no_session"
    # Over budget: even the right token is not checked (a hit would confirm a guess).
    right = f"/ws/sessions/{body['id']}?token={body['token']}"
    frame, code = _socket_close(strict_client, right)
    assert code == 4429 and frame["code"] == "rate_limited" and "retry in" in frame["message"]


def test_rest_guesses_get_429_with_retry_after(strict_client: TestClient) -> None:
    body = strict_client.post("/api/sessions", json={}).json()
    wrong = {"X-Session-Id": body["id"], "X-Session-Token": "nope"}
    statuses = [strict_client.get("/api/datasets", headers=wrong).status_code for _ in range(BURST)]
    assert statuses == [403] * BURST
    right = {"X-Session-Id": body["id"], "X-Session-Token": body["token"]}
    limited = strict_client.get("/api/datasets", headers=right)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert "too many failed token checks" in limited.json()["detail"]


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_bucket_drains_and_forgets_old_addresses() -> None:
    clock = FakeClock()
    limiter = FailureLimiter(burst=2, per_second=0.5, max_clients=3, clock=clock)
    limiter.fail("a")
    assert limiter.retry_after("a") == 0
    limiter.fail("a")
    assert limiter.retry_after("a") == pytest.approx(2.0)
    clock.now += 2.0
    assert limiter.retry_after("a") == 0  # one failure drained: one more try allowed
    for address in ("b", "c", "d", "e"):
        limiter.fail(address)
    assert len(limiter) == 3, "memory stays bounded whatever the number of addresses"
    with pytest.raises(ValueError, match="burst >= 1"):
        FailureLimiter(burst=0, per_second=1, max_clients=1)
