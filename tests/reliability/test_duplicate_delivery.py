"""Messages delivered twice and two worker processes racing for the same feeds.

Each dispatched message gets a copy under a new message id with the same
arguments, and its notification is sent again. Whatever consumes them, one
refresh of a feed runs at a time and every article is stored once.
"""

import time
import uuid

from feeds import scheduler
from feeds.scheduler import Delay, Priority
from tests.reliability.support import (
    NO_METRICS,
    TimedRoute,
    active_rows,
    overlapping,
    pending_messages,
    rss_document,
    run_count,
    write_report,
)
from tests.scheduling import articles_of, insert_feed, schedule_row
from tests.workers import running_worker, wait_for

FEED_COUNT = 3
ROUNDS = 8
SERVE_DELAY_SECONDS = 0.3
WORKER_ENV = {"FEEDS_REFRESH_TIME_LIMIT_SECONDS": "10", **NO_METRICS}

_DUPLICATE = """
WITH copied AS (
    INSERT INTO dramatiq.queue (message_id, queue_name, "state", message)
    SELECT %(copy_id)s, queue_name, 'queued',
           jsonb_set(message, '{message_id}', to_jsonb(%(copy_id)s::text))
    FROM dramatiq.queue WHERE message_id = %(message_id)s
    RETURNING queue_name, message
)
SELECT pg_notify('dramatiq.' || queue_name || '.enqueue', message::text)
FROM copied
"""

_RENOTIFY = """
SELECT pg_notify('dramatiq.' || queue_name || '.enqueue', message::text)
FROM dramatiq.queue WHERE message_id = %(message_id)s
"""


def growing_feed(index: int):
    """Return a body builder whose n-th body lists items 1 to n."""

    def body_for(number: int) -> bytes:
        items = [
            (f"item {k}", f"http://127.0.0.1/race/{index}/{k}")
            for k in range(1, number + 1)
        ]
        return rss_document(f"race {index}", items)

    return body_for


def deliver_twice(conn, feed_id) -> bool:
    """Copy the feed's dispatched message and notify it again.

    Returns False when the message was already gone or never dispatched.
    """
    message_id = schedule_row(conn, feed_id)["message_id"]
    if message_id is None:
        return False
    params = {"message_id": message_id, "copy_id": uuid.uuid4()}
    copied = conn.execute(_DUPLICATE, params).rowcount
    conn.execute(_RENOTIFY, params)
    return copied == 1


def dispatched(conn, feed_id) -> bool:
    return schedule_row(conn, feed_id)["message_id"] is not None


def settled(conn) -> bool:
    return not active_rows(conn) and pending_messages(conn) == 0


def duplicate_articles(conn) -> list[dict]:
    return conn.execute(
        "SELECT feed_id, url, count(*) AS copies FROM articles "
        "GROUP BY feed_id, url HAVING count(*) > 1"
    ).fetchall()


def force_rounds(conn, feeds: list) -> int:
    """Force every feed ROUNDS times, copying each dispatched message."""
    copies = 0
    for _ in range(ROUNDS):
        for feed_id in feeds:
            scheduler.force(conn, feed_id)
            wait_for(lambda f=feed_id: dispatched(conn, f), timeout=30, interval=0.02)
            copies += deliver_twice(conn, feed_id)
        time.sleep(SERVE_DELAY_SECONDS / 2)
    return copies


def test_duplicates_and_racing_workers(conn, settings, feed_server, user_id):
    routes = {}
    for index in range(FEED_COUNT):
        route = TimedRoute(growing_feed(index), delay=SERVE_DELAY_SECONDS)
        url = feed_server.route(f"/race/{index}.xml", route)
        feed_id = insert_feed(conn, user_id, url)
        routes[feed_id] = route
        scheduler.schedule(conn, feed_id, Delay(0, Priority.NORMAL))

    with (
        running_worker(settings, threads=2, **WORKER_ENV),
        running_worker(settings, threads=2, **WORKER_ENV),
    ):
        wait_for(lambda: all(run_count(conn, f) for f in routes), timeout=60)
        copies = force_rounds(conn, list(routes))
        wait_for(lambda: settled(conn), timeout=90, interval=0.3)

    messages = conn.execute(
        "SELECT state::text, count(*) AS messages FROM dramatiq.queue GROUP BY 1"
    ).fetchall()
    requests = {feed_id: route.requests for feed_id, route in routes.items()}
    runs = {feed_id: run_count(conn, feed_id) for feed_id in routes}
    write_report(
        "duplicate_delivery",
        {
            "feeds": FEED_COUNT,
            "forced_refreshes": FEED_COUNT * ROUNDS,
            "message_copies": copies,
            "messages_by_state": {row["state"]: row["messages"] for row in messages},
            "requests_total": sum(requests.values()),
            "runs_total": sum(runs.values()),
        },
    )

    assert copies > 0
    assert duplicate_articles(conn) == []
    for feed_id, route in routes.items():
        assert overlapping(route.intervals) == [], feed_id
        assert runs[feed_id] == requests[feed_id], feed_id
        # The n-th response lists n items, so each request added one article.
        assert len(articles_of(conn, feed_id)) == requests[feed_id], feed_id
