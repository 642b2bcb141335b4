"""Fixtures for the run store: a store in a temporary directory, closed after the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.store import RunStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RunStore]:
    """A fresh store in tmp_path."""
    opened = RunStore.open(tmp_path)
    yield opened
    opened.close()
