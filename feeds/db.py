"""Connections to PostgreSQL for the application's own SQL (psycopg 3).

The Dramatiq broker keeps its own psycopg2 pool; nothing here is shared with it.
"""

from psycopg import Connection
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from feeds.settings import Settings

# Advisory lock namespaces (first key of the two-int form) so the service's
# locks never collide with dramatiq-pg's single bigint keys or with each other.
LOCK_NAMESPACE_MIGRATE = 7301
LOCK_NAMESPACE_DOMAIN = 7302
LOCK_NAMESPACE_DISPATCH = 7303

SCHEDULE_CHANNEL = "feeds_schedule"


def create_pool(settings: Settings, *, name: str, min_size: int = 1) -> ConnectionPool:
    """Open a pool of dict-row connections, waiting until one connection works."""
    pool = ConnectionPool(
        settings.database_url,
        min_size=min_size,
        max_size=max(min_size, settings.database_pool_size),
        kwargs={"row_factory": dict_row, "application_name": name},
        check=ConnectionPool.check_connection,
        name=name,
        open=False,
    )
    pool.open(wait=False)
    return pool


def connect(settings: Settings, *, autocommit: bool = False) -> Connection:
    """Open a single dict-row connection (command line tools, LISTEN loops)."""
    return Connection.connect(
        settings.database_url, row_factory=dict_row, autocommit=autocommit
    )
