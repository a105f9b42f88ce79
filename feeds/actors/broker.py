"""The Dramatiq broker on PostgreSQL (dramatiq-pg) and its middleware."""

import dramatiq
from dramatiq.middleware import (
    AgeLimit,
    CurrentMessage,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)
from dramatiq_pg import PostgresBroker

from feeds.retries import MAX_BACKOFF_MS, MAX_RETRIES, MIN_BACKOFF_MS
from feeds.settings import Settings


def should_retry(retries_so_far: int, exception: BaseException) -> bool:
    """Retry only what the refresh asked to retry, at most three times."""
    return isinstance(exception, dramatiq.Retry) and retries_so_far < MAX_RETRIES


def build_broker(settings: Settings) -> PostgresBroker:
    """Build the broker explicitly from settings; no results backend is needed."""
    if not settings.database_url:
        raise SystemExit("DATABASE_URL is not set: the worker needs PostgreSQL")

    time_limit_ms = int(settings.refresh_time_limit_seconds * 1000)
    middleware = [
        AgeLimit(),
        TimeLimit(time_limit=time_limit_ms),
        ShutdownNotifications(),
        Retries(
            max_retries=MAX_RETRIES,
            min_backoff=MIN_BACKOFF_MS,
            max_backoff=MAX_BACKOFF_MS,
            retry_when=should_retry,
        ),
        CurrentMessage(),
    ]
    return PostgresBroker(
        url=settings.database_url, results=False, middleware=middleware
    )
