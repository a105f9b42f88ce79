"""The Dramatiq broker on PostgreSQL (dramatiq-pg) and its middleware."""

import dramatiq
import psycopg2
from dramatiq.middleware import (
    AgeLimit,
    CurrentMessage,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)
from dramatiq_pg import PostgresBroker
from dramatiq_pg.broker import PostgresConsumer

from feeds.retries import MAX_BACKOFF_MS, MAX_RETRIES, MIN_BACKOFF_MS
from feeds.settings import Settings


def should_retry(retries_so_far: int, exception: BaseException) -> bool:
    """Retry only what the refresh asked to retry, at most three times."""
    return isinstance(exception, dramatiq.Retry) and retries_so_far < MAX_RETRIES


class Consumer(PostgresConsumer):
    """dramatiq-pg's consumer, with its prefetch backoff reset once there is room.

    A consumer holding ``prefetch`` unacknowledged messages sleeps with an
    exponential backoff before looking again. dramatiq-pg 0.12.0 never resets
    the count behind that backoff, so after a few full moments every later one
    sleeps 0.5 to 1 s while the worker threads run out of work. Counting only
    consecutive full polls keeps the first sleeps at a few milliseconds.

    Each consumed message also holds a session advisory lock until its
    consumer next finds no message to take, so under a steady stream of
    messages the locks pile up until PostgreSQL runs out of lock table space
    ("out of shared memory"). The locks of acknowledged messages are therefore
    released before every poll.
    """

    def __next__(self):
        if len(self.in_processing) < self.prefetch:
            self.misses = 0
        try:
            if not self.unlock_q.empty():
                self.purge_locks()
            return super().__next__()
        except psycopg2.InterfaceError as error:
            raise _lost_connection(error) from error

    def requeue(self, messages):
        try:
            super().requeue(messages)
        except psycopg2.InterfaceError as error:
            raise _lost_connection(error) from error


def _lost_connection(error: psycopg2.InterfaceError) -> dramatiq.ConnectionError:
    """Report a connection the server dropped as Dramatiq's ConnectionError.

    When the server goes away in the middle of a statement, dramatiq-pg 0.12.0
    raises psycopg2's InterfaceError ("connection already closed") from the
    rollback rather than an OperationalError, so it reaches Dramatiq 1.18
    unconverted. Dramatiq's consumer thread only survives ConnectionError: any
    other error raised while it closes the consumer ends the thread, and the
    process stops consuming that queue until it is restarted.
    """
    return dramatiq.ConnectionError(str(error))


class Broker(PostgresBroker):
    """The dramatiq-pg broker, consuming through ``Consumer``."""

    def consume(self, queue_name, prefetch=1, timeout=30000):
        return Consumer(
            pool=self.pool, queue_name=queue_name, prefetch=prefetch, timeout=timeout
        )


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
    return Broker(url=settings.database_url, results=False, middleware=middleware)
