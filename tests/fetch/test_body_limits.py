"""Content decoding, the size limit, lying Content-Length and the deadline."""

import gzip
import threading
import time
import tracemalloc
import zlib

import brotli
import pytest

from feeds.errors import FetchError
from feeds.fetch import Fetcher
from feeds.fetch.decoding import CHUNK_SIZE, make_decoder
from tests.feedserver import Response

FEED = b"<rss><channel>" + b"<item>entry</item>" * 2000 + b"</channel></rss>"
LIMIT = 1024 * 1024


def deflate_raw(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def gzip_bomb(decoded_bytes: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    parts = [compressor.compress(block) for _ in range(decoded_bytes // len(block))]
    return b"".join(parts) + compressor.flush()


def fetch_error(fetcher, url) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetcher.fetch(url)
    return caught.value


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", deflate_raw),
        ("br", brotli.compress),
        ("identity", lambda data: data),
        ("gzip, br", lambda data: brotli.compress(gzip.compress(data))),
    ],
)
def test_body_decoded(server, fetcher, encoding, encode):
    encoded = encode(FEED)
    url = server.route("/feed", encoded, headers={"Content-Encoding": encoding})

    result = fetcher.fetch(url)

    assert result.body == FEED
    assert result.bytes_received == len(encoded)


def test_unknown_encoding_left_as_is(server, fetcher):
    url = server.route("/feed", FEED, headers={"Content-Encoding": "utf-8"})

    assert fetcher.fetch(url).body == FEED


def test_corrupt_gzip_rejected(server, fetcher):
    url = server.route(
        "/feed", b"not gzip at all", headers={"Content-Encoding": "gzip"}
    )

    error = fetch_error(fetcher, url)

    assert error.code == "connect"
    assert error.retryable is False
    assert "gzip" in error.message


def test_body_at_limit_accepted(server, fetcher):
    url = server.route("/feed", b"x" * LIMIT)

    assert len(fetcher.fetch(url).body) == LIMIT


def test_content_length_over_limit_early(server, fetcher):
    # The body is one byte and the connection stays open, so a fetcher that
    # read the body would wait for the read timeout instead.
    url = server.route("/feed", b"x", headers={"Content-Length": str(LIMIT + 1)})
    started = time.monotonic()

    error = fetch_error(fetcher, url)

    assert error.code == "too_large"
    assert time.monotonic() - started < 1.5


def test_streamed_body_over_limit(server, fetcher):
    chunks = [b"x" * 65536 for _ in range(LIMIT // 65536 + 2)]
    url = server.route("/feed", lambda request: Response(200, iter(chunks)))

    error = fetch_error(fetcher, url)

    assert error.code == "too_large"
    assert error.retryable is False


def test_chunked_body_over_limit(server, fetcher):
    chunk = b"x" * 65536
    framed = [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * (LIMIT // len(chunk) + 2)
    url = server.route(
        "/feed",
        lambda request: Response(
            200, iter(framed + [b"0\r\n\r\n"]), {"Transfer-Encoding": "chunked"}
        ),
    )

    assert fetch_error(fetcher, url).code == "too_large"


def test_chunked_body_read(server, fetcher):
    framed = [b"%x\r\n%s\r\n" % (len(part), part) for part in (FEED[:100], FEED[100:])]
    url = server.route(
        "/feed",
        lambda request: Response(
            200, iter(framed + [b"0\r\n\r\n"]), {"Transfer-Encoding": "chunked"}
        ),
    )

    assert fetcher.fetch(url).body == FEED


def brotli_bomb(decoded_bytes: int) -> bytes:
    return brotli.compress(bytes(decoded_bytes), quality=5)


@pytest.mark.parametrize(
    ("encoding", "make_bomb"), [("gzip", gzip_bomb), ("br", brotli_bomb)]
)
def test_compression_bomb_stopped(server, fetcher, encoding, make_bomb):
    bomb = make_bomb(64 * 1024 * 1024)
    url = server.route("/bomb", bomb, headers={"Content-Encoding": encoding})

    tracemalloc.start()
    try:
        error = fetch_error(fetcher, url)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert error.code == "too_large"
    assert peak < 8 * LIMIT


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_decoder_output_bounded(encoding):
    decoded = bytes(16 * 1024 * 1024)
    encoded = (
        gzip.compress(decoded) if encoding == "gzip" else brotli_bomb(len(decoded))
    )
    decoder = make_decoder(encoding)

    sizes = [len(piece) for piece in decoder.decode(encoded)]
    sizes += [len(piece) for piece in decoder.flush()]

    assert max(sizes) <= 2 * CHUNK_SIZE
    assert sum(sizes) == len(decoded)


def test_shorter_body_then_close(server, fetcher):
    url = server.route(
        "/feed", b"<rss>", headers={"Content-Length": "500", "Connection": "close"}
    )

    error = fetch_error(fetcher, url)

    assert error.code == "connect"
    assert error.retryable is True


def test_shorter_body_connection_kept_open(server, settings):
    quick = settings.model_copy(update={"read_timeout_seconds": 0.5})
    url = server.route("/feed", b"<rss>", headers={"Content-Length": "500"})

    with Fetcher(quick) as fetcher:
        error = fetch_error(fetcher, url)

    assert error.code == "timeout"
    assert error.retryable is True


def test_longer_body_cut_at_content_length(server, fetcher):
    url = server.route("/feed", b"<rss/>trailing junk", headers={"Content-Length": "6"})

    result = fetcher.fetch(url)
    again = fetcher.fetch(url)

    assert result.body == b"<rss/>"
    assert again.body == b"<rss/>"


def trickle(stop: threading.Event):
    yield b"<rss>"
    while not stop.wait(0.2):
        yield b" "


def test_trickling_body_times_out(server, settings):
    stop = threading.Event()
    url = server.route("/slow", lambda request: Response(200, trickle(stop)))
    short = settings.model_copy(
        update={"total_timeout_seconds": 1.5, "read_timeout_seconds": 1.0}
    )

    try:
        with Fetcher(short) as fetcher:
            error = fetch_error(fetcher, url)
    finally:
        stop.set()

    assert error.code == "timeout"
    assert error.retryable is True
    assert "total time limit" in error.message


def test_silent_server_stopped_by_deadline(server, settings):
    stop = threading.Event()

    def silent(request):
        stop.wait(10)
        return Response(200, b"<rss/>")

    url = server.route("/silent", silent)
    short = settings.model_copy(
        update={"total_timeout_seconds": 1.0, "read_timeout_seconds": 30.0}
    )

    try:
        with Fetcher(short) as fetcher:
            error = fetch_error(fetcher, url)
    finally:
        stop.set()

    assert error.code == "timeout"
    assert "total time limit" in error.message
