"""URL validation, connection and TLS failures, messages and thread safety."""

import socket
from concurrent.futures import ThreadPoolExecutor

import pytest

from feeds.errors import FetchError
from feeds.fetch import Fetcher
from tests.feedserver import Response


def fetch_error(fetcher, url) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetcher.fetch(url)
    return caught.value


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://127.0.0.1/feed.xml",
        "gopher://127.0.0.1:70/_GET",
        "dict://127.0.0.1:11211/stats",
        "feed://example.com/rss",
        "//127.0.0.1/feed",
        "/feed.xml",
        "example.com/feed",
        "http://",
        "http://[::1/feed",
        "http://127.0.0.1:99999/feed",
        "",
    ],
)
def test_invalid_url_rejected(fetcher, url):
    error = fetch_error(fetcher, url)

    assert error.code == "invalid_url"
    assert error.retryable is False


def test_connection_refused(fetcher):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    error = fetch_error(fetcher, f"http://127.0.0.1:{port}/feed")

    assert error.code == "connect"
    assert error.retryable is True
    assert "127.0.0.1" in error.message


def test_tls_handshake_failure(server, fetcher):
    server.route("/feed", b"<rss/>")

    error = fetch_error(fetcher, f"https://127.0.0.1:{server.port}/feed")

    assert error.code == "tls"
    assert error.retryable is False


def test_message_length_bounded(server, fetcher):
    long_path = "/" + "a" * 3000
    server.route(long_path, status=404)

    error = fetch_error(fetcher, server.url(long_path))

    assert len(error.message) <= 500
    assert error.url == server.url(long_path)


def test_concurrent_fetches_share_fetcher(server, fetcher):
    def handler(request):
        return Response(200, request.path.encode())

    for index in range(32):
        server.route(f"/feed/{index}", handler)

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(
            pool.map(lambda i: fetcher.fetch(server.url(f"/feed/{i}")), range(32))
        )

    assert [result.body for result in results] == [
        f"/feed/{index}".encode() for index in range(32)
    ]


def test_fetcher_usable_after_errors(server, fetcher):
    server.route("/feed", b"<rss/>")
    server.route("/broken", status=500)

    fetch_error(fetcher, server.url("/broken"))

    assert fetcher.fetch(server.url("/feed")).body == b"<rss/>"


def test_closed_fetcher_rejects_fetch(server, settings):
    url = server.route("/feed", b"<rss/>")
    fetcher = Fetcher(settings)
    fetcher.close()

    with pytest.raises(RuntimeError):
        fetcher.fetch(url)
