"""Shared fetching: many users subscribed to one URL, requests per due time."""

import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from bench.database import Server, connect, insert_feeds
from bench.processes import FeedServer, workers
from bench.rounds import run_round

SHARED_FEED = 0


@dataclass(frozen=True)
class SharedRound:
    subscribers: int
    refreshed: int
    requests: int
    seconds: float


def run_shared(
    database: Server,
    server: FeedServer,
    *,
    subscribers: int,
    rounds: int,
    env: dict[str, str],
) -> list[SharedRound]:
    """Make every subscription of one URL due at once and count the requests."""
    url = database.new_database()
    path = urlsplit(server.url(SHARED_FEED)).path
    try:
        with connect(url) as conn:
            feed_ids = insert_feeds(
                conn,
                [server.url(SHARED_FEED)] * subscribers,
                users=[uuid.uuid4() for _ in range(subscribers)],
            )
        server.set_mode("new")
        results = []
        with workers(url, processes=2, threads=8, **env) as root:
            for _ in range(rounds):
                before = server.stats()["by_path"].get(path, 0)
                measured = run_round(url, feed_ids, root, database, timeout=180)
                after = server.stats()["by_path"].get(path, 0)
                results.append(
                    SharedRound(
                        subscribers, measured.finished, after - before, measured.seconds
                    )
                )
        return results
    finally:
        database.drop(url)
