"""Schema versions: a database made by an older version is migrated; a newer one is refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.store import DB_NAME, RunStore
from app.store.schema import MIGRATIONS, VERSION, migrate, version_of


def test_an_old_version_database_is_migrated_and_keeps_its_runs(tmp_path: Path) -> None:
    path = tmp_path / DB_NAME
    old = sqlite3.connect(path, isolation_level=None)
    assert migrate(old, MIGRATIONS[:1]) == 1
    old.execute(
        "INSERT INTO runs (id, name, config, created, updated, state, epochs)"
        " VALUES ('r1', 'old run', '{}', 1.0, 1.0, 'running', 42)"
    )
    old.close()

    store = RunStore(path)
    try:
        db = sqlite3.connect(path)
        assert version_of(db) == VERSION > 1
        db.close()
        run = store.get_run("r1")
        assert run is not None
        assert (run["name"], run["epochs"], run["best_val_acc"]) == ("old run", 42, None)
        assert run["state"] == "interrupted", "it was running when its server stopped"
        store.save_upload("u1", "a.csv", None, "classification", b"x,y\n1,0\n")  # a v2 table
        store.flush()
        assert store.upload("u1") == {
            "filename": "a.csv",
            "target": None,
            "task": "classification",
            "data": b"x,y\n1,0\n",
        }
    finally:
        store.close()


def test_a_failed_migration_leaves_the_old_version(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / DB_NAME, isolation_level=None)

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x INTEGER)")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        migrate(db, (*MIGRATIONS[:1], broken))
    assert version_of(db) == 1
    assert not db.execute("SELECT name FROM sqlite_master WHERE name = 'half_done'").fetchall()


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / DB_NAME, isolation_level=None)
    migrate(db)
    db.execute("UPDATE schema_version SET version = ?", (VERSION + 1,))
    db.close()
    with pytest.raises(RuntimeError, match="newer than this program"):
        RunStore.open(tmp_path)
