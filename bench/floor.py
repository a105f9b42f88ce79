"""The HTTP floor: the requests alone, with no database and no queue.

The feeds are requested from a pool of threads in this process as in two
refresh cases: with their current ETag (304 Not Modified), and without
validators while the body stays the same. Each case runs with a plain httpx
client and with the service's Fetcher (address checks, redirects, limits).
The CPU that this process and the feed server spend per request is a cost
that every refresher of these feeds pays on the same 2 cores, whatever it
does with the response.
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

CASES = ("etag", "same")


def run_floor(server: FeedServer, *, feeds: int, threads: int, rounds: int) -> dict:
    """Measure the requests of the 304 and unchanged-body cases."""
    urls = [server.url(i) for i in range(feeds)]
    out: dict = {"threads": threads}
    with httpx.Client(trust_env=False, timeout=10) as client:
        server.set_mode("etag")
        etags = {url: client.get(url).headers["etag"] for url in urls}
        fetcher = Fetcher(Settings(allow_private_addresses=True))
        try:
            for case in CASES:
                server.set_mode(case)
                sent = etags if case == "etag" else {}
                out[case] = {
                    "httpx": _measure(
                        server, urls, _plain(client, sent), threads, rounds
                    ),
                    "fetcher": _measure(
                        server, urls, _service(fetcher, sent), threads, rounds
                    ),
                }
        finally:
            fetcher.close()
    return out


def _plain(client: httpx.Client, etags: dict) -> Callable[[str], int]:
    def request(url: str) -> int:
        headers = {"If-None-Match": etags[url]} if url in etags else {}
        response = client.get(url, headers=headers)
        return response.status_code

    return request


def _service(fetcher: Fetcher, etags: dict) -> Callable[[str], int]:
    def request(url: str) -> int:
        return fetcher.fetch(url, Validators(etag=etags.get(url))).status

    return request


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
    } | {"statuses": measured[-1]["statuses"]}


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
        "statuses": {str(code): statuses.count(code) for code in set(statuses)},
    }


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system
