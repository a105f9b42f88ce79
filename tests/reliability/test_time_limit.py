"""A refresh that outlasts the refresh time limit on a server that never responds.

The HTTP timeouts are set far above the time limit, so only the time limit
can end the refresh. With one worker thread, a second feed refreshes only once
that thread is free again.
"""

import threading
import time

import pytest

from feeds import scheduler
from feeds.scheduler import Delay, Priority
from tests.feedserver import Response
from tests.reliability.support import NO_METRICS, rss_document, write_report
from tests.scheduling import feed_row, insert_feed, runs_of, schedule_row
from tests.workers import running_worker, wait_for

TIME_LIMIT_SECONDS = 2
# The server keeps the request open this long at most. The test ends it sooner.
HANG_SECONDS = 120
WORKER_ENV = {
    "FEEDS_REFRESH_TIME_LIMIT_SECONDS": str(TIME_LIMIT_SECONDS),
    "FEEDS_CONNECT_TIMEOUT_SECONDS": "300",
    "FEEDS_READ_TIMEOUT_SECONDS": "300",
    "FEEDS_TOTAL_TIMEOUT_SECONDS": "300",
    **NO_METRICS,
}


@pytest.fixture
def release():
    """An event that ends every hanging request when the test finishes."""
    event = threading.Event()
    yield event
    event.set()


def test_time_limit_frees_thread(conn, settings, feed_server, user_id, release):
    def hang(request):
        release.wait(HANG_SECONDS)
        return Response(200, b"")

    body = rss_document("after", [("one", "http://127.0.0.1/after/1")])
    hanging = insert_feed(conn, user_id, feed_server.route("/hang.xml", hang))
    after = insert_feed(conn, user_id, feed_server.route("/after.xml", body))
    scheduler.schedule(conn, hanging, Delay(0, Priority.NORMAL))

    with running_worker(settings, threads=1, **WORKER_ENV):
        wait_for(lambda: feed_server.requests_for("/hang.xml"), timeout=60)
        hung_at = time.monotonic()
        scheduler.schedule(conn, after, Delay(0, Priority.NORMAL))
        wait_for(lambda: runs_of(conn, after), timeout=60)
        freed_after = time.monotonic() - hung_at
        # Timeouts are retried, so the feed fails after its last attempt.
        wait_for(lambda: runs_of(conn, hanging), timeout=90)
        failed_after = time.monotonic() - hung_at

    write_report(
        "time_limit",
        {
            "time_limit_seconds": TIME_LIMIT_SECONDS,
            "hung_request_failed_after_seconds": round(failed_after, 2),
            "next_feed_refreshed_after_seconds": round(freed_after, 2),
            "requests_to_hanging_feed": len(feed_server.requests_for("/hang.xml")),
        },
    )

    failed = feed_row(conn, hanging)
    assert failed["last_fetch_status"] == "failed"
    assert failed["last_error_code"] == "timeout"
    assert failed["last_fetch_error"].startswith("timeout:")
    assert runs_of(conn, hanging)[-1]["error_code"] == "timeout"
    row = schedule_row(conn, hanging)
    assert row["state"] == "scheduled"
    assert row["started_at"] is None
    assert feed_row(conn, after)["last_fetch_status"] == "success"
