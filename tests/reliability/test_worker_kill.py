"""A worker process group killed with SIGKILL in the middle of refreshes.

The refresh time limit and the stale margin are small in the worker and in the
test's settings, so rows left running by the killed worker are recovered
within seconds. A new worker must then refresh every feed, the interrupted
ones again, and never run two refreshes of one feed at a time. The second test
kills one of two workers and leaves the other to take over.
"""

import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

from feeds import scheduler
from feeds.scheduler import Delay, Priority
from tests.reliability.support import (
    NO_METRICS,
    TimedRoute,
    active_rows,
    database_now,
    kill_group,
    other_sessions,
    overlapping,
    pending_messages,
    rss_document,
    run_count,
    success_runs,
    write_report,
)
from tests.scheduling import insert_feed
from tests.workers import running_worker, wait_for

FEED_COUNT = 8
SERVE_DELAY_SECONDS = 1.0
WORKER_THREADS = 3
TIME_LIMIT_SECONDS = 4.0
STALE_MARGIN_SECONDS = 1.0
WORKER_ENV = {
    "FEEDS_REFRESH_TIME_LIMIT_SECONDS": str(TIME_LIMIT_SECONDS),
    "FEEDS_STALE_MARGIN_SECONDS": str(STALE_MARGIN_SECONDS),
    "FEEDS_TOTAL_TIMEOUT_SECONDS": "3",
    **NO_METRICS,
}
# Recovery runs in the dispatcher's housekeeping round, every
# HOUSEKEEPING_INTERVAL_SECONDS of feeds/actors/dispatcher.py (10 s; importing
# that package here would build a broker). A row may outlive its timeout by one
# such interval, plus this allowance for a loaded machine.
AGE_ALLOWANCE_SECONDS = 10.0 + 5.0


@pytest.fixture
def recovery_settings(settings):
    return settings.model_copy(
        update={
            "refresh_time_limit_seconds": TIME_LIMIT_SECONDS,
            "stale_margin_seconds": STALE_MARGIN_SECONDS,
        }
    )


def add_slow_feeds(conn, feed_server, user_id) -> dict:
    """Serve FEED_COUNT slow feeds and return {feed_id: route}."""
    routes = {}
    for index in range(FEED_COUNT):
        item = (f"item {index}", f"http://127.0.0.1/kill/{index}/1")
        body = rss_document(f"feed {index}", [item])
        route = TimedRoute(lambda number, body=body: body, SERVE_DELAY_SECONDS)
        url = feed_server.route(f"/kill/{index}.xml", route)
        routes[insert_feed(conn, user_id, url)] = route
    return routes


def schedule_now(conn, feed_ids) -> None:
    for feed_id in feed_ids:
        scheduler.schedule(conn, feed_id, Delay(0, Priority.NORMAL))


def in_flight(routes: dict) -> int:
    return sum(route.in_flight for route in routes.values())


def check_row_ages(conn, timeouts) -> None:
    for row in active_rows(conn):
        if row["state"] == "queued":
            limit = timeouts.queued_seconds + AGE_ALLOWANCE_SECONDS
            assert row["queued_for"] <= limit, row
        else:
            limit = timeouts.running_seconds + AGE_ALLOWANCE_SECONDS
            assert (row["running_for"] or 0) <= limit, row


def everything_refreshed(conn, timeouts, routes, interrupted, killed_at) -> bool:
    check_row_ages(conn, timeouts)
    if any(success_runs(conn, feed_id) == 0 for feed_id in routes):
        return False
    return all(success_runs(conn, f, after=killed_at) > 0 for f in interrupted)


def test_killed_worker_recovers(recovery_settings, conn, feed_server, user_id):
    settings = recovery_settings
    timeouts = scheduler.stale_timeouts(settings)
    routes = add_slow_feeds(conn, feed_server, user_id)
    schedule_now(conn, routes)

    with running_worker(settings, threads=WORKER_THREADS, **WORKER_ENV) as first:
        wait_for(lambda: in_flight(routes) >= 2, timeout=60, interval=0.05)
        requests_in_flight = in_flight(routes)
        kill_group(first)
        killed = time.monotonic()
    killed_at = database_now(conn)

    # Rows still running now belong to refreshes the kill interrupted.
    interrupted = [r["feed_id"] for r in active_rows(conn) if r["state"] == "running"]
    left_queued = [r["feed_id"] for r in active_rows(conn) if r["state"] == "queued"]
    assert interrupted, "the kill interrupted no refresh"
    # The killed worker's sessions end, releasing its message locks.
    wait_for(lambda: other_sessions(conn) == 0, timeout=30)

    with running_worker(settings, threads=WORKER_THREADS, **WORKER_ENV):
        wait_for(
            lambda: everything_refreshed(
                conn, timeouts, routes, interrupted, killed_at
            ),
            timeout=120,
            interval=0.2,
        )
        recovery_seconds = time.monotonic() - killed
        wait_for(lambda: not active_rows(conn), timeout=60)
        wait_for(lambda: pending_messages(conn) == 0, timeout=60)

    requests = {feed_id: route.requests for feed_id, route in routes.items()}
    runs = {feed_id: run_count(conn, feed_id) for feed_id in routes}
    write_report(
        "worker_kill",
        {
            "recovery_seconds": round(recovery_seconds, 2),
            "feeds": FEED_COUNT,
            "interrupted_running": len(interrupted),
            "left_queued": len(left_queued),
            "requests_in_flight_at_kill": requests_in_flight,
            "requests_total": sum(requests.values()),
            "runs_total": sum(runs.values()),
            "stale_queued_seconds": timeouts.queued_seconds,
            "stale_running_seconds": timeouts.running_seconds,
        },
    )

    for feed_id, route in routes.items():
        assert overlapping(route.intervals) == [], feed_id
        assert runs[feed_id] == 1, feed_id
        assert success_runs(conn, feed_id) == 1, feed_id
        if feed_id in interrupted:
            # The killed attempt may or may not have reached the server.
            assert requests[feed_id] - runs[feed_id] in (0, 1), feed_id
        else:
            assert requests[feed_id] == runs[feed_id], feed_id


def consumed_before(conn, moment) -> int:
    """Count messages still consumed that were consumed before ``moment``."""
    row = conn.execute(
        "SELECT count(*) AS messages FROM dramatiq.queue "
        "WHERE state = 'consumed' AND mtime < %(at)s AT TIME ZONE 'UTC'",
        {"at": moment},
    ).fetchone()
    return row["messages"]


def worker_count(conn) -> int:
    row = conn.execute("SELECT count(*) AS workers FROM worker_heartbeats").fetchone()
    return row["workers"]


def with_query(url: str, **params: str) -> str:
    """Add query parameters to a database URL that may already have some."""
    parts = urlsplit(url)
    query = urlencode([*parse_qsl(parts.query), *params.items()])
    return urlunsplit(parts._replace(query=query))


def claimed_by(conn, application_name: str) -> int:
    """Count the message locks taken by the sessions of one worker.

    dramatiq-pg takes an advisory lock on each message it consumes and keeps it
    until the message is acknowledged.
    """
    row = conn.execute(
        "SELECT count(*) AS locks FROM pg_locks l "
        "JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND a.application_name = %(name)s",
        {"name": application_name},
    ).fetchone()
    return row["locks"]


def test_surviving_worker_takes_over(recovery_settings, conn, feed_server, user_id):
    """Kill one of two workers, and the other recovers its rows and messages.

    Both workers are idle when the feeds are scheduled, so each claims some
    messages and skips the other's. The killed worker's claimed messages stay
    consumed in the queue, and no restarted consumer rescans them.
    """
    settings = recovery_settings
    timeouts = scheduler.stale_timeouts(settings)
    routes = add_slow_feeds(conn, feed_server, user_id)
    # The killed worker's sessions carry this name, so its claims can be counted.
    doomed_url = with_query(settings.database_url, application_name="doomed-worker")

    with (
        running_worker(settings, threads=WORKER_THREADS, **WORKER_ENV),
        running_worker(
            settings, threads=WORKER_THREADS, DATABASE_URL=doomed_url, **WORKER_ENV
        ) as doomed,
    ):
        wait_for(lambda: worker_count(conn) == 2, timeout=60)
        schedule_now(conn, routes)
        wait_for(lambda: claimed_by(conn, "doomed-worker") >= 2, timeout=60)
        orphans = claimed_by(conn, "doomed-worker")
        kill_group(doomed)
        killed = time.monotonic()
        killed_at = database_now(conn)

        wait_for(
            lambda: everything_refreshed(conn, timeouts, routes, [], killed_at),
            timeout=120,
        )
        wait_for(lambda: not active_rows(conn), timeout=60)
        settled = time.monotonic() - killed
        wait_for(lambda: consumed_before(conn, killed_at) == 0, timeout=30)

    write_report(
        "surviving_worker",
        {
            "messages_claimed_by_killed_worker": orphans,
            "all_refreshed_after_kill_seconds": round(settled, 2),
            "requests_total": sum(route.requests for route in routes.values()),
        },
    )
    for feed_id, route in routes.items():
        assert overlapping(route.intervals) == [], feed_id
        assert success_runs(conn, feed_id) == 1, feed_id
