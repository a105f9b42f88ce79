"""The ``feeds`` table: a user's subscriptions, read and changed per user.

Every function takes the user's id and finds nothing of another user's, so a
foreign feed id behaves exactly like an unknown one (FeedNotFound).
"""

import uuid
from datetime import datetime
from typing import Any

from psycopg import Connection, errors

from feeds import scheduler
from feeds.errors import FeedExists, FeedNotFound
from feeds.settings import DEFAULT_REFRESH_INTERVAL_MINUTES

FEED_COLUMNS = """
    f.id, f.url, f.title, f.refresh_interval, f.last_fetched, f.last_fetch_status,
    f.last_fetch_error, f.last_error_code, f.consecutive_failures, f.created_at,
    s.next_run_at AS next_refresh_at, s.state AS schedule_state
"""

_SELECT = f"""
SELECT {FEED_COLUMNS}
FROM feeds f LEFT JOIN feed_schedule s ON s.feed_id = f.id
"""

_INSERT = """
INSERT INTO feeds (id, user_id, url, title, refresh_interval, last_fetched)
VALUES (coalesce(%(id)s, gen_random_uuid()), %(user_id)s, %(url)s, %(title)s,
        %(refresh_interval)s, %(last_fetched)s)
RETURNING id
"""


def create_feed(
    conn: Connection,
    user_id: uuid.UUID,
    url: str,
    *,
    title: str | None = None,
    refresh_interval: int = DEFAULT_REFRESH_INTERVAL_MINUTES,
    feed_id: uuid.UUID | None = None,
    last_fetched: datetime | None = None,
) -> dict[str, Any]:
    """Insert a feed and schedule its first refresh, in one transaction.

    The first refresh runs now, or one interval after ``last_fetched`` when
    the reader app already fetched the feed. Raises FeedExists when the user
    already has the URL, and FeedNotFound when ``feed_id`` is taken by another
    user's feed. A concurrent creation of the same id by the same user returns
    that feed.
    """
    params = {
        "id": feed_id,
        "user_id": user_id,
        "url": url,
        "title": title,
        "refresh_interval": refresh_interval,
        "last_fetched": last_fetched,
    }
    with conn.transaction():
        try:
            with conn.transaction():
                row = conn.execute(_INSERT, params).fetchone()
        except errors.UniqueViolation as error:
            if error.diag.constraint_name == "feeds_user_url_key":
                raise FeedExists(url) from None
            return get_feed(conn, user_id, feed_id)

        now = conn.execute("SELECT now() AS now").fetchone()["now"]
        delay = scheduler.compute_delay(
            refresh_interval_minutes=refresh_interval,
            last_fetched=last_fetched,
            force=False,
            now=now,
        )
        scheduler.schedule(conn, row["id"], delay)
        return get_feed(conn, user_id, row["id"])


def list_feeds(conn: Connection, user_id: uuid.UUID) -> list[dict[str, Any]]:
    sql = _SELECT + " WHERE f.user_id = %(user_id)s ORDER BY f.created_at, f.id"
    return conn.execute(sql, {"user_id": user_id}).fetchall()


def get_feed(
    conn: Connection, user_id: uuid.UUID, feed_id: uuid.UUID
) -> dict[str, Any]:
    sql = _SELECT + " WHERE f.user_id = %(user_id)s AND f.id = %(feed_id)s"
    row = conn.execute(sql, {"user_id": user_id, "feed_id": feed_id}).fetchone()
    if row is None:
        raise FeedNotFound(feed_id)
    return row


_UPDATABLE = ("url", "title", "refresh_interval")


def update_feed(
    conn: Connection, user_id: uuid.UUID, feed_id: uuid.UUID, changes: dict[str, Any]
) -> dict[str, Any]:
    """Change url, title or refresh_interval.

    A new URL forgets the old validators and is refreshed now; a new interval
    reschedules the next refresh from the last fetch.
    """
    with conn.transaction():
        current = get_feed(conn, user_id, feed_id)
        fields = {k: v for k, v in changes.items() if k in _UPDATABLE}
        if not fields:
            return current

        _write_changes(conn, user_id, feed_id, fields)
        if "url" in fields and fields["url"] != current["url"]:
            now = scheduler.Delay(0, scheduler.Priority.NORMAL)
            scheduler.schedule(conn, feed_id, now)
        elif "refresh_interval" in fields:
            interval = fields["refresh_interval"]
            _reschedule_from_last_fetch(conn, feed_id, interval, current)
        return get_feed(conn, user_id, feed_id)


def _write_changes(
    conn: Connection, user_id: uuid.UUID, feed_id: uuid.UUID, fields: dict[str, Any]
) -> None:
    assignments = ", ".join(f"{name} = %({name})s" for name in fields)
    reset = ", etag = NULL, last_modified = NULL, body_sha256 = NULL"
    sql = (
        f"UPDATE feeds SET {assignments}, updated_at = now()"
        f"{reset if 'url' in fields else ''}"
        " WHERE id = %(feed_id)s AND user_id = %(user_id)s"
    )
    try:
        with conn.transaction():
            conn.execute(sql, {**fields, "feed_id": feed_id, "user_id": user_id})
    except errors.UniqueViolation:
        raise FeedExists(fields["url"]) from None


def _reschedule_from_last_fetch(
    conn: Connection, feed_id: uuid.UUID, interval: int, current: dict[str, Any]
) -> None:
    now = conn.execute("SELECT now() AS now").fetchone()["now"]
    delay = scheduler.compute_delay(
        refresh_interval_minutes=interval,
        last_fetched=current["last_fetched"],
        force=False,
        now=now,
    )
    if current["schedule_state"] != "cancelled":
        scheduler.schedule(conn, feed_id, delay)


def delete_feed(conn: Connection, user_id: uuid.UUID, feed_id: uuid.UUID) -> None:
    """Delete a feed; its schedule row, articles and history go with it."""
    deleted = conn.execute(
        "DELETE FROM feeds WHERE id = %(feed_id)s AND user_id = %(user_id)s",
        {"feed_id": feed_id, "user_id": user_id},
    ).rowcount
    if not deleted:
        raise FeedNotFound(feed_id)
