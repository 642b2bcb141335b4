"""The store's schema: a `schema_version` table and an ordered list of migrations.

Migration i (1-based) takes a database at version i - 1 to version i inside one transaction.
Append new migrations; never edit one that has shipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

Migration = Callable[[sqlite3.Connection], None]


def _script(db: sqlite3.Connection, sql: str) -> None:
    """Run statements one by one (executescript would commit the migration's transaction)."""
    for statement in sql.split(";"):
        if statement.strip():
            db.execute(statement)


def _v1(db: sqlite3.Connection) -> None:
    """Runs, epoch records, events, checkpoints."""
    _script(
        db,
        """
        CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            config TEXT NOT NULL,
            created REAL NOT NULL,
            updated REAL NOT NULL,
            state TEXT NOT NULL,
            epochs INTEGER NOT NULL DEFAULT 0,
            best_val_loss REAL
        );
        CREATE TABLE layouts (id INTEGER PRIMARY KEY, spec TEXT NOT NULL UNIQUE);
        CREATE TABLE epochs (
            run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            segment INTEGER NOT NULL,
            epoch INTEGER NOT NULL,
            layout INTEGER NOT NULL REFERENCES layouts(id),
            data BLOB NOT NULL,
            extra TEXT,
            PRIMARY KEY (run_id, segment, epoch)
        ) WITHOUT ROWID;
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            segment INTEGER NOT NULL,
            epoch INTEGER NOT NULL,
            at REAL NOT NULL,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL
        );
        CREATE INDEX events_run ON events(run_id, id);
        CREATE TABLE checkpoints (
            run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            segment INTEGER NOT NULL,
            epoch INTEGER NOT NULL,
            at REAL NOT NULL,
            config TEXT NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (run_id, segment, epoch)
        );
        """,
    )


def _v2(db: sqlite3.Connection) -> None:
    """Uploaded CSVs (their bytes, so they survive restarts); the best validation accuracy."""
    _script(
        db,
        """
        CREATE TABLE uploads (
            id TEXT PRIMARY KEY,
            filename TEXT NOT NULL,
            target TEXT,
            task TEXT NOT NULL,
            created REAL NOT NULL,
            data BLOB NOT NULL
        );
        ALTER TABLE runs ADD COLUMN best_val_acc REAL;
        """,
    )


def _v3(db: sqlite3.Connection) -> None:
    """Weight, gradient and activation histograms (zlib-compressed JSON, one row per frame)."""
    _script(
        db,
        """
        CREATE TABLE histograms (
            run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            segment INTEGER NOT NULL,
            epoch INTEGER NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (run_id, segment, epoch)
        ) WITHOUT ROWID
        """,
    )


MIGRATIONS: tuple[Migration, ...] = (_v1, _v2, _v3)
VERSION = len(MIGRATIONS)


def version_of(db: sqlite3.Connection) -> int:
    """The schema version of a database (0 for an empty one)."""
    db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = db.execute("SELECT version FROM schema_version").fetchone()
    return 0 if row is None else int(row[0])


def migrate(db: sqlite3.Connection, migrations: tuple[Migration, ...] = MIGRATIONS) -> int:
    """Bring the database to the newest version, one transaction per step; returns the version."""
    current = version_of(db)
    if current > len(migrations):
        raise RuntimeError(
            f"the database has schema version {current}, newer than this program's "
            f"{len(migrations)}: upgrade Backprop Lab or use another --data-dir"
        )
    for number in range(current + 1, len(migrations) + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            migrations[number - 1](db)
            db.execute("DELETE FROM schema_version")
            db.execute("INSERT INTO schema_version (version) VALUES (?)", (number,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return len(migrations)
