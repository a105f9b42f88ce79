"""The reader app's scheduler calls under /api/rss.

These routes keep the JSON shapes of the reader app's own scheduler service,
so the app can point at this service unchanged.
"""

import logging
import uuid
from datetime import datetime

import falcon
from psycopg import Connection
from pydantic import BaseModel

from feeds import runs, scheduler, subscriptions
from feeds.api import schemas
from feeds.api.database import Pool, connection
from feeds.api.validation import parse_body
from feeds.errors import FeedNotFound

logger = logging.getLogger(__name__)


def task_id_of(feed_id: uuid.UUID) -> str:
    return f"feed-{feed_id}"


class Schedule:
    """POST /api/rss/schedule"""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = parse_body(req, schemas.ScheduleRequest)
        user_id = req.context.user_id

        with connection(self._pool) as conn:
            feed = _find_or_create_feed(conn, user_id, body)
            if _interval_changed(body, feed):
                changes = {"refresh_interval": body.refresh_interval}
                subscriptions.update_feed(conn, user_id, body.feed_id, changes)

            delay = _compute_delay(conn, body)
            scheduler.schedule(conn, body.feed_id, delay)

        logger.info(
            "feed scheduled",
            extra={"feed_id": body.feed_id, "request_id": req.context.request_id},
        )
        result = schemas.ScheduleResult(
            delay_seconds=delay.seconds,
            priority=delay.priority.label,
            task_id=task_id_of(body.feed_id),
        )
        resp.media = result.model_dump(mode="json")


def _find_or_create_feed(
    conn: Connection, user_id: uuid.UUID, body: schemas.ScheduleRequest
) -> dict | None:
    """Return the user's feed, or None after creating it from ``feed_url``.

    Raises FeedNotFound when the user has no such feed and no feed_url was
    sent, or when another user's feed has this id.
    """
    try:
        return subscriptions.get_feed(conn, user_id, body.feed_id)
    except FeedNotFound:
        if body.feed_url is None:
            raise

    subscriptions.create_feed(
        conn,
        user_id,
        body.feed_url,
        title=body.feed_title,
        refresh_interval=body.refresh_interval,
        feed_id=body.feed_id,
        last_fetched=body.last_fetched,
    )
    return None


def _interval_changed(body: schemas.ScheduleRequest, feed: dict | None) -> bool:
    if feed is None or "refresh_interval" not in body.model_fields_set:
        return False
    return body.refresh_interval != feed["refresh_interval"]


def _compute_delay(conn: Connection, body: schemas.ScheduleRequest) -> scheduler.Delay:
    now = _database_now(conn)

    # A fetch cannot have happened after now, so a last_fetched in the future
    # (clock skew, or a bogus year 9999) counts as now. This also keeps the
    # date arithmetic in compute_delay from overflowing.
    last_fetched = body.last_fetched
    if last_fetched is not None:
        last_fetched = min(last_fetched, now)

    return scheduler.compute_delay(
        refresh_interval_minutes=body.refresh_interval,
        last_fetched=last_fetched,
        force=body.force_immediate,
        now=now,
    )


def _database_now(conn: Connection) -> datetime:
    return conn.execute("SELECT now() AS now").fetchone()["now"]


class _ScheduleChange:
    """POST with a feed_id: change the schedule of one of the user's feeds."""

    log_message: str

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = parse_body(req, schemas.FeedIdRequest)

        with connection(self._pool) as conn:
            subscriptions.get_feed(conn, req.context.user_id, body.feed_id)
            self.change(conn, body.feed_id)

        logger.info(
            self.log_message,
            extra={"feed_id": body.feed_id, "request_id": req.context.request_id},
        )
        resp.media = self.result(body.feed_id).model_dump(mode="json")

    def change(self, conn: Connection, feed_id: uuid.UUID) -> None:
        raise NotImplementedError

    def result(self, feed_id: uuid.UUID) -> BaseModel:
        raise NotImplementedError


class Cancel(_ScheduleChange):
    """POST /api/rss/cancel"""

    log_message = "feed schedule cancelled"

    def change(self, conn: Connection, feed_id: uuid.UUID) -> None:
        scheduler.cancel(conn, feed_id)

    def result(self, feed_id: uuid.UUID) -> BaseModel:
        return schemas.CancelResult(feed_id=feed_id)


class ForceRefresh(_ScheduleChange):
    """POST /api/rss/force-refresh"""

    log_message = "feed refresh forced"

    def change(self, conn: Connection, feed_id: uuid.UUID) -> None:
        scheduler.force(conn, feed_id)

    def result(self, feed_id: uuid.UUID) -> BaseModel:
        return schemas.ForceRefreshResult(feed_id=feed_id, task_id=task_id_of(feed_id))


class Init:
    """POST /api/rss/init: schedule every feed of the user that has no schedule.

    The request body, if any, is ignored.
    """

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        with connection(self._pool) as conn:
            count = scheduler.init_user(conn, req.context.user_id)

        result = schemas.InitResult(scheduled_count=count)
        resp.media = result.model_dump(mode="json")


class Stats:
    """GET /api/rss/stats"""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        with connection(self._pool) as conn:
            counts = runs.user_stats(conn, req.context.user_id)

        resp.media = schemas.Stats.model_validate(counts).model_dump(mode="json")
