"""``feeds queue`` against a real database: views, summary, failed, requeue, purge."""

import json
import time
import uuid

import psycopg
import pytest

from feeds import queue_admin, scheduler
from feeds.cli import main
from feeds.db import connect
from feeds.scheduler import Delay, Priority
from feeds.settings import get_settings
from tests.scheduling import (
    dispatch,
    insert_feed,
    queued_messages,
    register_worker,
    runs_of,
    schedule_row,
)
from tests.workers import running_worker, wait_for

RSS = b"""<?xml version="1.0"?>
<rss version="2.0"><channel>
<title>Requeued</title><link>https://example.org/</link><description>d</description>
<item><title>One</title><link>https://example.org/1</link><guid>one</guid>
<pubDate>Mon, 01 Jan 2024 00:00:00 GMT</pubDate></item>
</channel></rss>
"""
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/app/feeds/actors/__init__.py", line 40, in _run_refresh\n'
    "    return refresher().refresh(\n"
    "psycopg.OperationalError: connection to server lost\n"
    "server closed the connection unexpectedly\n"
)


@pytest.fixture
def cli(settings, monkeypatch, capsys):
    """Run ``feeds`` with DATABASE_URL pointing at the test database."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    get_settings.cache_clear()

    def run(*argv: str) -> str:
        main(list(argv))
        return capsys.readouterr().out

    yield run
    get_settings.cache_clear()


@pytest.fixture
def queued_feed(conn, settings, user_id):
    """Return (feed_id, message_id) of a feed whose refresh message is queued."""
    register_worker(conn)
    feed_id = insert_feed(conn, user_id, f"https://example.org/{uuid.uuid4()}.xml")
    scheduler.schedule(conn, feed_id, Delay(0, Priority.NORMAL))
    assert dispatch(conn, settings) == 1
    return feed_id, schedule_row(conn, feed_id)["message_id"]


def reject(conn, message_id, *, traceback: str = TRACEBACK, retries: int = 3) -> None:
    """Mark a message rejected with the options that Dramatiq's Retries stores."""
    options = {"retries": retries, "traceback": traceback}
    conn.execute(
        "UPDATE dramatiq.queue SET state = 'rejected', "
        "message = jsonb_set(message, '{options}', %(options)s) "
        "WHERE message_id = %(message_id)s",
        {"message_id": message_id, "options": json.dumps(options)},
    )


def worker_ids(conn) -> set[str]:
    rows = conn.execute("SELECT worker_id FROM worker_heartbeats").fetchall()
    return {row["worker_id"] for row in rows}


def message_row(conn, message_id) -> dict:
    return conn.execute(
        "SELECT state::text, mtime, message FROM dramatiq.queue "
        "WHERE message_id = %(message_id)s",
        {"message_id": message_id},
    ).fetchone()


def age_messages(conn, days: float) -> None:
    conn.execute(
        "UPDATE dramatiq.queue SET mtime = mtime - make_interval(days => %(days)s)",
        {"days": days},
    )


def make_due(conn, feed_id, seconds_late: float) -> None:
    conn.execute(
        "UPDATE feed_schedule SET next_run_at = now() - make_interval(secs => %(s)s) "
        "WHERE feed_id = %(feed_id)s",
        {"s": seconds_late, "feed_id": feed_id},
    )


# -- views ----------------------------------------------------------------------


def test_views_report_empty_database(conn):
    lag = conn.execute("SELECT * FROM monitoring.schedule_lag").fetchone()

    assert lag == {"due_feeds": 0, "lag_seconds": 0.0}
    for view in (
        "queue_messages",
        "queue_oldest_waiting",
        "failed_messages",
        "due_feeds",
        "schedule_states",
    ):
        assert conn.execute(f"SELECT * FROM monitoring.{view}").fetchall() == []


def test_views_have_comments(conn):
    rows = conn.execute(
        "SELECT c.relname, obj_description(c.oid, 'pg_class') AS comment "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'monitoring' AND c.relkind = 'v'"
    ).fetchall()

    assert len(rows) == 6
    for row in rows:
        assert row["comment"], row["relname"]


def test_due_feeds_and_lag(conn, user_id):
    late = insert_feed(conn, user_id, "https://example.org/late.xml")
    later = insert_feed(conn, user_id, "https://example.org/later.xml")
    future = insert_feed(conn, user_id, "https://example.org/future.xml")
    for feed_id in (late, later):
        scheduler.schedule(conn, feed_id, Delay(0, Priority.NORMAL))
    scheduler.schedule(conn, future, Delay(3600, Priority.NORMAL))
    make_due(conn, late, 600)
    make_due(conn, later, 30)

    due = conn.execute(
        "SELECT feed_id, url, lateness_seconds FROM monitoring.due_feeds "
        "ORDER BY lateness_seconds DESC"
    ).fetchall()
    lag = conn.execute("SELECT * FROM monitoring.schedule_lag").fetchone()

    assert [row["feed_id"] for row in due] == [late, later]
    assert due[0]["url"] == "https://example.org/late.xml"
    assert 600 <= due[0]["lateness_seconds"] < 660
    assert lag["due_feeds"] == 2
    assert 600 <= lag["lag_seconds"] < 660


def test_failed_messages_view_parses_message(conn, queued_feed):
    feed_id, message_id = queued_feed
    reject(conn, message_id)

    [row] = conn.execute("SELECT * FROM monitoring.failed_messages").fetchall()

    assert row["message_id"] == message_id
    assert row["queue_name"] == scheduler.REFRESH_QUEUE
    assert row["actor_name"] == scheduler.REFRESH_ACTOR
    assert row["feed_id"] == feed_id
    assert row["args"][0] == str(feed_id)
    assert row["retries"] == 3
    assert row["error"] == "server closed the connection unexpectedly"
    assert row["traceback"] == TRACEBACK


def test_failed_messages_view_without_traceback(conn, queued_feed):
    _, message_id = queued_feed
    conn.execute(
        "UPDATE dramatiq.queue SET state = 'rejected' WHERE message_id = %s",
        (message_id,),
    )

    [row] = conn.execute("SELECT * FROM monitoring.failed_messages").fetchall()

    assert row["retries"] == 0
    assert row["error"] is None
    assert row["traceback"] is None


# -- summary and failed -----------------------------------------------------------


def test_summary_prints_counts_and_lag(cli, conn, settings, user_id, queued_feed):
    _, message_id = queued_feed
    manual = insert_feed(conn, user_id, "https://example.org/manual.xml")
    scheduler.force(conn, manual)
    dispatch(conn, settings)
    due = insert_feed(conn, user_id, "https://example.org/due.xml")
    scheduler.schedule(conn, due, Delay(3600, Priority.OVERDUE))
    make_due(conn, due, 120)
    reject(conn, message_id)

    out = cli("queue", "summary")

    assert "Messages by queue and state" in out
    assert any(
        line.split()[:3] == ["feeds", "rejected", "1"] for line in out.splitlines()
    )
    assert any(
        line.split()[:3] == ["feeds-manual", "queued", "1"] for line in out.splitlines()
    )
    assert "Due feeds: 1" in out
    lag_line = next(
        line for line in out.splitlines() if line.startswith("Schedule lag")
    )
    assert 120 <= float(lag_line.split()[2]) < 180
    assert "Failed messages: 1" in out
    assert any(
        line.split()[:3] == ["scheduled", "overdue", "1"] for line in out.splitlines()
    )


def test_summary_on_empty_database(cli):
    out = cli("queue", "summary")

    assert "Due feeds: 0" in out
    assert "Schedule lag: 0.0 s" in out
    assert "Failed messages: 0" in out
    assert "(none)" in out


def test_failed_lists_feed_and_error(cli, conn, queued_feed):
    feed_id, message_id = queued_feed
    reject(conn, message_id)

    out = cli("queue", "failed")

    [line] = [line for line in out.splitlines() if str(message_id) in line]
    assert str(feed_id) in line
    assert scheduler.REFRESH_ACTOR in line
    assert line.endswith("server closed the connection unexpectedly")


def test_failed_respects_limit(cli, conn, settings, user_id):
    register_worker(conn)
    for index in range(3):
        feed_id = insert_feed(conn, user_id, f"https://example.org/{index}.xml")
        scheduler.schedule(conn, feed_id, Delay(0, Priority.NORMAL))
    dispatch(conn, settings)
    for message in queued_messages(conn):
        reject(conn, message["message_id"])

    out = cli("queue", "failed", "--limit", "2")

    assert len([line for line in out.splitlines() if "refresh_feed" in line]) == 2


def test_failed_without_failures(cli):
    assert cli("queue", "failed").strip() == "no failed messages"


# -- requeue ----------------------------------------------------------------------


def test_requeue_keeps_row_expecting_message(cli, conn, queued_feed):
    feed_id, message_id = queued_feed
    before = schedule_row(conn, feed_id)
    conn.execute(
        "UPDATE feed_schedule SET queued_at = now() - interval '1 hour' "
        "WHERE feed_id = %s",
        (feed_id,),
    )
    reject(conn, message_id)

    out = cli("queue", "requeue", str(message_id))

    assert f"{message_id}  requeued  feed {feed_id}" in out
    assert "requeued 1 message(s)" in out
    assert message_row(conn, message_id)["state"] == "queued"
    after = schedule_row(conn, feed_id)
    assert after["state"] == "queued"
    assert after["token"] == before["token"]
    assert after["message_id"] == message_id
    assert after["queued_at"] >= before["queued_at"]
    # The worker's first step accepts the requeued message's token.
    assert scheduler.start_run(conn, feed_id, before["token"])


def test_requeue_forces_refresh_of_recovered_feed(cli, conn, settings, queued_feed):
    feed_id, message_id = queued_feed
    old_token = schedule_row(conn, feed_id)["token"]
    reject(conn, message_id)
    recovered = scheduler.recover_stale(conn, scheduler.Timeouts(0, 0))
    assert recovered == [feed_id]
    conn.execute(
        "UPDATE feed_schedule SET next_run_at = now() + interval '1 hour' "
        "WHERE feed_id = %s",
        (feed_id,),
    )

    out = cli("queue", "requeue", "--all")

    assert f"{message_id}  rescheduled  feed {feed_id}" in out
    assert message_row(conn, message_id)["state"] == "queued"
    row = schedule_row(conn, feed_id)
    assert row["state"] == "scheduled"
    assert row["priority"] == Priority.MANUAL
    assert row["token"] != old_token
    # The requeued message is stale, and the forced run gets a message of its own.
    assert not scheduler.start_run(conn, feed_id, old_token)
    assert dispatch(conn, settings) == 1
    manual = [
        m for m in queued_messages(conn, feed_id) if m["message_id"] != message_id
    ]
    assert [m["queue_name"] for m in manual] == [scheduler.MANUAL_QUEUE]
    assert manual[0]["message"]["args"][1] == str(schedule_row(conn, feed_id)["token"])


def test_requeue_releases_run_left_by_failed_message(cli, conn, settings, queued_feed):
    feed_id, message_id = queued_feed
    token = schedule_row(conn, feed_id)["token"]
    assert scheduler.start_run(conn, feed_id, token)
    reject(conn, message_id)

    out = cli("queue", "requeue", "--all")

    assert f"{message_id}  rescheduled" in out
    row = schedule_row(conn, feed_id)
    assert row["state"] == "scheduled"
    assert row["started_at"] is None
    assert row["run_token"] is None
    assert dispatch(conn, settings) == 1


def test_requeue_leaves_running_refresh_of_other_token(cli, conn, queued_feed):
    feed_id, message_id = queued_feed
    reject(conn, message_id)
    scheduler.recover_stale(conn, scheduler.Timeouts(0, 0))
    conn.execute(
        "UPDATE feed_schedule SET state = 'running', started_at = now(), "
        "run_token = token WHERE feed_id = %s",
        (feed_id,),
    )

    cli("queue", "requeue", "--all")

    row = schedule_row(conn, feed_id)
    assert row["state"] == "scheduled"
    assert row["priority"] == Priority.MANUAL
    assert row["started_at"] is not None


def test_requeue_keeps_cancelled_feed_cancelled(cli, conn, queued_feed):
    feed_id, message_id = queued_feed
    reject(conn, message_id)
    scheduler.cancel(conn, feed_id)

    out = cli("queue", "requeue", "--all")

    assert f"{message_id}  feed_cancelled  feed {feed_id}" in out
    assert schedule_row(conn, feed_id)["state"] == "cancelled"
    assert message_row(conn, message_id)["state"] == "queued"


def test_requeue_of_deleted_feed(cli, conn, queued_feed):
    feed_id, message_id = queued_feed
    reject(conn, message_id)
    conn.execute("DELETE FROM feeds WHERE id = %s", (feed_id,))

    out = cli("queue", "requeue", "--all")

    assert f"{message_id}  feed_deleted  feed {feed_id}" in out
    assert schedule_row(conn, feed_id) is None


def test_requeue_selected_ids_only(cli, conn, settings, user_id):
    register_worker(conn)
    for index in range(2):
        feed_id = insert_feed(conn, user_id, f"https://example.org/{index}.xml")
        scheduler.schedule(conn, feed_id, Delay(0, Priority.NORMAL))
    dispatch(conn, settings)
    first, second = [m["message_id"] for m in queued_messages(conn)]
    reject(conn, first)
    reject(conn, second)

    cli("queue", "requeue", str(first))

    assert message_row(conn, first)["state"] == "queued"
    assert message_row(conn, second)["state"] == "rejected"


def test_requeue_unknown_id_exits_with_error(cli, conn, queued_feed, capsys):
    _, message_id = queued_feed
    unknown = uuid.uuid4()

    with pytest.raises(SystemExit) as exit_info:
        cli("queue", "requeue", str(unknown), str(message_id))

    assert "2 id(s) match no rejected message" in str(exit_info.value)
    out = capsys.readouterr().out
    assert f"{unknown}  not_found" in out
    assert f"{message_id}  not_found" in out
    assert message_row(conn, message_id)["state"] == "queued"


def test_requeue_without_ids_is_usage_error(cli):
    with pytest.raises(SystemExit) as exit_info:
        cli("queue", "requeue")

    assert exit_info.value.code == 2


def test_requeue_notifies_consumers(settings, conn, queued_feed):
    _, message_id = queued_feed
    reject(conn, message_id)
    channel = f"dramatiq.{scheduler.REFRESH_QUEUE}.enqueue"

    with psycopg.connect(settings.database_url, autocommit=True) as listener:
        listener.execute(f'LISTEN "{channel}"')
        with connect(settings) as admin:
            queue_admin.requeue(admin, [message_id])
        notifies = list(listener.notifies(timeout=2.0, stop_after=1))

    assert [n.channel for n in notifies] == [channel]
    payload = json.loads(notifies[0].payload)
    assert payload["message_id"] == str(message_id)
    assert payload["actor_name"] == scheduler.REFRESH_ACTOR
    assert payload["options"]["traceback"] == TRACEBACK


def test_requeue_notifies_id_of_large_message(settings, conn, queued_feed):
    _, message_id = queued_feed
    reject(conn, message_id, traceback="x" * 9000)
    channel = f"dramatiq.{scheduler.REFRESH_QUEUE}.enqueue"

    with psycopg.connect(settings.database_url, autocommit=True) as listener:
        listener.execute(f'LISTEN "{channel}"')
        with connect(settings) as admin:
            queue_admin.requeue(admin, None)
        notifies = list(listener.notifies(timeout=2.0, stop_after=1))

    assert json.loads(notifies[0].payload) == {"message_id": str(message_id)}


def test_requeue_twice_requeues_nothing_more(cli, conn, queued_feed):
    _, message_id = queued_feed
    reject(conn, message_id)

    cli("queue", "requeue", "--all")
    out = cli("queue", "requeue", "--all")

    assert out.strip() == "requeued 0 message(s)"


def test_worker_runs_requeued_message(conn, settings, feed_server, user_id):
    url = feed_server.route(
        "/requeued.xml", RSS, headers={"Content-Type": "application/rss+xml"}
    )
    register_worker(conn)
    feed_id = insert_feed(conn, user_id, url)
    scheduler.schedule(conn, feed_id, Delay(0, Priority.NORMAL))
    dispatch(conn, settings)
    message_id = schedule_row(conn, feed_id)["message_id"]
    reject(conn, message_id)

    with running_worker(settings):
        wait_for(lambda: worker_ids(conn) - {"test-worker"})
        # The heartbeat comes from the dispatcher thread. Give the consumer
        # threads time to LISTEN, so the message arrives by notification.
        time.sleep(2)
        with connect(settings) as admin:
            [result] = queue_admin.requeue(admin, [message_id])
        wait_for(lambda: runs_of(conn, feed_id), timeout=30)

    assert result.outcome is queue_admin.Outcome.REQUEUED
    [run] = runs_of(conn, feed_id)
    assert run["status"] == "success"
    assert run["message_id"] == message_id
    assert message_row(conn, message_id)["state"] == "done"
    assert len(feed_server.requests_for("/requeued.xml")) == 1


# -- purge ------------------------------------------------------------------------


def test_purge_deletes_old_finished_messages(cli, conn, settings, user_id):
    register_worker(conn)
    for index in range(4):
        feed_id = insert_feed(conn, user_id, f"https://example.org/{index}.xml")
        scheduler.schedule(conn, feed_id, Delay(0, Priority.NORMAL))
    dispatch(conn, settings)
    done, rejected, waiting, recent = [m["message_id"] for m in queued_messages(conn)]
    conn.execute(
        "UPDATE dramatiq.queue SET state = 'done' WHERE message_id = ANY(%s)",
        ([done, recent],),
    )
    reject(conn, rejected)
    age_messages(conn, 10)
    conn.execute(
        "UPDATE dramatiq.queue SET mtime = now() WHERE message_id = %s", (recent,)
    )

    out = cli("queue", "purge", "--older-than", "7")

    assert out.strip() == "deleted 2 message(s) older than 7 day(s)"
    remaining = {m["message_id"] for m in queued_messages(conn)}
    assert remaining == {waiting, recent}


def test_purge_rejects_negative_days(cli):
    with pytest.raises(SystemExit) as exit_info:
        cli("queue", "purge", "--older-than", "-1")

    assert exit_info.value.code == 2
