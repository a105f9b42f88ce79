"""The HTTP floor: conditional requests alone, with no database and no queue.

Every feed of the 304 case is requested with its current ETag from a pool of
threads in this process, first with a plain httpx client and then with the
service's Fetcher (address checks, redirects, limits). The CPU that this
process and the feed server spend per request is a cost that every refresher
of these feeds pays on the same 2 cores, whatever it does with the response.
"""

import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import psutil

from bench.processes import FeedServer
from feeds.fetch import Fetcher
from feeds.fetch.model import Validators
from feeds.settings import Settings


def run_floor(server: FeedServer, *, feeds: int, threads: int, rounds: int) -> dict:
    """Measure conditional GETs that return 304, with httpx and with the Fetcher."""
    server.set_mode("etag")
    urls = [server.url(i) for i in range(feeds)]
    with httpx.Client(trust_env=False, timeout=10) as client:
        etags = {url: client.get(url).headers["etag"] for url in urls}

        def plain(url: str) -> int:
            headers = {"If-None-Match": etags[url]}
            return client.get(url, headers=headers).status_code

        out = {"httpx": _measure(server, urls, plain, threads, rounds)}

    fetcher = Fetcher(Settings(allow_private_addresses=True))
    try:

        def service(url: str) -> int:
            return fetcher.fetch(url, Validators(etag=etags[url])).status

        out["fetcher"] = _measure(server, urls, service, threads, rounds)
    finally:
        fetcher.close()
    out["threads"] = threads
    return out


def _measure(
    server: FeedServer,
    urls: list[str],
    request: Callable[[str], int],
    threads: int,
    rounds: int,
) -> dict:
    """Return the medians over ``rounds`` of requests/s and CPU per request."""
    measured = [_round(server, urls, request, threads) for _ in range(rounds)]
    return {
        key: statistics.median(m[key] for m in measured)
        for key in ("requests_per_second", "client_cpu", "server_cpu")
    } | {"not_modified": min(m["not_modified"] for m in measured)}


def _round(
    server: FeedServer,
    urls: list[str],
    request: Callable[[str], int],
    threads: int,
) -> dict:
    client, feed_server = psutil.Process(), psutil.Process(server.process.pid)
    client_before, server_before = _cpu(client), _cpu(feed_server)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        statuses = list(pool.map(request, urls))
    seconds = time.monotonic() - started
    count = len(urls)
    return {
        "requests_per_second": count / seconds,
        "client_cpu": (_cpu(client) - client_before) / count,
        "server_cpu": (_cpu(feed_server) - server_before) / count,
        "not_modified": statuses.count(304),
    }


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system
