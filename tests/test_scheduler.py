import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import dramatiq
import pytest

from feeds import scheduler
from feeds.db import connect
from feeds.scheduler import Delay, Priority, compute_delay
from tests.scheduling import (
    dispatch,
    insert_feed,
    queued_messages,
    register_worker,
    schedule_row,
)

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
NORMAL_NOW = Delay(0, Priority.NORMAL)


@pytest.fixture
def feed_id(conn, user_id):
    register_worker(conn)
    return insert_feed(conn, user_id, "https://example.org/feed.xml")


def test_delay_force_is_immediate_and_manual():
    delay = compute_delay(
        refresh_interval_minutes=60, last_fetched=NOW, force=True, now=NOW
    )
    assert delay == Delay(0.0, Priority.MANUAL)


def test_delay_never_fetched_is_immediate_and_normal():
    delay = compute_delay(
        refresh_interval_minutes=60, last_fetched=None, force=False, now=NOW
    )
    assert delay == Delay(0.0, Priority.NORMAL)


def test_delay_counts_from_last_fetch():
    last = NOW - timedelta(minutes=20)
    delay = compute_delay(
        refresh_interval_minutes=60, last_fetched=last, force=False, now=NOW
    )
    assert delay == Delay(40 * 60.0, Priority.NORMAL)


def test_delay_late_but_not_overdue_is_zero_normal():
    last = NOW - timedelta(minutes=90)
    delay = compute_delay(
        refresh_interval_minutes=60, last_fetched=last, force=False, now=NOW
    )
    assert delay == Delay(0.0, Priority.NORMAL)


def test_delay_past_two_intervals_is_overdue():
    last = NOW - timedelta(minutes=121)
    delay = compute_delay(
        refresh_interval_minutes=60, last_fetched=last, force=False, now=NOW
    )
    assert delay == Delay(0.0, Priority.OVERDUE)


def test_schedule_twice_gives_one_run(conn, settings, feed_id):
    scheduler.schedule(conn, feed_id, NORMAL_NOW)
    scheduler.schedule(conn, feed_id, NORMAL_NOW)

    assert dispatch(conn, settings) == 1
    scheduler.schedule(conn, feed_id, NORMAL_NOW)
    assert dispatch(conn, settings) == 0
    assert len(queued_messages(conn, feed_id)) == 1
    assert schedule_row(conn, feed_id)["state"] == "queued"


def test_force_twice_gives_one_manual_run(conn, settings, feed_id):
    scheduler.force(conn, feed_id)
    assert dispatch(conn, settings) == 1
    scheduler.force(conn, feed_id)
    assert dispatch(conn, settings) == 0

    messages = queued_messages(conn, feed_id)
    assert len(messages) == 1
    assert messages[0]["queue_name"] == scheduler.MANUAL_QUEUE
    assert messages[0]["message"]["actor_name"] == scheduler.MANUAL_ACTOR


def test_future_run_stays_in_table(conn, settings, feed_id):
    scheduler.schedule(conn, feed_id, Delay(3600, Priority.NORMAL))
    assert dispatch(conn, settings) == 0
    assert queued_messages(conn) == []
    assert schedule_row(conn, feed_id)["state"] == "scheduled"


def test_message_decodes_as_dramatiq_message(conn, settings, feed_id):
    scheduler.schedule(conn, feed_id, NORMAL_NOW)
    dispatch(conn, settings)

    row = queued_messages(conn, feed_id)[0]
    message = dramatiq.Message(**row["message"])
    schedule = schedule_row(conn, feed_id)
    assert list(message.args) == [str(feed_id), str(schedule["token"])]
    assert message.message_id == str(row["message_id"])
    assert str(schedule["message_id"]) == message.message_id
    assert row["state"] == "queued"


def test_cancel_wins_over_queued_message(conn, settings, feed_id):
    scheduler.schedule(conn, feed_id, NORMAL_NOW)
    dispatch(conn, settings)
    token = schedule_row(conn, feed_id)["token"]

    scheduler.cancel(conn, feed_id)

    assert not scheduler.start_run(conn, feed_id, token)
    assert schedule_row(conn, feed_id)["state"] == "cancelled"


def test_force_after_cancel_runs(conn, settings, feed_id):
    scheduler.schedule(conn, feed_id, NORMAL_NOW)
    dispatch(conn, settings)
    scheduler.cancel(conn, feed_id)

    scheduler.force(conn, feed_id)
    assert dispatch(conn, settings) == 1
    token = schedule_row(conn, feed_id)["token"]
    assert scheduler.start_run(conn, feed_id, token)


def test_different_token_is_stale(conn, settings, feed_id):
    scheduler.schedule(conn, feed_id, NORMAL_NOW)
    dispatch(conn, settings)
    old_token = schedule_row(conn, feed_id)["token"]

    scheduler.force(conn, feed_id)
    dispatch(conn, settings)

    assert not scheduler.start_run(conn, feed_id, old_token)
    assert not scheduler.start_run(conn, feed_id, uuid.uuid4())
    assert scheduler.start_run(conn, feed_id, schedule_row(conn, feed_id)["token"])


def test_duplicate_delivery_starts_once(conn, settings, feed_id):
    scheduler.schedule(conn, feed_id, NORMAL_NOW)
    dispatch(conn, settings)
    token = schedule_row(conn, feed_id)["token"]

    assert scheduler.start_run(conn, feed_id, token)
    assert not scheduler.start_run(conn, feed_id, token)


def test_finish_schedules_next_run(conn, settings, feed_id):
    token = _start(conn, settings, feed_id)
    next_at = datetime.now(UTC) + timedelta(hours=1)

    assert scheduler.finish_run(
        conn, feed_id, token, next_run_at=next_at, reason="interval"
    )
    row = schedule_row(conn, feed_id)
    assert row["state"] == "scheduled"
    assert row["next_run_at"] == next_at
    assert row["started_at"] is None
    assert row["token"] != token


def test_finish_after_cancel_keeps_cancelled(conn, settings, feed_id):
    token = _start(conn, settings, feed_id)
    scheduler.cancel(conn, feed_id)

    scheduled = scheduler.finish_run(
        conn, feed_id, token, next_run_at=datetime.now(UTC), reason="interval"
    )
    assert not scheduled
    row = schedule_row(conn, feed_id)
    assert row["state"] == "cancelled"
    assert row["started_at"] is None


def test_force_while_running_waits_for_finish(conn, settings, feed_id):
    token = _start(conn, settings, feed_id)

    scheduler.force(conn, feed_id)
    assert dispatch(conn, settings) == 0, "a second refresh started while running"

    scheduler.finish_run(
        conn, feed_id, token, next_run_at=datetime.now(UTC), reason="interval"
    )
    row = schedule_row(conn, feed_id)
    assert row["priority"] == Priority.MANUAL
    assert dispatch(conn, settings) == 1


def test_queue_depth_follows_live_threads(conn, settings, user_id):
    register_worker(conn, threads=1)
    feeds = [insert_feed(conn, user_id, f"https://example.org/{i}") for i in range(6)]
    for feed in feeds:
        scheduler.schedule(conn, feed, NORMAL_NOW)

    assert dispatch(conn, settings) == settings.queue_depth_per_thread
    scheduler.force(conn, feeds[-1])
    assert dispatch(conn, settings) == 1, "manual refresh waited behind the depth"


def test_dispatch_orders_manual_overdue_normal(conn, settings, user_id):
    register_worker(conn, threads=1)
    normal, overdue, manual = (
        insert_feed(conn, user_id, f"https://example.org/{name}")
        for name in ("normal", "overdue", "manual")
    )
    scheduler.schedule(conn, normal, NORMAL_NOW)
    scheduler.schedule(conn, overdue, Delay(0, Priority.OVERDUE))
    scheduler.force(conn, manual)

    dispatch(conn, settings)

    queued = [schedule_row(conn, f)["state"] for f in (manual, overdue, normal)]
    assert queued == ["queued", "queued", "scheduled"]


def test_concurrent_dispatchers_send_each_row_once(settings, conn, user_id):
    register_worker(conn, threads=50)
    feeds = [insert_feed(conn, user_id, f"https://example.org/{i}") for i in range(40)]
    for feed in feeds:
        scheduler.schedule(conn, feed, NORMAL_NOW)

    def run() -> None:
        with connect(settings, autocommit=True) as own:
            for _ in range(5):
                dispatch(own, settings)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    messages = queued_messages(conn)
    feed_ids = [m["message"]["args"][0] for m in messages]
    assert len(feed_ids) == 40
    assert len(set(feed_ids)) == 40


def test_recover_stale_reschedules_lost_rows(conn, settings, feed_id):
    token = _start(conn, settings, feed_id)
    conn.execute(
        "UPDATE feed_schedule SET started_at = now() - interval '1 hour' "
        "WHERE feed_id = %(feed_id)s",
        {"feed_id": feed_id},
    )

    recovered = scheduler.recover_stale(conn, scheduler.stale_timeouts(settings))

    assert recovered == [feed_id]
    row = schedule_row(conn, feed_id)
    assert row["state"] == "scheduled"
    assert row["token"] != token
    assert dispatch(conn, settings) == 1


def test_init_user_schedules_unscheduled_once(conn, user_id):
    recent = insert_feed(conn, user_id, "https://example.org/recent")
    overdue = insert_feed(conn, user_id, "https://example.org/overdue")
    insert_feed(conn, uuid.uuid4(), "https://example.org/other-user")
    fetched = "UPDATE feeds SET last_fetched = now() - %(ago)s WHERE id = %(id)s"
    conn.execute(fetched, {"id": recent, "ago": timedelta(minutes=10)})
    conn.execute(fetched, {"id": overdue, "ago": timedelta(hours=3)})

    assert scheduler.init_user(conn, user_id) == 2
    assert scheduler.init_user(conn, user_id) == 0

    recent_row = schedule_row(conn, recent)
    assert recent_row["priority"] == Priority.NORMAL
    assert recent_row["next_run_at"] > datetime.now(UTC) + timedelta(minutes=45)
    assert schedule_row(conn, overdue)["priority"] == Priority.OVERDUE


def _start(conn, settings, feed_id) -> uuid.UUID:
    scheduler.schedule(conn, feed_id, NORMAL_NOW)
    dispatch(conn, settings)
    token = schedule_row(conn, feed_id)["token"]
    assert scheduler.start_run(conn, feed_id, token)
    return token


def test_next_due_is_earliest_of_all_priorities(conn, user_id):
    assert scheduler.seconds_until_next_due(conn) is None

    later = insert_feed(conn, user_id, "https://example.org/later.xml")
    sooner = insert_feed(conn, user_id, "https://example.org/sooner.xml")
    cancelled = insert_feed(conn, user_id, "https://example.org/cancelled.xml")
    scheduler.schedule(conn, later, Delay(600, Priority.NORMAL))
    scheduler.schedule(conn, sooner, Delay(60, Priority.OVERDUE))
    scheduler.schedule(conn, cancelled, Delay(5, Priority.NORMAL))
    scheduler.cancel(conn, cancelled)

    wait = scheduler.seconds_until_next_due(conn)
    assert 50 < wait <= 60


def test_next_due_is_negative_when_overdue(conn, user_id):
    feed_id = insert_feed(conn, user_id, "https://example.org/feed.xml")
    scheduler.schedule(conn, feed_id, Delay(0, Priority.NORMAL))
    conn.execute("UPDATE feed_schedule SET next_run_at = now() - interval '30 seconds'")

    assert scheduler.seconds_until_next_due(conn) <= -29


def test_dispatch_round_next_due_same_now(conn, settings, user_id):
    register_worker(conn)
    soon = insert_feed(conn, user_id, "https://example.org/soon.xml")
    scheduler.schedule(conn, soon, Delay(0.3, Priority.NORMAL))

    with conn.transaction():
        started = conn.execute("SELECT now() AS t").fetchone()["t"]
        time.sleep(0.5)
        dispatched = scheduler.dispatch_round(
            conn,
            scheduler.stale_timeouts(settings),
            depth_per_thread=settings.queue_depth_per_thread,
        )

    due_at = schedule_row(conn, soon)["next_run_at"]
    assert dispatched.sent == 0
    assert dispatched.next_due_seconds == pytest.approx(
        (due_at - started).total_seconds()
    )
    assert dispatched.next_due_seconds > 0, "a row not dispatched read as overdue"
