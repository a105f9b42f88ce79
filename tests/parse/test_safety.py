"""The parser never opens URLs or files and keeps work bounded on hostile input.

A real HTTP server on 127.0.0.1 records requests, so a fetch by feedparser or by
the XML parser would show up as a recorded path.
"""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from feeds.errors import ParseError
from feeds.parse import parse_feed

from .support import FETCHED_AT, parse_text, rss


class RecordingServer:
    """Serve a tiny RSS document for every path and remember the paths."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        paths = self.paths

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                paths.append(self.path)
                body = b'<!ENTITY leaked "LEAKED">'
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return

        return Handler


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    recording = RecordingServer()
    recording.thread.start()
    yield recording
    recording.server.shutdown()
    recording.server.server_close()


def test_url_body_not_fetched(server):
    body = f"{server.base_url}/feed.xml".encode()

    with pytest.raises(ParseError):
        parse_feed(body, server.base_url + "/", fetched_at=FETCHED_AT)

    assert server.paths == []


def test_path_body_not_opened(tmp_path):
    secret = tmp_path / "feed.xml"
    secret.write_text(rss("<item><title>SECRET</title></item>"))

    with pytest.raises(ParseError):
        parse_feed(str(secret).encode(), "https://a.example/", fetched_at=FETCHED_AT)


def test_external_entities_are_rejected(server):
    document = rss(
        "<item><title>A &ext; B</title><link>https://a.example/1</link></item>"
    ).replace(
        "<rss",
        f'<!DOCTYPE rss SYSTEM "{server.base_url}/dtd" ['
        f'<!ENTITY ext SYSTEM "{server.base_url}/entity">'
        f'<!ENTITY % param SYSTEM "{server.base_url}/param"> %param;'
        "]>\n<rss",
        1,
    )

    with pytest.raises(ParseError, match="external entity"):
        parse_text(document)

    assert server.paths == [], "the parser must not fetch anything"


def test_local_file_entity_is_rejected(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET")
    document = rss("<item><title>A &xxe; B</title></item>").replace(
        "<rss",
        f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>\n<rss',
        1,
    )

    with pytest.raises(ParseError, match="external entity") as raised:
        parse_text(document)

    assert "SECRET" not in str(raised.value)


def test_nested_entity_expansion_is_rejected():
    declarations = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">' for level in range(1, 10)
    )
    document = rss("<item><title>&lol9;</title></item>").replace(
        "<rss", f"<!DOCTYPE rss [{declarations}]>\n<rss", 1
    )

    with pytest.raises(ParseError, match="expansion bomb"):
        parse_text(document)


def test_plain_entity_declarations_are_expanded():
    document = rss("<item><title>&brand; news</title></item>").replace(
        "<rss", '<!DOCTYPE rss [<!ENTITY brand "Acme &#38; Co">]>\n<rss', 1
    )

    feed = parse_text(document)

    assert feed.entries[0].title == "Acme & Co news"


def test_deeply_nested_elements_do_not_recurse():
    document = rss(
        "<item><title>Deep</title><description>"
        + "&lt;div&gt;" * 20_000
        + "</description>"
        + "<x>" * 20_000
        + "</item>"
    )

    feed = parse_text(document)

    assert feed.entries[0].title == "Deep"


def test_ill_formed_feed_keeps_recovered_entries():
    document = rss(
        "<item><title>One</title><link>https://a.example/1</link></item>"
        "<item><title>Two <b>bold</title><link>https://a.example/2</link></item>"
        "<itunes:author>No namespace</itunes:author>"
    )

    feed = parse_text(document)

    assert [(entry.title, entry.url) for entry in feed.entries] == [
        ("One", "https://a.example/1"),
        ("Two bold", "https://a.example/2"),
    ], "a document that is not well-formed still yields what feedparser recovered"


def test_empty_channel_is_an_empty_feed():
    feed = parse_text(rss("", channel="<title>Nothing yet</title>"))

    assert feed.title == "Nothing yet"
    assert feed.entries == []
    assert feed.format == "rss20"
