"""Session credentials on REST routes and websockets, with failed checks rate-limited per client."""

from __future__ import annotations

import math

from fastapi import HTTPException, Request
from starlette.requests import HTTPConnection

from app.training.manager import SessionManager
from app.training.session import TrainingSession
from app.web.throttle import FailureLimiter

SESSION_ID_HEADER = "X-Session-Id"
SESSION_TOKEN_HEADER = "X-Session-Token"


class TooManyFailures(Exception):
    """This client failed too many token checks; it may retry after `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(
            f"too many failed token checks from your address; retry in {self.retry_after} s"
        )


def client_address(connection: HTTPConnection) -> str:
    """The peer's address (a reverse proxy's, when there is one)."""
    return connection.client.host if connection.client else "unknown"


def check_session(
    connection: HTTPConnection, session_id: str, token: str
) -> TrainingSession | None:
    """The session if id and token match (compared in constant time); counts failures.

    Raises TooManyFailures, without checking, while this client is over its failure budget.
    """
    limiter: FailureLimiter = connection.app.state.token_limiter
    address = client_address(connection)
    wait = limiter.retry_after(address)
    if wait > 0:
        raise TooManyFailures(wait)
    manager: SessionManager = connection.app.state.manager
    session = manager.get(session_id, token)
    if session is None:
        limiter.fail(address)
    return session


def session_from_headers(request: Request) -> TrainingSession | None:
    """The session named by X-Session-Id and X-Session-Token; None when they are absent.

    Raises 403 for a wrong pair and 429 while this client is over its failure budget.
    """
    session_id = request.headers.get(SESSION_ID_HEADER)
    token = request.headers.get(SESSION_TOKEN_HEADER)
    if session_id is None or token is None:
        return None
    try:
        session = check_session(request, session_id, token)
    except TooManyFailures as exc:
        raise HTTPException(429, str(exc), {"Retry-After": str(exc.retry_after)}) from None
    if session is None:
        raise HTTPException(403, "unknown session or wrong token; create a new session")
    return session


def require_session(request: Request) -> TrainingSession:
    """Like session_from_headers, but the headers must be there (401 otherwise)."""
    session = session_from_headers(request)
    if session is None:
        raise HTTPException(
            401,
            f"expected the {SESSION_ID_HEADER} and {SESSION_TOKEN_HEADER} headers: "
            "the id and token returned by POST /api/sessions",
        )
    return session
