"""Apply the numbered SQL files in migrations/, once each, under a lock."""

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from psycopg import Connection

from feeds.db import LOCK_NAMESPACE_MIGRATE

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path


def available_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """List the migration files in version order; other files are an error."""
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise ValueError(f"migration file name {path.name!r} is not NNNN_name.sql")
        migrations.append(Migration(int(match[1]), match[2], path))
    return migrations


def applied_versions(conn: Connection) -> set[int]:
    """Return the versions recorded as applied; empty before the first run."""
    exists = conn.execute("SELECT to_regclass('schema_migrations') AS t").fetchone()
    if _value(exists) is None:
        return set()
    rows = conn.execute("SELECT version FROM schema_migrations").fetchall()
    return {_value(row) for row in rows}


def pending_migrations(conn: Connection) -> list[Migration]:
    done = applied_versions(conn)
    return [m for m in available_migrations() if m.version not in done]


def migrate(conn: Connection) -> list[Migration]:
    """Apply every pending migration, each in its own transaction.

    A session advisory lock serialises concurrent callers, so two processes
    starting at once apply each file exactly once. Returns what was applied.
    """
    conn.autocommit = True
    conn.execute("SELECT pg_advisory_lock(%(ns)s, 0)", {"ns": LOCK_NAMESPACE_MIGRATE})
    try:
        conn.execute(_CREATE_TABLE)
        applied = []
        for migration in pending_migrations(conn):
            _apply(conn, migration)
            applied.append(migration)
        return applied
    finally:
        conn.execute(
            "SELECT pg_advisory_unlock(%(ns)s, 0)", {"ns": LOCK_NAMESPACE_MIGRATE}
        )


def _apply(conn: Connection, migration: Migration) -> None:
    logger.info("applying migration", extra={"version": migration.version})
    with conn.transaction():
        conn.execute(migration.path.read_text())
        conn.execute(
            "INSERT INTO schema_migrations (version, name) "
            "VALUES (%(version)s, %(name)s)",
            {"version": migration.version, "name": migration.name},
        )


def _value(row: object) -> object:
    """Return the first column of a row fetched with any row factory."""
    if isinstance(row, dict):
        return next(iter(row.values()))
    return row[0]
