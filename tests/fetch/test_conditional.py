"""Request headers, conditional requests and unchanged bodies."""

import hashlib
from datetime import UTC, datetime

from feeds import USER_AGENT
from feeds.fetch import Validators
from tests.feedserver import Response

FEED = b"<rss><channel><title>t</title></channel></rss>"
LAST_MODIFIED = "Wed, 21 Oct 2026 07:28:00 GMT"


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def test_default_headers_sent(server, fetcher):
    url = server.route("/feed", FEED)

    fetcher.fetch(url)

    headers = server.requests_for("/feed")[0].headers
    assert headers["User-Agent"] == USER_AGENT
    assert headers["Accept"].startswith("application/rss+xml")
    assert headers["Accept-Encoding"] == "gzip, deflate, br"
    assert "If-None-Match" not in headers
    assert "If-Modified-Since" not in headers


def test_validators_sent_exactly(server, fetcher):
    url = server.route("/feed", FEED)
    validators = Validators(etag='W/"abc-123"', last_modified=LAST_MODIFIED)

    fetcher.fetch(url, validators)

    headers = server.requests_for("/feed")[0].headers
    assert headers["If-None-Match"] == 'W/"abc-123"'
    assert headers["If-Modified-Since"] == LAST_MODIFIED


def test_new_body_result(server, fetcher):
    url = server.route(
        "/feed", FEED, headers={"ETag": '"v1"', "Last-Modified": LAST_MODIFIED}
    )

    result = fetcher.fetch(url)

    assert result.status == 200
    assert result.not_modified is False
    assert result.body == FEED
    assert result.body_sha256 == sha256(FEED)
    assert result.etag == '"v1"'
    assert result.last_modified == LAST_MODIFIED
    assert result.content_type == "application/rss+xml; charset=utf-8"
    assert result.requested_url == url
    assert result.url == url
    assert result.bytes_received == len(FEED)


def test_result_timing_fields(server, fetcher):
    url = server.route("/feed", FEED)
    before = datetime.now(UTC)

    result = fetcher.fetch(url)

    assert result.started_at.tzinfo is not None
    assert before <= result.started_at <= datetime.now(UTC)
    assert 0 < result.elapsed_seconds < 5


def test_not_modified_keeps_validators(server, fetcher):
    url = server.route("/feed", status=304)
    validators = Validators(
        etag='"v1"', last_modified=LAST_MODIFIED, body_sha256=sha256(FEED)
    )

    result = fetcher.fetch(url, validators)

    assert result.status == 304
    assert result.not_modified is True
    assert result.body is None
    assert result.etag == '"v1"'
    assert result.last_modified == LAST_MODIFIED
    assert result.body_sha256 == sha256(FEED)
    assert result.bytes_received == 0


def test_not_modified_with_new_validators(server, fetcher):
    new_date = "Thu, 22 Oct 2026 08:00:00 GMT"
    url = server.route(
        "/feed", status=304, headers={"ETag": '"v2"', "Last-Modified": new_date}
    )

    result = fetcher.fetch(url, Validators(etag='"v1"', last_modified=LAST_MODIFIED))

    assert result.not_modified is True
    assert result.etag == '"v2"'
    assert result.last_modified == new_date


def test_conditional_round_trip(server, fetcher):
    def handler(request):
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(304, b"", {"ETag": '"v1"'})
        return Response(200, FEED, {"ETag": '"v1"'})

    url = server.route("/feed", handler)

    first = fetcher.fetch(url)
    second = fetcher.fetch(
        url, Validators(etag=first.etag, body_sha256=first.body_sha256)
    )

    assert first.status == 200
    assert second.status == 304
    assert second.not_modified is True


def test_same_body_not_modified(server, fetcher):
    url = server.route("/feed", FEED, headers={"ETag": '"v1"'})

    result = fetcher.fetch(url, Validators(body_sha256=sha256(FEED)))

    assert result.status == 200
    assert result.not_modified is True
    assert result.body is None
    assert result.body_sha256 == sha256(FEED)
    assert result.etag == '"v1"'


def test_changed_body_returned(server, fetcher):
    url = server.route("/feed", FEED)

    result = fetcher.fetch(url, Validators(body_sha256=sha256(b"older body")))

    assert result.not_modified is False
    assert result.body == FEED


def test_changed_etag_same_last_modified(server, fetcher):
    url = server.route(
        "/feed", FEED, headers={"ETag": '"v2"', "Last-Modified": LAST_MODIFIED}
    )
    validators = Validators(
        etag='"v1"', last_modified=LAST_MODIFIED, body_sha256=sha256(b"old")
    )

    result = fetcher.fetch(url, validators)

    assert result.etag == '"v2"'
    assert result.last_modified == LAST_MODIFIED
    assert result.body == FEED


def test_changed_etag_same_body(server, fetcher):
    url = server.route(
        "/feed", FEED, headers={"ETag": '"v2"', "Last-Modified": LAST_MODIFIED}
    )
    validators = Validators(
        etag='"v1"', last_modified=LAST_MODIFIED, body_sha256=sha256(FEED)
    )

    result = fetcher.fetch(url, validators)

    assert result.not_modified is True
    assert result.etag == '"v2"'


def test_missing_etag_not_carried_over(server, fetcher):
    url = server.route("/feed", FEED)

    result = fetcher.fetch(url, Validators(etag='"v1"', last_modified=LAST_MODIFIED))

    assert result.etag is None
    assert result.last_modified is None


def test_cache_headers_parsed(server, fetcher):
    url = server.route(
        "/feed",
        FEED,
        headers={
            "Cache-Control": "public, max-age=1800",
            "Expires": "Wed, 21 Oct 2026 09:00:00 GMT",
        },
    )

    result = fetcher.fetch(url)

    assert result.max_age_seconds == 1800
    assert result.expires == datetime(2026, 10, 21, 9, 0, tzinfo=UTC)


def test_cookies_kept_within_one_fetch(server, fetcher):
    def feed(request):
        if "session=1" in request.headers.get("Cookie", ""):
            return Response(200, FEED)
        return Response(403, b"no session")

    server.route("/feed", feed)
    start = server.route(
        "/start", status=302, headers={"Set-Cookie": "session=1", "Location": "/feed"}
    )

    first = fetcher.fetch(start)
    second = fetcher.fetch(start)

    assert first.body == FEED
    assert second.body == FEED
    starts = server.requests_for("/start")
    assert "Cookie" not in starts[1].headers


def test_non_ascii_etag_round_trip(server, fetcher):
    url = server.route("/feed", FEED, headers={"ETag": '"caf\u00e9"'})

    first = fetcher.fetch(url)
    fetcher.fetch(url, Validators(etag=first.etag))
    fetcher.fetch(url, Validators(etag='"\u2603"'))

    requests = server.requests_for("/feed")
    assert first.etag == '"caf\u00e9"'
    assert requests[1].headers["If-None-Match"] == '"caf\u00e9"'
    assert len(requests) == 3
