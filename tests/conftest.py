"""Shared fixtures: the app under TestClient, and a helper to read strict-JSON frames."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient


def _reject_constant(name: str) -> Any:
    raise AssertionError(f"frame contains {name}, which is not valid JSON")


def strict_json(text: str) -> Any:
    """Parse JSON the way a browser does: NaN and Infinity are errors."""
    return json.loads(text, parse_constant=_reject_constant)


def make_test_app() -> FastAPI:
    """The app as TestClient reaches it: its Host header is `testserver`."""
    from app.main import create_app
    from app.settings import LOOPBACK_HOSTS, Settings

    return create_app(Settings(allowed_hosts=(*LOOPBACK_HOSTS, "testserver"), data_dir=None))


@pytest.fixture
def client() -> Iterator[TestClient]:
    """A TestClient running the app's lifespan (session manager started and stopped)."""
    with TestClient(make_test_app()) as test_client:
        yield test_client
