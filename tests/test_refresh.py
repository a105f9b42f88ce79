"""The refresh pipeline against a real HTTP server and a real database."""

from datetime import UTC, datetime, timedelta

import pytest

from feeds import scheduler
from feeds.fetch import Fetcher
from feeds.refresh import Refresher, RetryLater
from tests.conftest import SHARED_FEEDS
from tests.scheduling import (
    articles_of,
    feed_row,
    queue_feed,
    requeue,
    runs_of,
    schedule_row,
)

CASES = SHARED_FEEDS / "cases"


def test_refresh_stores_articles(conn, settings, refresher, feed_server, user_id):
    body = (CASES / "01-no-guid-stable-links.xml").read_bytes()
    url = feed_server.route("/news.xml", body)
    feed_id, token = queue_feed(conn, settings, user_id, url)

    assert refresher.refresh(feed_id, token) == "success"

    stored = articles_of(conn, feed_id)
    assert [a["title"] for a in stored] == [
        "Tide tables updated",
        "Pier 4 reopens",
        "Ferry timetable",
    ]
    assert stored[0]["url"] == "https://example.org/news/1"
    assert stored[0]["published_at"] == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert stored[0]["content"] == "New tide tables are online."
    assert {a["user_id"] for a in stored} == {user_id}


def test_success_records_status_history_and_next_run(
    conn, settings, refresher, feed_server, user_id
):
    body = (CASES / "01-no-guid-stable-links.xml").read_bytes()
    url = feed_server.route("/news.xml", body)
    feed_id, token = queue_feed(conn, settings, user_id, url)

    refresher.refresh(feed_id, token)

    feed = feed_row(conn, feed_id)
    assert feed["last_fetch_status"] == "success"
    assert feed["last_fetch_error"] is None
    assert feed["last_fetched"] is not None
    [run] = runs_of(conn, feed_id)
    assert run["status"] == "success"
    assert run["http_status"] == 200
    assert run["articles_added"] == 3
    assert run["bytes_received"] > 0
    row = schedule_row(conn, feed_id)
    assert row["state"] == "scheduled"
    assert row["reason"] == "interval"
    expected = feed["last_fetched"] + timedelta(minutes=60)
    assert abs((row["next_run_at"] - expected).total_seconds()) < 5


def test_refetch_adds_nothing_and_keeps_first_seen(
    conn, settings, refresher, feed_server, user_id
):
    url = feed_server.route("/comic.xml", (CASES / "23-no-dates.xml").read_bytes())
    feed_id, token = queue_feed(conn, settings, user_id, url)
    refresher.refresh(feed_id, token)
    first = articles_of(conn, feed_id)

    refresher.refresh(feed_id, requeue(conn, settings, feed_id))

    again = articles_of(conn, feed_id)
    assert len(first) == 2
    assert [a["published_at"] for a in again] == [a["published_at"] for a in first]
    assert runs_of(conn, feed_id)[-1]["articles_added"] == 0


def test_not_found_fails_without_retry(conn, settings, refresher, feed_server, user_id):
    feed_id, token = queue_feed(conn, settings, user_id, feed_server.url("/missing"))

    assert refresher.refresh(feed_id, token, final_attempt=False) == "failed"

    feed = feed_row(conn, feed_id)
    assert feed["last_fetch_status"] == "failed"
    assert feed["last_fetch_error"].startswith("http_status:")
    assert feed["last_error_code"] == "http_status"
    assert schedule_row(conn, feed_id)["state"] == "scheduled"
    assert runs_of(conn, feed_id)[0]["http_status"] == 404


def test_server_error_is_retried_then_recorded(
    conn, settings, refresher, feed_server, user_id
):
    url = feed_server.route("/broken", b"oops", status=500)
    feed_id, token = queue_feed(conn, settings, user_id, url)

    with pytest.raises(RetryLater):
        refresher.refresh(feed_id, token, final_attempt=False)
    assert schedule_row(conn, feed_id)["state"] == "queued"
    assert runs_of(conn, feed_id) == []

    assert refresher.refresh(feed_id, token, final_attempt=True) == "failed"
    feed = feed_row(conn, feed_id)
    assert feed["last_fetch_status"] == "failed"
    assert len(feed["last_fetch_error"]) <= 500
    assert schedule_row(conn, feed_id)["state"] == "scheduled"


def test_parse_error_is_recorded(conn, settings, refresher, feed_server, user_id):
    url = feed_server.route("/garbage", b"\x00\x01 this is not a feed \xff")
    feed_id, token = queue_feed(conn, settings, user_id, url)

    assert refresher.refresh(feed_id, token, final_attempt=False) == "failed"
    assert feed_row(conn, feed_id)["last_fetch_status"] == "failed"
    assert schedule_row(conn, feed_id)["state"] == "scheduled"


def test_failures_back_off_and_success_resets(
    conn, settings, refresher, feed_server, user_id
):
    url = feed_server.route("/flaky", b"", status=404)
    feed_id, token = queue_feed(conn, settings, user_id, url)
    refresher.refresh(feed_id, token)
    refresher.refresh(feed_id, requeue(conn, settings, feed_id))

    feed = feed_row(conn, feed_id)
    row = schedule_row(conn, feed_id)
    assert feed["consecutive_failures"] == 2
    assert row["reason"] == "error_backoff"
    wait = row["next_run_at"] - feed["last_fetched"]
    assert timedelta(minutes=119) < wait < timedelta(minutes=121)

    feed_server.route("/flaky", (CASES / "01-no-guid-stable-links.xml").read_bytes())
    refresher.refresh(feed_id, requeue(conn, settings, feed_id))
    assert feed_row(conn, feed_id)["consecutive_failures"] == 0


def test_gone_stops_scheduling(conn, settings, refresher, feed_server, user_id):
    url = feed_server.route("/gone", b"", status=410)
    feed_id, token = queue_feed(conn, settings, user_id, url)

    refresher.refresh(feed_id, token)

    row = schedule_row(conn, feed_id)
    assert row["state"] == "cancelled"
    assert row["reason"] == "gone"


def test_stale_message_is_dropped(conn, settings, refresher, feed_server, user_id):
    url = feed_server.route("/news.xml", b"")
    feed_id, token = queue_feed(conn, settings, user_id, url)
    scheduler.cancel(conn, feed_id)

    assert refresher.refresh(feed_id, token) == "stale"
    assert feed_server.requests_for("/news.xml") == []


def test_far_domain_slot_defers(conn, settings, pool, feed_server, user_id):
    slow = settings.model_copy(
        update={"domain_interval_seconds": 60.0, "domain_max_wait_seconds": 0.5}
    )
    body = (CASES / "01-no-guid-stable-links.xml").read_bytes()
    first, first_token = queue_feed(
        conn, settings, user_id, feed_server.route("/a.xml", body)
    )
    second, second_token = queue_feed(
        conn, settings, user_id, feed_server.route("/b.xml", body)
    )

    with Fetcher(slow) as fetcher:
        refresher = Refresher(slow, pool, fetcher)
        assert refresher.refresh(first, first_token) == "success"
        assert refresher.refresh(second, second_token) == "deferred"

    row = schedule_row(conn, second)
    assert row["state"] == "scheduled"
    assert row["reason"] == "domain_wait"
    assert row["next_run_at"] > datetime.now(UTC) + timedelta(seconds=50)
    assert feed_server.requests_for("/b.xml") == []


def test_private_address_blocked_by_default(conn, settings, pool, feed_server, user_id):
    strict = settings.model_copy(update={"allow_private_addresses": False})
    url = feed_server.route("/news.xml", b"")
    feed_id, token = queue_feed(conn, settings, user_id, url)

    with Fetcher(strict) as fetcher:
        outcome = Refresher(strict, pool, fetcher).refresh(feed_id, token)

    assert outcome == "failed"
    assert feed_row(conn, feed_id)["last_error_code"] == "blocked_address"
    assert feed_server.requests_for("/news.xml") == []
