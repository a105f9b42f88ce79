"""Helpers shared by the scheduler, refresh and worker tests."""

import uuid

from feeds import scheduler
from feeds.settings import Settings


def insert_feed(conn, user_id: uuid.UUID, url: str, *, interval: int = 60) -> uuid.UUID:
    row = conn.execute(
        "INSERT INTO feeds (user_id, url, refresh_interval) "
        "VALUES (%(user_id)s, %(url)s, %(interval)s) RETURNING id",
        {"user_id": user_id, "url": url, "interval": interval},
    ).fetchone()
    return row["id"]


def register_worker(conn, threads: int = 5) -> None:
    scheduler.heartbeat(
        conn, worker_id="test-worker", hostname="test", pid=1, threads=threads
    )


def dispatch(conn, settings: Settings) -> int:
    return scheduler.dispatch(
        conn,
        scheduler.stale_timeouts(settings),
        depth_per_thread=settings.queue_depth_per_thread,
    )


def schedule_row(conn, feed_id: uuid.UUID) -> dict:
    return conn.execute(
        "SELECT * FROM feed_schedule WHERE feed_id = %(feed_id)s", {"feed_id": feed_id}
    ).fetchone()


def queued_messages(conn, feed_id: uuid.UUID | None = None) -> list[dict]:
    rows = conn.execute(
        "SELECT message_id, queue_name, state::text, message FROM dramatiq.queue "
        "ORDER BY mtime"
    ).fetchall()
    if feed_id is None:
        return rows
    return [r for r in rows if r["message"]["args"][0] == str(feed_id)]
