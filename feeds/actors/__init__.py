"""Dramatiq actors; ``dramatiq feeds.actors`` starts a worker.

Importing this module builds the broker from the environment (DATABASE_URL
and FEEDS_*), because the Dramatiq command line finds the broker by import.
Manual refreshes use their own queue and a higher actor priority, so they
start before normal and overdue work that is already queued.
"""

import logging
import uuid

import dramatiq
from dramatiq.middleware import CurrentMessage, TimeLimitExceeded

from feeds import scheduler
from feeds.actors.broker import build_broker
from feeds.actors.dispatcher import DispatcherMiddleware
from feeds.actors.metrics_server import MetricsServerMiddleware
from feeds.actors.runtime import configure_logging, refresher
from feeds.refresh import RetryLater
from feeds.refresh_store import Failure
from feeds.retries import MAX_RETRIES, retry_backoff_ms
from feeds.settings import get_settings

logger = logging.getLogger(__name__)

settings = get_settings()
configure_logging(settings)
broker = build_broker(settings)
broker.add_middleware(DispatcherMiddleware(settings))
broker.add_middleware(MetricsServerMiddleware(settings))
dramatiq.set_broker(broker)

NORMAL_ACTOR_PRIORITY = 100
MANUAL_ACTOR_PRIORITY = 0


def _run_refresh(feed_id: str, token: str) -> str:
    message = CurrentMessage.get_current_message()
    message_id = uuid.UUID(message.message_id) if message else None
    retries = message.options.get("retries", 0) if message else 0
    feed, run_token = uuid.UUID(feed_id), uuid.UUID(token)
    try:
        return refresher().refresh(
            feed, run_token, message_id=message_id, final_attempt=retries >= MAX_RETRIES
        )
    except RetryLater as retry:
        logger.info(
            "retrying refresh",
            extra={
                "feed_id": feed_id,
                "message_id": str(message_id),
                "retries": retries,
            },
        )
        raise dramatiq.Retry(str(retry), delay=retry_backoff_ms(retries)) from None
    except TimeLimitExceeded:
        limit = settings.refresh_time_limit_seconds
        failure = Failure(
            "timeout", f"the refresh exceeded its time limit of {limit:g} s"
        )
        refresher().record_interrupted(feed, run_token, message_id, failure)
        return "failed"
    except Exception as error:
        logger.exception("refresh raised unexpectedly", extra={"feed_id": feed_id})
        failure = Failure("internal", f"unexpected error: {type(error).__name__}")
        refresher().record_interrupted(feed, run_token, message_id, failure)
        return "failed"


@dramatiq.actor(
    actor_name=scheduler.REFRESH_ACTOR,
    queue_name=scheduler.REFRESH_QUEUE,
    priority=NORMAL_ACTOR_PRIORITY,
)
def refresh_feed(feed_id: str, token: str) -> None:
    """Refresh one feed; the URL is read from the database, never the message."""
    _run_refresh(feed_id, token)


@dramatiq.actor(
    actor_name=scheduler.MANUAL_ACTOR,
    queue_name=scheduler.MANUAL_QUEUE,
    priority=MANUAL_ACTOR_PRIORITY,
)
def refresh_feed_manual(feed_id: str, token: str) -> None:
    """Refresh one feed at a user's request."""
    _run_refresh(feed_id, token)
