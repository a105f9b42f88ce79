"""Helpers shared by the scheduler, refresh and worker tests."""

import uuid

from feeds import scheduler
from feeds.scheduler import Delay, Priority
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


def queue_feed(conn, settings, user_id, url) -> tuple[uuid.UUID, uuid.UUID]:
    register_worker(conn)
    feed_id = insert_feed(conn, user_id, url)
    scheduler.schedule(conn, feed_id, Delay(0, Priority.NORMAL))
    dispatch(conn, settings)
    return feed_id, schedule_row(conn, feed_id)["token"]


def requeue(conn, settings, feed_id) -> uuid.UUID:
    scheduler.force(conn, feed_id)
    dispatch(conn, settings)
    return schedule_row(conn, feed_id)["token"]


def feed_row(conn, feed_id) -> dict:
    return conn.execute(
        "SELECT * FROM feeds WHERE id = %(id)s", {"id": feed_id}
    ).fetchone()


def articles_of(conn, feed_id) -> list[dict]:
    return conn.execute(
        "SELECT * FROM articles WHERE feed_id = %(id)s ORDER BY published_at",
        {"id": feed_id},
    ).fetchall()


def runs_of(conn, feed_id) -> list[dict]:
    return conn.execute(
        "SELECT * FROM feed_runs WHERE feed_id = %(id)s ORDER BY id", {"id": feed_id}
    ).fetchall()
