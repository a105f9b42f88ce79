"""Queue depth and schedule lag read from PostgreSQL, and the gauges they set."""

import pytest

from feeds import scheduler, worker_metrics
from feeds.queue_stats import QueueStats, read_queue_stats
from feeds.scheduler import Delay, Priority
from tests.scheduling import dispatch, insert_feed, register_worker

NOW = Delay(0, Priority.NORMAL)
IN_AN_HOUR = Delay(3600, Priority.NORMAL)


def add_feed(conn, user_id, name: str, delay: Delay):
    feed_id = insert_feed(conn, user_id, f"https://example.com/{name}.xml")
    scheduler.schedule(conn, feed_id, delay)
    return feed_id


def test_empty_database_stats(conn):
    stats = read_queue_stats(conn)

    assert stats.lag_seconds == 0
    assert set(stats.schedule_rows.values()) == {0}
    assert set(stats.messages.values()) == {0}
    assert (scheduler.REFRESH_QUEUE, "queued") in stats.messages
    assert (scheduler.MANUAL_QUEUE, "rejected") in stats.messages


def test_counts_and_lag(conn, settings, user_id):
    register_worker(conn)
    add_feed(conn, user_id, "queued", NOW)
    assert dispatch(conn, settings) == 1
    late = add_feed(conn, user_id, "late", NOW)
    conn.execute(
        "UPDATE feed_schedule SET next_run_at = now() - interval '90 seconds' "
        "WHERE feed_id = %(id)s",
        {"id": late},
    )
    add_feed(conn, user_id, "later", IN_AN_HOUR)
    cancelled = add_feed(conn, user_id, "cancelled", IN_AN_HOUR)
    scheduler.cancel(conn, cancelled)

    stats = read_queue_stats(conn)

    assert stats.schedule_rows == {
        "scheduled": 2,
        "queued": 1,
        "running": 0,
        "cancelled": 1,
    }
    assert stats.messages[(scheduler.REFRESH_QUEUE, "queued")] == 1
    assert stats.messages[(scheduler.REFRESH_QUEUE, "consumed")] == 0
    assert stats.messages[(scheduler.MANUAL_QUEUE, "queued")] == 0
    assert 90 <= stats.lag_seconds < 120


def test_future_rows_have_no_lag(conn, user_id):
    add_feed(conn, user_id, "later", IN_AN_HOUR)

    assert read_queue_stats(conn).lag_seconds == 0


def gauge(name: str, **labels: str) -> float | None:
    return worker_metrics.REGISTRY.get_sample_value(name, labels)


def test_emptied_queue_gauge_drops_to_zero():
    retry_queue = ("feeds.test-retries", "queued")
    schedule_rows = dict.fromkeys(("scheduled", "queued", "running", "cancelled"), 1)

    worker_metrics.record_queue_stats(QueueStats({retry_queue: 3}, schedule_rows, 7.5))
    first = gauge("feeds_queue_messages", queue=retry_queue[0], state="queued")
    worker_metrics.record_queue_stats(QueueStats({}, schedule_rows, 0.0))
    second = gauge("feeds_queue_messages", queue=retry_queue[0], state="queued")

    assert first == 3
    assert second == 0
    assert gauge("feeds_schedule_rows", state="running") == 1
    assert gauge("feeds_schedule_lag_seconds") == pytest.approx(0.0)
