"""Redirects: permanent URLs, limits, loops and schemes of every hop."""

import pytest

from feeds.errors import FetchError
from feeds.fetch import Fetcher, Validators

FEED = b"<rss/>"


def redirect(server, path: str, status: int, location: str) -> str:
    return server.route(path, status=status, headers={"Location": location})


def fetch_error(fetcher, url) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetcher.fetch(url)
    return caught.value


def test_permanent_chain_sets_url(server, fetcher):
    final = server.route("/feed", FEED)
    redirect(server, "/b", 301, "/feed")
    start = redirect(server, "/a", 301, "/b")

    result = fetcher.fetch(start)

    assert result.body == FEED
    assert result.requested_url == start
    assert result.url == final
    assert result.permanent_url == final


def test_temporary_hop_clears_permanent_url(server, fetcher):
    final = server.route("/feed", FEED)
    redirect(server, "/b", 301, "/feed")
    start = redirect(server, "/a", 302, "/b")

    result = fetcher.fetch(start)

    assert result.url == final
    assert result.permanent_url is None


def test_temporary_hop_after_permanent(server, fetcher):
    server.route("/feed", FEED)
    redirect(server, "/b", 307, "/feed")
    start = redirect(server, "/a", 301, "/b")

    assert fetcher.fetch(start).permanent_url is None


@pytest.mark.parametrize(
    ("status", "permanent"),
    [(301, True), (302, False), (303, False), (307, False), (308, True)],
)
def test_single_redirect(server, fetcher, status, permanent):
    final = server.route("/feed", FEED)
    start = redirect(server, "/old", status, final)

    result = fetcher.fetch(start)

    assert result.body == FEED
    assert result.url == final
    assert result.permanent_url == (final if permanent else None)
    assert len(server.requests_for("/feed")) == 1


def test_no_redirect_no_permanent_url(server, fetcher):
    assert fetcher.fetch(server.route("/feed", FEED)).permanent_url is None


def test_redirect_to_not_modified(server, fetcher):
    server.route("/feed", status=304)
    start = redirect(server, "/old", 308, "/feed")

    result = fetcher.fetch(start)

    assert result.not_modified is True
    assert result.permanent_url == server.url("/feed")


def test_max_redirects_followed(server, fetcher):
    server.route("/hop5", FEED)
    for hop in range(5):
        redirect(server, f"/hop{hop}", 302, f"/hop{hop + 1}")

    result = fetcher.fetch(server.url("/hop0"))

    assert result.body == FEED


def test_too_many_redirects(server, fetcher):
    server.route("/hop6", FEED)
    for hop in range(6):
        redirect(server, f"/hop{hop}", 302, f"/hop{hop + 1}")

    error = fetch_error(fetcher, server.url("/hop0"))

    assert error.code == "redirects"
    assert error.retryable is False
    assert "limit of 5" in error.message
    assert server.requests_for("/hop6") == []


def test_redirect_limit_from_settings(server, settings):
    server.route("/feed", FEED)
    start = redirect(server, "/old", 301, "/feed")

    with Fetcher(settings.model_copy(update={"max_redirects": 0})) as fetcher:
        error = fetch_error(fetcher, start)

    assert error.code == "redirects"


def test_redirect_loop(server, fetcher):
    redirect(server, "/a", 302, "/b")
    redirect(server, "/b", 302, "/a")

    error = fetch_error(fetcher, server.url("/a"))

    assert error.code == "redirects"
    assert "loop" in error.message
    assert len(server.requests_for("/a")) == 1


def test_redirect_to_itself(server, fetcher):
    start = redirect(server, "/self", 301, "/self#again")

    assert fetch_error(fetcher, start).code == "redirects"


def test_redirect_without_location(server, fetcher):
    start = server.route("/old", status=302)

    error = fetch_error(fetcher, start)

    assert error.code == "redirects"
    assert "Location" in error.message


@pytest.mark.parametrize(
    "location",
    [
        "file:///etc/passwd",
        "ftp://127.0.0.1/feed.xml",
        "gopher://127.0.0.1:70/_GET",
        "javascript:alert(1)",
        "data:text/xml,<rss/>",
    ],
)
def test_redirect_to_other_scheme(server, fetcher, location):
    start = redirect(server, "/old", 302, location)

    error = fetch_error(fetcher, start)

    assert error.code == "invalid_url"
    assert error.url == start


def test_relative_location_resolved(server, fetcher):
    final = server.route("/feeds/main.xml", FEED)
    start = redirect(server, "/blog/feed", 302, "../feeds/main.xml")

    assert fetcher.fetch(start).url == final


def test_validators_sent_on_every_hop(server, fetcher):
    server.route("/feed", status=304)
    start = redirect(server, "/old", 301, "/feed")

    fetcher.fetch(start, Validators(etag='"v1"'))

    assert server.requests_for("/old")[0].headers["If-None-Match"] == '"v1"'
    assert server.requests_for("/feed")[0].headers["If-None-Match"] == '"v1"'
