"""The WSGI entry point: ``gunicorn feeds.api.wsgi:app``.

Importing this module reads the settings but opens no connection. Each
gunicorn worker opens its own pool on its first request, because connections
must not be shared across fork().
"""

import atexit
import os
import threading
from contextlib import AbstractContextManager

from psycopg import Connection
from psycopg_pool import ConnectionPool

from feeds.api.app import create_app
from feeds.db import create_pool
from feeds.logs import configure_logging
from feeds.settings import Settings, get_settings

POOL_NAME = "feeds-api"


class LazyPool:
    """A connection pool opened on first use in the process that uses it."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._pool: ConnectionPool | None = None
        self._pid: int | None = None

    def connection(
        self, timeout: float | None = None
    ) -> AbstractContextManager[Connection]:
        return self._get().connection(timeout=timeout)

    def close(self) -> None:
        with self._lock:
            if self._pool is not None and self._pid == os.getpid():
                self._pool.close()
            self._pool = None

    def _get(self) -> ConnectionPool:
        with self._lock:
            # A pool inherited through fork() belongs to the parent, and closing
            # it here would close the parent's connections. Open a new one.
            if self._pool is None or self._pid != os.getpid():
                self._pool = create_pool(self._settings, name=POOL_NAME)
                self._pid = os.getpid()
                atexit.register(self.close)
            return self._pool


def _build_app():
    settings = get_settings()
    configure_logging(settings)
    return create_app(settings, LazyPool(settings))


app = _build_app()
