"""Security headers on pages, static files and API replies."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.web.headers import content_security_policy


@pytest.mark.parametrize(
    "path", ["/", "/static/js/main.js", "/static/css/app.css", "/api/health", "/nowhere"]
)
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path)
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self';" in csp
    assert "connect-src 'self' ws://testserver wss://testserver;" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_page_has_no_inline_script_or_style(client: TestClient) -> None:
    html = client.get("/").text
    assert "<script>" not in html and '<script type="module">' not in html
    assert " style=" not in html and "<style" not in html and " on" + "click=" not in html


def test_an_odd_host_is_not_echoed_into_the_policy() -> None:
    assert "ws://" not in content_security_policy("evil.example; script-src *")
    assert "ws://[::1]:8000 " in content_security_policy("[::1]:8000")
