"""Persistence of runs: SQLite (WAL) in a data directory, one writer thread, versioned schema."""

from app.store.retention import Retention
from app.store.store import DB_NAME, RunStore

__all__ = ["DB_NAME", "Retention", "RunStore"]
