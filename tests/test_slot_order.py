"""The domain slot is the last step before the request."""

import uuid

from feeds import throttle
from feeds.fetch import Fetcher
from feeds.refresh import Refresher
from tests.conftest import SHARED_FEEDS
from tests.scheduling import insert_feed, queue_feed, schedule_row

BODY = (SHARED_FEEDS / "cases" / "01-no-guid-stable-links.xml").read_bytes()


class RecordingPool:
    """A pool that logs each connection it lends to ``events``."""

    def __init__(self, pool, events: list[str]) -> None:
        self._pool = pool
        self._events = events

    def connection(self, *args, **kwargs):
        self._events.append("database")
        return self._pool.connection(*args, **kwargs)


def test_no_database_work_between_slot_and_request(
    conn, settings, pool, feed_server, user_id, monkeypatch
):
    events: list[str] = []
    take_slot = throttle.take_slot

    def record_slot(*args, **kwargs):
        slot = take_slot(*args, **kwargs)
        events.append("slot")
        return slot

    monkeypatch.setattr(throttle, "take_slot", record_slot)
    url = feed_server.route("/news.xml", BODY)
    feed_id, token = queue_feed(conn, settings, user_id, url)
    insert_feed(conn, uuid.uuid4(), url)
    conn.execute(
        "INSERT INTO feed_schedule (feed_id, state, priority, next_run_at, "
        "reason, token) SELECT id, 'scheduled', 2, now(), 'interval', "
        "gen_random_uuid() FROM feeds WHERE id <> %s",
        (feed_id,),
    )

    with Fetcher(settings) as fetcher:
        fetch = fetcher.fetch

        def record_fetch(*args, **kwargs):
            events.append("request")
            return fetch(*args, **kwargs)

        fetcher.fetch = record_fetch
        refresher = Refresher(settings, RecordingPool(pool, events), fetcher)
        assert refresher.refresh(feed_id, token) == "success"

    slot = events.index("slot")
    assert events[slot + 1] == "request", events


def test_deferred_refresh_releases_co_subscribers(
    conn, settings, pool, feed_server, user_id
):
    slow = settings.model_copy(
        update={"domain_interval_seconds": 60.0, "domain_max_wait_seconds": 0.5}
    )
    first, first_token = queue_feed(
        conn, settings, user_id, feed_server.route("/a.xml", BODY)
    )
    shared_url = feed_server.route("/b.xml", BODY)
    second, second_token = queue_feed(conn, settings, user_id, shared_url)
    other = insert_feed(conn, uuid.uuid4(), shared_url)
    conn.execute(
        "INSERT INTO feed_schedule (feed_id, state, priority, next_run_at, "
        "reason, token) VALUES (%s, 'scheduled', 2, now(), 'interval', "
        "gen_random_uuid())",
        (other,),
    )

    with Fetcher(slow) as fetcher:
        refresher = Refresher(slow, pool, fetcher)
        assert refresher.refresh(first, first_token) == "success"
        assert refresher.refresh(second, second_token) == "deferred"

    released = schedule_row(conn, other)
    assert released["state"] == "scheduled"
    assert released["started_at"] is None
    assert released["run_token"] is None
    assert feed_server.requests_for("/b.xml") == []
