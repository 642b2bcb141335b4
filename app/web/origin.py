"""Same-origin rules: a page on another site may neither change state here nor open a socket."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from app.web.limits import send_json_error

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def origin_allowed(origin: str | None, host: str | None) -> bool:
    """A browser's Origin must name the host it connected to; non-browsers send no Origin."""
    if origin is None:
        return True
    return bool(host) and urlsplit(origin).netloc.lower() == (host or "").lower()


def cross_site_reason(headers: dict[str, str]) -> str | None:
    """Why a state-changing request must be refused, or None when it comes from this origin.

    A browser sends Origin on every POST/PUT/PATCH/DELETE and Sec-Fetch-Site on every request;
    a request with neither comes from a non-browser client (curl, tests), which no page drives.
    """
    origin, host = headers.get("origin"), headers.get("host")
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site != "same-origin":
        return f"expected a same-origin request, got Sec-Fetch-Site: {fetch_site[:40]}"
    if origin is None and fetch_site is not None:
        return "expected an Origin header on a browser's state-changing request"
    if origin is not None and not origin_allowed(origin, host):
        return f"expected Origin to be this server ({(host or '?')[:100]}), got {origin[:100]!r}"
    return None


class SameOriginWrites:
    """Refuse (403) state-changing HTTP requests that a page on another origin made."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check unsafe methods before the app sees them."""
        if scope["type"] == "http" and scope["method"] in UNSAFE_METHODS:
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            reason = cross_site_reason(headers)
            if reason is not None:
                await send_json_error(send, 403, f"cross-site request refused: {reason}")
                return
        await self.app(scope, receive, send)
