"""Connections for request handlers, one per request, from the process's pool."""

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from psycopg import Connection

# A request waits this long for a free connection before it fails with 503.
# It stays well below gunicorn's default worker timeout of 30 seconds, so a
# stalled database produces 503 responses rather than killed workers.
POOL_TIMEOUT_SECONDS = 5.0


class Pool(Protocol):
    """The part of psycopg_pool.ConnectionPool that the API uses."""

    def connection(
        self, timeout: float | None = None
    ) -> AbstractContextManager[Connection]: ...


@contextmanager
def connection(pool: Pool, timeout: float | None = None) -> Iterator[Connection]:
    """Borrow a connection and run the block in one transaction.

    The transaction commits when the block exits cleanly and rolls back when
    it raises. Storage functions that open ``conn.transaction()`` themselves
    get a savepoint inside it. Without the outer transaction, psycopg commits
    such a block on exit, and a later failure in the request cannot undo it.
    Raises psycopg_pool.PoolTimeout (an OperationalError) when no connection
    is free within ``timeout`` seconds (default POOL_TIMEOUT_SECONDS).
    """
    if timeout is None:
        timeout = POOL_TIMEOUT_SECONDS

    with pool.connection(timeout=timeout) as conn:
        with conn.transaction():
            yield conn
