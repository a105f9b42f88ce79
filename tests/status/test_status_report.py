"""The figures of the status page, read from a seeded database."""

from datetime import timedelta
from itertools import pairwise

from feeds.status.report import CHART_MINUTES, RECENT_FAILURES, read_report
from tests.status.seed import (
    RUNS_BY_MINUTE,
    SCRIPT_URL,
    database_now,
    insert_feed,
    insert_run,
    insert_schedule,
    seed_status_rows,
)


def report_of(conn):
    with conn.transaction():
        return read_report(conn)


def test_empty_database_reports_zeros(conn):
    report = report_of(conn)

    assert report.queue_states == {
        "queued": 0,
        "consumed": 0,
        "rejected": 0,
        "done": 0,
    }
    assert report.schedule_states == {
        "scheduled": 0,
        "queued": 0,
        "running": 0,
        "cancelled": 0,
    }
    assert report.fetch_statuses == {"success": 0, "failed": 0, "never": 0}
    assert report.schedule_lag_seconds == 0
    assert report.due_feeds == 0
    assert report.failures == []
    assert len(report.refreshes) == CHART_MINUTES
    assert all(b.success == 0 and b.failed == 0 for b in report.refreshes)


def test_counts_match_seeded_rows(conn):
    seeded = seed_status_rows(conn)

    report = report_of(conn)

    assert report.queue_states == seeded.queue_states
    assert report.schedule_states == seeded.schedule_states
    assert report.fetch_statuses == seeded.fetch_statuses
    assert report.due_feeds == 2


def test_schedule_lag_is_oldest_due_row(conn):
    seeded = seed_status_rows(conn)

    report = report_of(conn)
    elapsed = (report.generated_at - seeded.now).total_seconds()

    assert report.schedule_lag_seconds >= seeded.min_lag_seconds
    assert report.schedule_lag_seconds <= seeded.min_lag_seconds + elapsed + 1


def test_schedule_lag_ignores_future_and_other_states(conn):
    now = database_now(conn)
    future = insert_feed(conn, "https://example.com/a")
    queued = insert_feed(conn, "https://example.com/b")
    insert_schedule(
        conn, future, state="scheduled", next_run_at=now + timedelta(hours=1)
    )
    insert_schedule(conn, queued, state="queued", next_run_at=now - timedelta(hours=1))

    report = report_of(conn)

    assert report.schedule_lag_seconds == 0
    assert report.due_feeds == 0


def test_chart_has_consecutive_minutes(conn):
    report = report_of(conn)
    starts = [bucket.start for bucket in report.refreshes]

    assert len(starts) == CHART_MINUTES
    assert all(b - a == timedelta(minutes=1) for a, b in pairwise(starts))
    assert starts[-1] <= report.generated_at < starts[-1] + timedelta(minutes=1)
    assert all(start.second == 0 and start.microsecond == 0 for start in starts)


def test_chart_counts_last_hour_only(conn):
    seed_status_rows(conn)

    report = report_of(conn)

    successes = sum(runs[0] for runs in RUNS_BY_MINUTE.values())
    failures = sum(runs[1] for runs in RUNS_BY_MINUTE.values())
    assert sum(bucket.success for bucket in report.refreshes) == successes
    assert sum(bucket.failed for bucket in report.refreshes) == failures


def test_chart_bucket_boundaries(conn):
    now = database_now(conn)
    feed = insert_feed(conn, "https://example.com/feed")
    minute = now.replace(second=0, microsecond=0) - timedelta(minutes=5)
    insert_run(conn, feed, status="success", started_at=minute)
    insert_run(conn, feed, status="failed", started_at=minute - timedelta(seconds=1))

    report = report_of(conn)
    by_start = {bucket.start: bucket for bucket in report.refreshes}

    assert (by_start[minute].success, by_start[minute].failed) == (1, 0)
    previous = by_start[minute - timedelta(minutes=1)]
    assert (previous.success, previous.failed) == (0, 1)


def test_recent_failures_newest_first_and_limited(conn):
    seeded = seed_status_rows(conn)

    report = report_of(conn)
    times = [failure.started_at for failure in report.failures]

    assert seeded.failed_runs > RECENT_FAILURES
    assert len(report.failures) == RECENT_FAILURES
    assert times == sorted(times, reverse=True)
    assert report.failures[0].feed_id == seeded.script_feed_id
    assert report.failures[0].url == SCRIPT_URL
    assert report.failures[0].error_code == "parse"


def test_failure_without_error_code(conn):
    now = database_now(conn)
    feed = insert_feed(conn, "https://example.com/feed")
    insert_run(conn, feed, status="failed", started_at=now)

    report = report_of(conn)

    assert [failure.error_code for failure in report.failures] == [None]
