"""Error statuses, Retry-After and challenge pages."""

import gzip
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from feeds.errors import FetchError
from tests.feedserver import Response

CHALLENGE = (
    b"<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
    b"<body><script src='/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1'>"
    b"</script></body></html>"
)
LOGIN = (
    b"<html><head><title>Sign in</title></head><body>"
    b"<form method=post action=/login><input name=user>"
    b"<input type=password name=pass></form></body></html>"
)


def fetch_error(fetcher, url) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetcher.fetch(url)
    return caught.value


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_seconds(server, fetcher, status):
    url = server.route("/feed", status=status, headers={"Retry-After": "120"})

    error = fetch_error(fetcher, url)

    assert error.code == "http_status"
    assert error.status == status
    assert error.retry_after_seconds == 120
    assert error.retryable is False


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_http_date(server, fetcher, status):
    when = datetime.now(UTC) + timedelta(hours=1)
    url = server.route(
        "/feed", status=status, headers={"Retry-After": format_datetime(when, True)}
    )

    error = fetch_error(fetcher, url)

    assert error.status == status
    assert 3590 <= error.retry_after_seconds <= 3600
    assert error.retryable is False


@pytest.mark.parametrize(
    "value",
    ["99999999", format_datetime(datetime.now(UTC) + timedelta(days=30), True)],
    ids=["seconds", "date"],
)
def test_retry_after_capped_at_seven_days(server, fetcher, value):
    url = server.route("/feed", status=429, headers={"Retry-After": value})

    assert fetch_error(fetcher, url).retry_after_seconds == 7 * 24 * 3600


def test_retry_after_past_date_is_zero(server, fetcher):
    url = server.route(
        "/feed", status=503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}
    )

    assert fetch_error(fetcher, url).retry_after_seconds == 0


def test_retry_after_invalid_ignored(server, fetcher):
    url = server.route("/feed", status=503, headers={"Retry-After": "soon"})

    error = fetch_error(fetcher, url)

    assert error.retry_after_seconds is None
    assert error.retryable is True


def test_503_without_retry_after(server, fetcher):
    error = fetch_error(fetcher, server.route("/feed", status=503))

    assert error.code == "http_status"
    assert error.retry_after_seconds is None
    assert error.retryable is True


def test_429_without_retry_after(server, fetcher):
    error = fetch_error(fetcher, server.route("/feed", status=429))

    assert error.status == 429
    assert error.retryable is False


def test_gone(server, fetcher):
    url = server.route("/feed", b"gone", status=410)

    error = fetch_error(fetcher, url)

    assert error.code == "http_status"
    assert error.status == 410
    assert error.retryable is False
    assert url in error.message


@pytest.mark.parametrize("status", [400, 401, 403, 404, 451])
def test_client_error_not_retryable(server, fetcher, status):
    error = fetch_error(fetcher, server.route("/feed", b"nope", status=status))

    assert error.code == "http_status"
    assert error.status == status
    assert error.retryable is False


@pytest.mark.parametrize("status", [500, 502, 504])
def test_server_error_retryable(server, fetcher, status):
    error = fetch_error(fetcher, server.route("/feed", b"oops", status=status))

    assert error.code == "http_status"
    assert error.status == status
    assert error.retryable is True


def test_unknown_status_message(server, fetcher):
    error = fetch_error(fetcher, server.route("/feed", status=599))

    assert "HTTP 599." in error.message


def test_other_redirect_status_is_error(server, fetcher):
    error = fetch_error(fetcher, server.route("/feed", status=300))

    assert error.code == "http_status"
    assert error.status == 300


@pytest.mark.parametrize("status", [403, 503])
@pytest.mark.parametrize("page", [CHALLENGE, LOGIN], ids=["challenge", "login"])
def test_challenge_page_blocked(server, fetcher, status, page):
    url = server.route("/feed", page, status=status, content_type="text/html")

    error = fetch_error(fetcher, url)

    assert error.code == "blocked"
    assert error.status == status
    assert error.retryable is False


def test_access_denied_page_blocked(server, fetcher):
    page = b"<html><body><h1>Access Denied</h1></body></html>"
    url = server.route("/feed", page, status=403, content_type="text/html")

    assert fetch_error(fetcher, url).code == "blocked"


def test_gzipped_challenge_page_blocked(server, fetcher):
    url = server.route(
        "/feed",
        gzip.compress(CHALLENGE),
        status=503,
        headers={"Content-Encoding": "gzip"},
        content_type="text/html; charset=utf-8",
    )

    assert fetch_error(fetcher, url).code == "blocked"


def test_plain_forbidden_not_blocked(server, fetcher):
    url = server.route("/feed", b"Forbidden", status=403, content_type="text/plain")

    assert fetch_error(fetcher, url).code == "http_status"


def test_error_body_not_read_in_full(server, fetcher):
    def endless(request):
        return Response(500, iter([b"x" * 65536] * 100_000), {})

    url = server.route("/feed", endless)
    started = time.monotonic()

    error = fetch_error(fetcher, url)

    assert error.status == 500
    assert time.monotonic() - started < 2


def test_endless_challenge_body_read_partly(server, fetcher):
    def endless(request):
        chunks = iter([CHALLENGE] + [b"<p>padding</p>" * 4096] * 100_000)
        return Response(503, chunks, {"Content-Type": "text/html"})

    url = server.route("/feed", endless)

    assert fetch_error(fetcher, url).code == "blocked"
