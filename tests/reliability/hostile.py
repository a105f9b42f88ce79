"""Hostile feed responses, built in memory or streamed by generators.

Every generator is bounded in count, and the ones that send slowly are also
bounded in time, so a server thread never outlives the test by much.
"""

import struct
import time
import zlib
from collections.abc import Callable, Iterator

from tests.feedserver import Handler, RecordedRequest, Response
from tests.reliability.support import RSS_TYPE

MIB = 1024 * 1024
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'
# Only the XXE targets serve this text, so no stored text may contain it.
PROBE_SECRET = "probe-secret-7f3a"


def rss_item(title: str, link: str, description: str = "") -> str:
    return (
        f"<item><title>{title}</title><link>{link}</link>"
        f"<guid>{link}</guid><description>{description}</description></item>"
    )


def rss_text(body: str, *, doctype: str = "") -> bytes:
    return (
        f'{XML_DECLARATION}{doctype}<rss version="2.0"><channel>'
        f"<title>hostile</title><link>http://127.0.0.1/</link>{body}"
        "</channel></rss>"
    ).encode()


def billion_laughs() -> bytes:
    """Build ten levels of entities of ten copies each, 10^9 "lol" when expanded."""
    declarations = ['<!ENTITY lol0 "lol">']
    for level in range(1, 10):
        value = f"&lol{level - 1};" * 10
        declarations.append(f'<!ENTITY lol{level} "{value}">')
    doctype = "<!DOCTYPE rss [" + "".join(declarations) + "]>"
    item = rss_item("&lol9;", "http://127.0.0.1/laughs/1", "&lol9;")
    return rss_text(item, doctype=doctype)


def external_file_entity() -> bytes:
    doctype = '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    item = rss_item("&xxe;", "http://127.0.0.1/xxe-file/1", "&xxe;")
    return rss_text(item, doctype=doctype)


def external_http_entities(probe_url: str) -> bytes:
    """Reference an external DTD, a parameter and a general entity on ``probe_url``."""
    doctype = (
        f'<!DOCTYPE rss SYSTEM "{probe_url}/dtd" ['
        f'<!ENTITY % remote SYSTEM "{probe_url}/parameter"> %remote; '
        f'<!ENTITY xxe SYSTEM "{probe_url}/entity">]>'
    )
    item = rss_item("&xxe;", "http://127.0.0.1/xxe-http/1", "&xxe;")
    return rss_text(item, doctype=doctype)


def probe_response(request: RecordedRequest) -> Response:
    body = f'<!ENTITY xxe "{PROBE_SECRET}">{PROBE_SECRET}'.encode()
    return Response(200, body, {"Content-Type": "application/xml-dtd"})


def gzip_zeros(total_bytes: int) -> bytes:
    """Gzip ``total_bytes`` zero bytes, compressing one MiB block at a time.

    A full flush after each block resets the compressor's window, so every
    block after the first compresses to the same bytes and is repeated
    instead of compressed again. The gzip header and trailer are written here.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = bytes(MIB)
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    final = compressor.flush(zlib.Z_FINISH)

    blocks = total_bytes // MIB
    crc = 0
    for _ in range(blocks):
        crc = zlib.crc32(block, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    trailer = struct.pack("<II", crc, (blocks * MIB) & 0xFFFFFFFF)
    return header + first + repeated * (blocks - 1) + final + trailer


def gzip_bytes(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def endless_body(max_chunks: int = 200_000) -> Iterator[bytes]:
    """Yield an RSS head, then items in 64 KiB chunks, at most about 13 GB."""
    yield rss_text("")[: -len("</channel></rss>")]
    chunk = rss_item("x", "http://127.0.0.1/endless/x").encode() * 700
    for _ in range(max_chunks):
        yield chunk[: 64 * 1024]


def trickle(max_bytes: int = 60) -> Iterator[bytes]:
    """Yield one byte a second, at most ``max_bytes`` of them."""
    for byte in rss_text("")[:max_bytes]:
        yield bytes([byte])
        time.sleep(1.0)


def streamed(make_chunks: Callable[[], Iterator[bytes]]) -> Handler:
    """Return a handler that streams a new ``make_chunks()`` for each request."""

    def handler(request: RecordedRequest) -> Response:
        return Response(200, make_chunks(), {"Content-Type": RSS_TYPE})

    return handler


def fixed(response: Response) -> Handler:
    """Return a handler that sends ``response`` to every request."""
    return lambda request: response


def short_content_length() -> Response:
    """Return two items with a Content-Length that ends after the first."""
    first = rss_item("kept", "http://127.0.0.1/short/1")
    second = rss_item("beyond the length", "http://127.0.0.1/short/2")
    body = rss_text(first + second)
    declared = body.index(second.encode())
    headers = {"Content-Type": RSS_TYPE, "Content-Length": str(declared)}
    return Response(200, body, headers)


def long_content_length() -> Response:
    """Return a body 1000 bytes short of its Content-Length, then close."""
    body = rss_text(rss_item("cut", "http://127.0.0.1/long/1"))
    headers = {
        "Content-Type": RSS_TYPE,
        "Content-Length": str(len(body) + 1000),
        "Connection": "close",
    }
    return Response(200, body, headers)


def redirect_to(location: str) -> Handler:
    def handler(request: RecordedRequest) -> Response:
        return Response(302, b"", {"Location": location})

    return handler


def deep_nesting(levels: int = 100_000) -> bytes:
    markup = "<div>" * levels + "deep" + "</div>" * levels
    item = rss_item("nested", "http://127.0.0.1/deep/1", markup)
    return rss_text(item)


def invalid_utf8() -> bytes:
    """Build a UTF-8 document with stray, overlong, surrogate, cut and NUL bytes."""
    bad = b"\xff\xfe \xc0\xaf \xed\xa0\x80 \xe2\x82 \x00 \x80"
    return (
        XML_DECLARATION.encode()
        + b'<rss version="2.0"><channel><title>bad '
        + bad
        + b"</title><link>http://127.0.0.1/</link><item><title>caf\xe9 "
        + bad
        + b"</title><link>http://127.0.0.1/utf8/1</link><description>"
        + bad
        + b"</description></item></channel></rss>"
    )


def huge_line(total_bytes: int = 50 * MIB) -> Iterator[bytes]:
    """Stream an item whose description is one ``total_bytes`` line."""
    head = rss_text("")[: -len("</channel></rss>")]
    yield head + b"<item><title>line</title><description>"
    block = b"x" * MIB
    for _ in range(total_bytes // MIB):
        yield block
    yield b"</description></item></channel></rss>"
