"""Per-process state of a worker: logging, the connection pool and the fetcher.

The pool and the fetcher are created on first use, after Dramatiq has started
the process, so forked processes never share connections.
"""

import logging
import threading

from feeds.db import create_pool
from feeds.fetch import Fetcher
from feeds.logs import configure_logging
from feeds.refresh import Refresher
from feeds.settings import Settings, get_settings

__all__ = ["configure_logging", "refresher"]

_lock = threading.Lock()
_refresher: Refresher | None = None


def refresher(settings: Settings | None = None) -> Refresher:
    """Return this process's Refresher, creating it on first use."""
    global _refresher
    with _lock:
        if _refresher is None:
            settings = settings or get_settings()
            pool = create_pool(settings, name="feeds-worker", min_size=1)
            _refresher = Refresher(settings, pool, Fetcher(settings))
            logging.getLogger(__name__).info("worker resources ready")
        return _refresher
