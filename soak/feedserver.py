"""Feed servers on many loopback ports in one asyncio process.

Run as ``python -m soak.feedserver --ports N --ports-file F --log L
--max-seconds S``. It binds N listeners on 127.0.0.1, writes their port
numbers to F as JSON, and appends one line per request to L:
``unix_time port feed_index status``. The time is taken when the request's
headers have arrived. It exits on SIGTERM or SIGINT, or after S seconds.
"""

import argparse
import asyncio
import json
import signal
import time
from email.utils import formatdate
from pathlib import Path

from soak.catalog import CHANGE_PERIOD_SECONDS as PERIOD
from soak.catalog import (
    ITEMS_PER_FEED,
    SLOW_RESPONSE_SECONDS,
    Behaviour,
    behaviour,
    feed_index_of,
    feed_version,
)

HOST = "127.0.0.1"
IDLE_SECONDS = 30.0
LOG_FLUSH_SECONDS = 1.0
MAX_HEADER_BYTES = 16 * 1024
REASONS = {200: "OK", 304: "Not Modified", 404: "Not Found", 500: "Server Error"}


class FeedServers:
    def __init__(self, log_path: Path) -> None:
        self._log = log_path.open("a", buffering=1024 * 1024)
        self._flaky_requests: dict[int, int] = {}

    async def handle(self, reader, writer) -> None:
        port = writer.get_extra_info("sockname")[1]
        try:
            while await self._serve_one(reader, writer, port):
                pass
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.LimitOverrunError:
            pass
        except asyncio.CancelledError:
            # The process is shutting down, with slow responses still pending.
            pass
        finally:
            writer.close()

    async def _serve_one(self, reader, writer, port: int) -> bool:
        """Serve one request; return False when the connection should close."""
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IDLE_SECONDS)
        received_at = time.time()
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        path = request_line.split(" ")[1] if request_line.count(" ") >= 2 else "/"
        headers = _parse_headers(header_lines)

        index = feed_index_of(path)
        status, body, extra = self._respond(index, headers, port, received_at)
        self._log.write(f"{received_at:.6f} {port} {-1 if index is None else index} ")
        self._log.write(f"{status}\n")

        if status == "timeout":
            await asyncio.sleep(SLOW_RESPONSE_SECONDS)
            return False
        writer.write(_response(status, body, extra))
        await writer.drain()
        return headers.get("connection", "").lower() != "close"

    def _respond(self, index, headers, port, now) -> tuple:
        if index is None:
            return 404, b"not found", {}
        kind = behaviour(index)
        if kind is Behaviour.NOT_FOUND:
            return 404, b"no such feed", {}
        if kind is Behaviour.SERVER_ERROR:
            return 500, b"failing on purpose", {}
        if kind is Behaviour.TIMEOUT:
            return "timeout", b"", {}
        if kind is Behaviour.FLAKY and self._next_flaky_fails(index):
            return 500, b"failing every other time", {}

        version = feed_version(index, now)
        etag = f'"{index}-{version}"'
        if headers.get("if-none-match") == etag:
            return 304, b"", {"ETag": etag}
        body = render_rss(index, version, port)
        return 200, body, {"ETag": etag, "Content-Type": "application/rss+xml"}

    def _next_flaky_fails(self, index: int) -> bool:
        count = self._flaky_requests.get(index, 0)
        self._flaky_requests[index] = count + 1
        return count % 2 == 0

    async def flush_log(self) -> None:
        while True:
            await asyncio.sleep(LOG_FLUSH_SECONDS)
            self._log.flush()

    def close(self) -> None:
        self._log.close()


def render_rss(index: int, version: int, port: int) -> bytes:
    """Render the feed's newest ITEMS_PER_FEED items for ``version``."""
    base = f"http://{HOST}:{port}/feeds/{index}"
    items = []
    for number in range(version, version - ITEMS_PER_FEED, -1):
        published = formatdate(number * PERIOD, usegmt=True)
        items.append(
            f"<item><title>Item {number} of feed {index}</title>"
            f"<link>{base}/items/{number}</link>"
            f'<guid isPermaLink="false">feed-{index}-item-{number}</guid>'
            f"<pubDate>{published}</pubDate>"
            f"<description>Body of item {number}.</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>Soak feed {index}</title><link>{base}</link>"
        f"<description>Generated feed {index}</description>"
        + "".join(items)
        + "</channel></rss>\n"
    ).encode()


def _parse_headers(lines: list[str]) -> dict[str, str]:
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    return headers


def _response(status: int, body: bytes, extra: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} {REASONS[status]}"]
    headers = {"Content-Type": "text/plain", **extra}
    headers["Content-Length"] = str(len(body))
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def serve(args: argparse.Namespace) -> None:
    servers = FeedServers(Path(args.log))
    listeners = []
    for _ in range(args.ports):
        listener = await asyncio.start_server(
            servers.handle, HOST, 0, limit=MAX_HEADER_BYTES, backlog=256
        )
        listeners.append(listener)
    ports = [listener.sockets[0].getsockname()[1] for listener in listeners]
    Path(args.ports_file).write_text(json.dumps(ports))

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    flusher = asyncio.create_task(servers.flush_log())
    try:
        await asyncio.wait_for(stop.wait(), args.max_seconds)
    except TimeoutError:
        pass
    finally:
        flusher.cancel()
        for listener in listeners:
            listener.close()
        servers.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ports", type=int, required=True, help="listeners")
    parser.add_argument("--ports-file", required=True, help="JSON list of ports")
    parser.add_argument("--log", required=True, help="request log path")
    parser.add_argument("--max-seconds", type=float, required=True, help="lifetime")
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
