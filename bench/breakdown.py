"""The CPU of a refresh that parses nothing, split into its parts in one run.

The same feeds are refreshed in the 304 and unchanged-body cases three ways:
requested alone (the HTTP floor), refreshed by ``Refresher.refresh`` called in
this process with no Dramatiq and no dispatcher, and refreshed by a 1 × 5
worker. The steps between them price the request, the service's own work and
statements, and the queue (Dramatiq, dramatiq-pg's statements and the
dispatcher).
"""

import statistics
import time

from bench import floor
from bench.database import Server, connect
from bench.processes import FeedServer, service_env
from bench.refresh import run_configuration, seed_feeds
from feeds.db import create_pool
from feeds.fetch import Fetcher
from feeds.refresh import Refresher
from feeds.settings import Settings

CASES = ("etag", "same")
THREADS = 5

# Marks every schedule row queued under a new token, as a dispatch would,
# without sending messages: the refreshes are called directly.
_QUEUE_ALL = """
UPDATE feed_schedule
SET state = 'queued', token = gen_random_uuid(), message_id = gen_random_uuid(),
    queued_at = now(), started_at = NULL, run_token = NULL
RETURNING feed_id, token
"""

_SCHEDULE_ALL = """
INSERT INTO feed_schedule (feed_id, state, priority, next_run_at, reason, token)
SELECT id, 'scheduled', 2, now(), 'benchmark', gen_random_uuid() FROM feeds
"""


def run_breakdown(
    database: Server, server: FeedServer, *, feeds: int, rounds: int, env: dict
) -> dict:
    """Measure the floor, the in-process refresh and a 1 × 5 worker."""
    out: dict = {"feeds": feeds, "threads": THREADS}
    out["floor"] = floor.run_floor(server, feeds=feeds, threads=THREADS, rounds=rounds)
    out["in_process"] = _in_process(database, server, feeds=feeds, rounds=rounds)
    measured = run_configuration(
        database, server, feeds=feeds, processes=1, threads=THREADS, rounds=rounds,
        env=env,
    )  # fmt: skip
    out["worker"] = {
        case: {
            "cpu_per_refresh": measured[case].cpu_per_refresh,
            "database_cpu_per_refresh": measured[case].database_cpu_per_refresh,
        }
        for case in CASES
    }
    return out


def _in_process(database: Server, server: FeedServer, *, feeds: int, rounds: int):
    url = database.new_database()
    settings = Settings(
        database_url=url,
        allow_private_addresses=True,
        domain_interval_seconds=0.0,
        **_timeouts(service_env(url)),
    )
    pool = create_pool(settings, name="bench-breakdown")
    refresher = Refresher(settings, pool, Fetcher(settings))
    try:
        seed_feeds(url, server, feeds)
        with connect(url) as conn:
            conn.execute(_SCHEDULE_ALL)
        server.set_mode("new")
        _refresh_all(refresher, url)
        out = {}
        for case in CASES:
            server.set_mode(case)
            measured = [_timed(refresher, url, database) for _ in range(rounds)]
            out[case] = {
                key: statistics.median(m[key] for m in measured)
                for key in ("cpu_per_refresh", "database_cpu_per_refresh")
            }
        return out
    finally:
        refresher.fetcher.close()
        pool.close()
        database.drop(url)


def _timeouts(environment: dict[str, str]) -> dict[str, float]:
    """Return the workers' FEEDS_ timeouts as Settings fields."""
    names = ("connect_timeout_seconds", "read_timeout_seconds", "total_timeout_seconds")
    return {name: float(environment[f"FEEDS_{name.upper()}"]) for name in names}


def _timed(refresher: Refresher, url: str, database: Server) -> dict:
    database_before = database.cpu_seconds() or 0.0
    started = time.process_time()
    count = _refresh_all(refresher, url)
    cpu = time.process_time() - started
    database_cpu = (database.cpu_seconds() or 0.0) - database_before
    return {
        "cpu_per_refresh": cpu / count,
        "database_cpu_per_refresh": database_cpu / count,
    }


def _refresh_all(refresher: Refresher, url: str) -> int:
    with connect(url) as conn:
        tokens = [(r["feed_id"], r["token"]) for r in conn.execute(_QUEUE_ALL)]
    outcomes = [refresher.refresh(feed_id, token) for feed_id, token in tokens]
    failed = [o for o in outcomes if o != "success"]
    if failed:
        raise RuntimeError(f"{len(failed)} in-process refreshes did not succeed")
    return len(tokens)
