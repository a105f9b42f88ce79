"""A feed server for the benchmarks: many loopback ports, one asyncio loop.

Each port counts as its own domain for the service's per-domain throttle.
``/feed/N.xml`` serves an RSS document whose items depend on the mode:

- ``new``: every request moves the feed on by ``--new-items`` items, so each
  body differs from the previous one; the ETag names the version.
- ``etag``: the body stays at its current version and carries an ETag; a
  request whose If-None-Match matches it gets 304.
- ``same``: the body stays at its current version, with no ETag or
  Last-Modified, so only comparing bytes tells it is unchanged.

``/_control/mode/NAME`` switches the mode and ``/_control/stats`` returns the
request counts as JSON. The server prints its ports as one JSON line, then
serves until its standard input closes or ``--max-seconds`` pass.
"""

import argparse
import asyncio
import json
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

MODES = ("new", "etag", "same")
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
PARAGRAPH = (
    "<p>The quick brown fox jumps over the lazy dog near the "
    '<a href="https://example.com/river">river bank</a>, and <em>then</em> '
    "rests in the shade of an old oak tree while the sun goes down.</p>"
)


class FeedState:
    """Versions of every feed, the mode and the request counters."""

    def __init__(self, *, items: int, new_items: int, paragraphs: int) -> None:
        self.mode = "new"
        self.items = items
        self.new_items = new_items
        self.paragraphs = paragraphs
        self.versions: Counter[int] = Counter()
        self.requests: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()

    def respond(self, path: str, if_none_match: str | None) -> tuple[int, dict, bytes]:
        """Return the status, headers and body for one GET request."""
        self.requests[path] += 1
        feed = _feed_number(path)
        if feed is None:
            return 404, {"Content-Type": "text/plain"}, b"not found"

        if self.mode == "new":
            self.versions[feed] += 1
        version = self.versions[feed]
        etag = f'"{feed}-{version}"'
        headers = {"Content-Type": "application/rss+xml; charset=utf-8"}
        if self.mode == "etag" and if_none_match == etag:
            return 304, {"ETag": etag}, b""
        if self.mode != "same":
            headers["ETag"] = etag
        return 200, headers, self.render(feed, version).encode()

    def render(self, feed: int, version: int) -> str:
        """Render the feed's RSS document at ``version``."""
        newest = version * self.new_items
        oldest = max(0, newest - self.items)
        items = [self._item(feed, n) for n in range(newest, oldest, -1)]
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<channel><title>Benchmark feed {feed}</title>"
            f"<link>https://feed{feed}.example.com/</link>"
            "<description>Generated items</description>"
            f"{''.join(items)}</channel></rss>\n"
        )

    def _item(self, feed: int, n: int) -> str:
        published = format_datetime(EPOCH + timedelta(minutes=n))
        link = f"https://feed{feed}.example.com/posts/{n}"
        body = PARAGRAPH * self.paragraphs
        return (
            f"<item><title>Post {n} of feed {feed} &amp; friends</title>"
            f'<link>{link}</link><guid isPermaLink="false">{feed}-{n}</guid>'
            f"<pubDate>{published}</pubDate><dc:creator>Author {n % 7}</dc:creator>"
            f"<description><![CDATA[{body}]]></description></item>"
        )


def _feed_number(path: str) -> int | None:
    name = path.split("?")[0]
    if not (name.startswith("/feed/") and name.endswith(".xml")):
        return None
    number = name[len("/feed/") : -len(".xml")]
    return int(number) if number.isdigit() else None


def _control(state: FeedState, path: str) -> tuple[int, dict, bytes]:
    if path.startswith("/_control/mode/"):
        mode = path.rsplit("/", 1)[1]
        if mode not in MODES:
            return 400, {}, f"unknown mode {mode!r}".encode()
        state.mode = mode
        return 200, {}, b"ok"
    stats = {
        "mode": state.mode,
        "total": sum(state.requests.values()),
        "by_path": dict(state.requests),
        "statuses": {str(k): v for k, v in state.statuses.items()},
    }
    return 200, {"Content-Type": "application/json"}, json.dumps(stats).encode()


async def _handle(state: FeedState, reader, writer) -> None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
        writer.close()
        return

    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    path = parts[1] if len(parts) > 1 else "/"
    headers = dict(_header(line) for line in lines[1:] if ":" in line)
    if path.startswith("/_control/"):
        status, extra, body = _control(state, path)
    else:
        status, extra, body = state.respond(path, headers.get("if-none-match"))
        state.statuses[status] += 1

    writer.write(_response(status, extra, body))
    try:
        await writer.drain()
    except OSError:
        pass
    writer.close()


def _header(line: str) -> tuple[str, str]:
    name, _, value = line.partition(":")
    return name.strip().lower(), value.strip()


def _response(status: int, headers: dict, body: bytes) -> bytes:
    lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _serve(args: argparse.Namespace) -> None:
    state = FeedState(
        items=args.items, new_items=args.new_items, paragraphs=args.paragraphs
    )
    servers = [
        await asyncio.start_server(
            lambda r, w: _handle(state, r, w), "127.0.0.1", 0, backlog=1024
        )
        for _ in range(args.ports)
    ]
    ports = [server.sockets[0].getsockname()[1] for server in servers]
    print(json.dumps({"ports": ports}), flush=True)

    loop = asyncio.get_running_loop()
    stdin_closed = loop.run_in_executor(None, sys.stdin.buffer.read)
    await asyncio.wait_for(stdin_closed, timeout=args.max_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ports", type=int, default=100, help="listening ports")
    parser.add_argument("--items", type=int, default=20, help="items per document")
    parser.add_argument(
        "--new-items", type=int, default=5, help="items added per request (new mode)"
    )
    parser.add_argument(
        "--paragraphs", type=int, default=3, help="HTML paragraphs per item"
    )
    parser.add_argument(
        "--max-seconds", type=float, default=4 * 3600, help="lifetime limit"
    )
    args = parser.parse_args()
    try:
        asyncio.run(_serve(args))
    except TimeoutError:
        pass


if __name__ == "__main__":
    main()
