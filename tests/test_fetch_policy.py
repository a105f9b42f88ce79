"""HTTP behaviour of refreshes: validators, Retry-After, redirects, discovery."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from feeds import runs
from tests.conftest import SHARED_FEEDS
from tests.feedserver import Response
from tests.scheduling import (
    articles_of,
    feed_row,
    queue_feed,
    requeue,
    runs_of,
    schedule_row,
)

CASES = SHARED_FEEDS / "cases"
NEWS = (CASES / "01-no-guid-stable-links.xml").read_bytes()
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
LAST_MODIFIED = "Tue, 02 Jan 2024 03:04:05 GMT"


def refresh_again(conn, settings, refresher, feed_id) -> str:
    return refresher.refresh(feed_id, requeue(conn, settings, feed_id))


def test_changed_etag_is_stored_and_sent(
    conn, settings, refresher, feed_server, user_id
):
    answers = [
        Response(
            200, NEWS, {**RSS, "ETag": '"v1-3f2a"', "Last-Modified": LAST_MODIFIED}
        ),
        Response(
            200, NEWS, {**RSS, "ETag": '"v2-9b7c"', "Last-Modified": LAST_MODIFIED}
        ),
        Response(304, b"", {"ETag": '"v2-9b7c"'}),
        Response(304, b"", {"ETag": '"v2-9b7c"'}),
    ]
    url = feed_server.route("/etag.xml", lambda request: answers.pop(0))
    feed_id, token = queue_feed(conn, settings, user_id, url)

    refresher.refresh(feed_id, token)
    for _ in range(3):
        assert refresh_again(conn, settings, refresher, feed_id) == "success"

    sent = [r.headers.get("If-None-Match") for r in feed_server.requests]
    assert sent == [None, '"v1-3f2a"', '"v2-9b7c"', '"v2-9b7c"']
    assert feed_server.requests[1].headers["If-Modified-Since"] == LAST_MODIFIED
    assert len(articles_of(conn, feed_id)) == 3
    assert feed_row(conn, feed_id)["etag"] == '"v2-9b7c"'
    assert feed_row(conn, feed_id)["last_modified"] == LAST_MODIFIED


def test_not_modified_is_a_success_that_stores_nothing(
    conn, settings, refresher, feed_server, user_id
):
    answers = [Response(200, NEWS, {**RSS, "ETag": '"a"'}), Response(304, b"")]
    url = feed_server.route("/nm.xml", lambda request: answers.pop(0))
    feed_id, token = queue_feed(conn, settings, user_id, url)
    refresher.refresh(feed_id, token)

    assert refresh_again(conn, settings, refresher, feed_id) == "success"

    last = runs_of(conn, feed_id)[-1]
    assert last["status"] == "success"
    assert last["not_modified"] is True
    assert last["http_status"] == 304
    assert last["articles_added"] == 0
    assert feed_row(conn, feed_id)["etag"] == '"a"'


def test_identical_body_skips_parsing(conn, settings, refresher, feed_server, user_id):
    url = feed_server.route("/same.xml", NEWS)
    feed_id, token = queue_feed(conn, settings, user_id, url)
    refresher.refresh(feed_id, token)

    refresh_again(conn, settings, refresher, feed_id)

    last = runs_of(conn, feed_id)[-1]
    assert last["http_status"] == 200
    assert last["not_modified"] is True


def test_retry_after_seconds_delays_feed_and_domain(
    conn, settings, refresher, feed_server, user_id
):
    limited = feed_server.route(
        "/limited.xml", b"slow down", status=429, headers={"Retry-After": "7200"}
    )
    neighbour = feed_server.route("/neighbour.xml", NEWS)
    feed_id, token = queue_feed(conn, settings, user_id, limited)
    other_id, other_token = queue_feed(conn, settings, user_id, neighbour)

    assert refresher.refresh(feed_id, token) == "failed"
    assert refresher.refresh(other_id, other_token) == "deferred"

    row = schedule_row(conn, feed_id)
    assert row["state"] == "scheduled", "a rate-limited feed must stay active"
    assert row["reason"] == "retry_after"
    assert row["next_run_at"] >= datetime.now(UTC) + timedelta(seconds=7190)
    assert schedule_row(conn, other_id)["next_run_at"] >= row[
        "next_run_at"
    ] - timedelta(seconds=5)
    assert feed_server.requests_for("/neighbour.xml") == []
    assert articles_of(conn, feed_id) == []


def test_retry_after_http_date(conn, settings, refresher, feed_server, user_id):
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=3)
    url = feed_server.route(
        "/date.xml",
        b"",
        status=503,
        headers={"Retry-After": format_datetime(until, usegmt=True)},
    )
    feed_id, token = queue_feed(conn, settings, user_id, url)

    refresher.refresh(feed_id, token, final_attempt=False)

    row = schedule_row(conn, feed_id)
    assert row["reason"] == "retry_after"
    assert row["next_run_at"] >= until - timedelta(seconds=2)


def test_retry_after_is_capped_at_seven_days(
    conn, settings, refresher, feed_server, user_id
):
    url = feed_server.route(
        "/far.xml", b"", status=429, headers={"Retry-After": str(90 * 86400)}
    )
    feed_id, token = queue_feed(conn, settings, user_id, url)

    refresher.refresh(feed_id, token)

    next_run = schedule_row(conn, feed_id)["next_run_at"]
    assert next_run <= datetime.now(UTC) + timedelta(days=7, minutes=1)


def test_permanent_redirect_updates_url(
    conn, settings, refresher, feed_server, user_id
):
    new_url = feed_server.route("/new.xml", NEWS)
    old = feed_server.route("/old.xml", b"", status=301, headers={"Location": new_url})
    feed_id, token = queue_feed(conn, settings, user_id, old)

    assert refresher.refresh(feed_id, token) == "success"

    assert feed_row(conn, feed_id)["url"] == new_url
    assert len(articles_of(conn, feed_id)) == 3


def test_temporary_hop_keeps_url(conn, settings, refresher, feed_server, user_id):
    final = feed_server.route("/c", NEWS)
    feed_server.route("/b", b"", status=301, headers={"Location": final})
    start = feed_server.route("/a", b"", status=302, headers={"Location": "/b"})
    feed_id, token = queue_feed(conn, settings, user_id, start)

    assert refresher.refresh(feed_id, token) == "success"

    assert feed_row(conn, feed_id)["url"] == start
    assert len(articles_of(conn, feed_id)) == 3


def test_redirect_loop_fails_with_code(conn, settings, refresher, feed_server, user_id):
    feed_server.route("/rss/", b"", status=307, headers={"Location": "/rss"})
    url = feed_server.route("/rss", b"", status=301, headers={"Location": "/rss/"})
    feed_id, token = queue_feed(conn, settings, user_id, url)

    assert refresher.refresh(feed_id, token) == "failed"

    feed = feed_row(conn, feed_id)
    assert feed["last_error_code"] == "redirects"
    assert feed["last_fetch_error"].startswith("redirects: ")
    assert len(feed_server.requests) <= 6


def test_page_links_feed_discovery(conn, settings, refresher, feed_server, user_id):
    feed_url = feed_server.route("/feed.xml", NEWS)
    page = (
        b"<!doctype html><html><head><title>Blog</title>"
        b'<link rel="alternate" type="application/rss+xml" href="/feed.xml">'
        b"</head><body><p>Hello</p></body></html>"
    )
    url = feed_server.route("/blog/", page, content_type="text/html; charset=utf-8")
    feed_id, token = queue_feed(conn, settings, user_id, url)

    assert refresher.refresh(feed_id, token) == "success"

    assert feed_row(conn, feed_id)["url"] == feed_url
    assert len(articles_of(conn, feed_id)) == 3


def test_html_page_without_feed_is_not_a_feed(
    conn, settings, refresher, feed_server, user_id
):
    page = b"<!doctype html><html><head><title>Hi</title></head><body></body></html>"
    url = feed_server.route("/page", page, content_type="text/html")
    feed_id, token = queue_feed(conn, settings, user_id, url)

    assert refresher.refresh(feed_id, token) == "failed"
    assert feed_row(conn, feed_id)["last_error_code"] == "not_a_feed"


def test_challenge_page_is_blocked_and_keeps_articles(
    conn, settings, refresher, feed_server, user_id
):
    challenge = (
        b"<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
        b"<body><div id='cf-chl-widget'>Checking your browser</div></body></html>"
    )
    answers = [
        Response(200, NEWS, RSS),
        Response(200, challenge, {"Content-Type": "text/html"}),
    ]
    url = feed_server.route("/guarded.xml", lambda request: answers.pop(0))
    feed_id, token = queue_feed(conn, settings, user_id, url)
    refresher.refresh(feed_id, token)

    assert refresh_again(conn, settings, refresher, feed_id) == "failed"

    assert feed_row(conn, feed_id)["last_error_code"] == "blocked"
    assert len(articles_of(conn, feed_id)) == 3


def test_feed_ttl_widens_interval(conn, settings, refresher, feed_server, user_id):
    body = NEWS.replace(b"<channel>", b"<channel><ttl>180</ttl>", 1)
    url = feed_server.route("/ttl.xml", body)
    feed_id, token = queue_feed(conn, settings, user_id, url)

    refresher.refresh(feed_id, token)

    row = schedule_row(conn, feed_id)
    assert row["reason"] == "feed_hint"
    wait = row["next_run_at"] - feed_row(conn, feed_id)["last_fetched"]
    assert timedelta(minutes=179) < wait < timedelta(minutes=181)


def test_runs_are_pruned_after_retention(
    conn, settings, refresher, feed_server, user_id
):
    url = feed_server.route("/news.xml", NEWS)
    feed_id, token = queue_feed(conn, settings, user_id, url)
    refresher.refresh(feed_id, token)
    conn.execute(
        "UPDATE feed_runs SET started_at = now() - interval '31 days' "
        "WHERE feed_id = %(id)s",
        {"id": feed_id},
    )
    refresh_again(conn, settings, refresher, feed_id)

    assert runs.prune(conn, keep_days=settings.run_history_days) == 1
    assert len(runs_of(conn, feed_id)) == 1


def test_short_retry_after_keeps_longer_interval(
    conn, settings, refresher, feed_server, user_id
):
    url = feed_server.route(
        "/short.xml", b"", status=429, headers={"Retry-After": "120"}
    )
    feed_id, token = queue_feed(conn, settings, user_id, url)

    refresher.refresh(feed_id, token)

    row = schedule_row(conn, feed_id)
    assert row["reason"] == "interval"
    assert row["next_run_at"] >= datetime.now(UTC) + timedelta(minutes=59)
