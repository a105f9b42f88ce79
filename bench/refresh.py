"""Refresh end to end: real workers, real PostgreSQL, a local feed server.

For each worker configuration one database and one worker group serve every
case: a priming round stores articles and validators, then rounds with new
content, 304 responses and unchanged bodies without validators are measured.
"""

import statistics
import uuid
from dataclasses import dataclass, field

from bench.database import Server, connect, insert_feeds
from bench.processes import FeedServer, workers
from bench.rounds import Round, run_round

CASES = ("new", "etag", "same")
CASE_TITLES = {
    "new": "new content",
    "etag": "304 Not Modified",
    "same": "unchanged body, no validators",
}
FEEDS_PER_USER = 20


@dataclass
class CaseResult:
    rounds: list[Round] = field(default_factory=list)

    @property
    def feeds_per_second(self) -> float:
        return statistics.median(r.feeds_per_second for r in self.rounds)

    @property
    def cpu_per_refresh(self) -> float:
        return statistics.median(r.cpu_per_refresh for r in self.rounds)

    @property
    def database_cpu_per_refresh(self) -> float | None:
        values = [r.database_cpu_per_refresh for r in self.rounds]
        if any(value is None for value in values):
            return None
        return statistics.median(values)

    @property
    def failed(self) -> int:
        return sum(r.failed for r in self.rounds)


def seed_feeds(url: str, server: FeedServer, count: int) -> list[uuid.UUID]:
    """Insert ``count`` feeds of the feed server, twenty per user."""
    users = [uuid.uuid4() for _ in range(0, count, FEEDS_PER_USER)]
    owners = [users[i // FEEDS_PER_USER] for i in range(count)]
    urls = [server.url(i) for i in range(count)]
    with connect(url) as conn:
        return insert_feeds(conn, urls, users=owners)


def run_configuration(
    database: Server,
    server: FeedServer,
    *,
    feeds: int,
    processes: int,
    threads: int,
    rounds: int,
    env: dict[str, str],
) -> dict[str, CaseResult]:
    """Measure every case for one worker configuration."""
    url = database.new_database()
    try:
        feed_ids = seed_feeds(url, server, feeds)
        timeout = max(120.0, feeds / 5)
        results = {case: CaseResult() for case in CASES}
        with workers(url, processes=processes, threads=threads, **env) as root:
            server.set_mode("new")
            run_round(url, feed_ids, root, database, timeout=timeout)
            for case in CASES:
                server.set_mode(case)
                for _ in range(rounds):
                    measured = run_round(url, feed_ids, root, database, timeout=timeout)
                    results[case].rounds.append(measured)
        return results
    finally:
        database.drop(url)


def profile_new_content(
    database: Server,
    server: FeedServer,
    *,
    feeds: int,
    threads: int,
    env: dict[str, str],
    output: str,
) -> Round:
    """Run one new-content round under py-spy; stacks are written to ``output``.

    The round is the feeds' first, so every item of every feed is new.
    """
    url = database.new_database()
    try:
        feed_ids = seed_feeds(url, server, feeds)
        server.set_mode("new")
        with workers(
            url, processes=1, threads=threads, profile_to=output, **env
        ) as root:
            return run_round(
                url, feed_ids, root, database, timeout=max(120.0, feeds / 5)
            )
    finally:
        database.drop(url)
