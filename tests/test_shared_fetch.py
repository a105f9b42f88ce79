"""One request per URL and due time serves every subscriber of that URL."""

import uuid
from datetime import timedelta

from feeds import scheduler
from feeds.scheduler import Delay, Priority
from tests.conftest import SHARED_FEEDS
from tests.scheduling import (
    articles_of,
    dispatch,
    feed_row,
    insert_feed,
    register_worker,
    runs_of,
    schedule_row,
)

NEWS = (SHARED_FEEDS / "cases" / "01-no-guid-stable-links.xml").read_bytes()


def subscribe_many(conn, url: str, count: int) -> list[uuid.UUID]:
    feeds = []
    for index in range(count):
        feed_id = insert_feed(conn, uuid.uuid4(), url, interval=30 + index)
        scheduler.schedule(conn, feed_id, Delay(0, Priority.NORMAL))
        feeds.append(feed_id)
    return feeds


def first_queued(conn, feeds) -> tuple[uuid.UUID, uuid.UUID]:
    for feed_id in feeds:
        row = schedule_row(conn, feed_id)
        if row["state"] == "queued":
            return feed_id, row["token"]
    raise AssertionError("no feed was queued")


def test_one_request_serves_every_subscriber(
    conn, settings, refresher, feed_server, user_id
):
    register_worker(conn)
    url = feed_server.route("/shared.xml", NEWS)
    feeds = subscribe_many(conn, url, 25)
    dispatch(conn, settings)
    leader, token = first_queued(conn, feeds)

    assert refresher.refresh(leader, token) == "success"

    assert len(feed_server.requests_for("/shared.xml")) == 1
    for index, feed_id in enumerate(feeds):
        assert len(articles_of(conn, feed_id)) == 3
        assert feed_row(conn, feed_id)["last_fetch_status"] == "success"
        assert len(runs_of(conn, feed_id)) == 1
        row = schedule_row(conn, feed_id)
        wait = row["next_run_at"] - feed_row(conn, feed_id)["last_fetched"]
        assert abs(wait - timedelta(minutes=30 + index)) < timedelta(seconds=5)


def test_queued_messages_of_members_become_stale(
    conn, settings, refresher, feed_server
):
    register_worker(conn)
    url = feed_server.route("/shared.xml", NEWS)
    feeds = subscribe_many(conn, url, 5)
    dispatch(conn, settings)
    tokens = {f: schedule_row(conn, f)["token"] for f in feeds}
    leader = feeds[0]

    refresher.refresh(leader, tokens[leader])

    for feed_id in feeds[1:]:
        assert refresher.refresh(feed_id, tokens[feed_id]) == "stale"
    assert len(feed_server.requests_for("/shared.xml")) == 1


def test_feeds_not_yet_due_are_left_alone(conn, settings, refresher, feed_server):
    register_worker(conn)
    url = feed_server.route("/shared.xml", NEWS)
    due = insert_feed(conn, uuid.uuid4(), url)
    later = insert_feed(conn, uuid.uuid4(), url)
    scheduler.schedule(conn, due, Delay(0, Priority.NORMAL))
    scheduler.schedule(conn, later, Delay(3600, Priority.NORMAL))
    dispatch(conn, settings)

    refresher.refresh(due, schedule_row(conn, due)["token"])

    assert articles_of(conn, later) == []
    assert schedule_row(conn, later)["state"] == "scheduled"


def test_failure_is_recorded_for_every_subscriber(
    conn, settings, refresher, feed_server
):
    register_worker(conn)
    url = feed_server.route("/missing.xml", b"", status=404)
    feeds = subscribe_many(conn, url, 4)
    dispatch(conn, settings)
    leader, token = first_queued(conn, feeds)

    assert refresher.refresh(leader, token) == "failed"

    for feed_id in feeds:
        assert feed_row(conn, feed_id)["last_error_code"] == "http_status"
        assert schedule_row(conn, feed_id)["state"] == "scheduled"
    assert len(feed_server.requests_for("/missing.xml")) == 1


def test_each_subscriber_keeps_its_own_flags(conn, settings, refresher, feed_server):
    register_worker(conn)
    url = feed_server.route("/shared.xml", NEWS)
    first, second = subscribe_many(conn, url, 2)
    dispatch(conn, settings)
    leader, token = first_queued(conn, [first, second])
    refresher.refresh(leader, token)

    conn.execute(
        "UPDATE articles SET is_read = true WHERE feed_id = %(id)s", {"id": first}
    )

    assert all(a["is_read"] for a in articles_of(conn, first))
    assert not any(a["is_read"] for a in articles_of(conn, second))


def test_dispatch_sends_one_message_per_url(conn, settings, feed_server):
    register_worker(conn, threads=50)
    url = feed_server.route("/shared.xml", NEWS)
    feeds = subscribe_many(conn, url, 30)
    other = insert_feed(conn, uuid.uuid4(), feed_server.route("/other.xml", NEWS))
    scheduler.schedule(conn, other, Delay(0, Priority.NORMAL))

    assert dispatch(conn, settings) == 2
    assert dispatch(conn, settings) == 0, "a queued refresh of the URL must hold"

    states = [schedule_row(conn, f)["state"] for f in feeds]
    assert states.count("queued") == 1
    assert schedule_row(conn, other)["state"] == "queued"


def test_whole_backlog_of_url_fetched_once(conn, settings, refresher, feed_server):
    register_worker(conn, threads=50)
    url = feed_server.route("/shared.xml", NEWS)
    feeds = subscribe_many(conn, url, 30)
    dispatch(conn, settings)
    leader, token = first_queued(conn, feeds)

    refresher.refresh(leader, token)

    assert dispatch(conn, settings) == 0
    assert len(feed_server.requests_for("/shared.xml")) == 1
    assert all(len(articles_of(conn, f)) == 3 for f in feeds)
