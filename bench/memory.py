"""Worker memory over many refreshes of small feeds whose content changes."""

from dataclasses import dataclass

from bench.database import Server
from bench.processes import FeedServer, tree_rss_bytes, workers
from bench.refresh import seed_feeds
from bench.rounds import run_round


@dataclass(frozen=True)
class MemoryPoint:
    refreshes: int
    rss_bytes: list[int]


def run_memory(
    database: Server,
    server: FeedServer,
    *,
    feeds: int,
    refreshes: int,
    processes: int,
    threads: int,
    env: dict[str, str],
) -> list[MemoryPoint]:
    """Refresh ``feeds`` feeds in rounds until ``refreshes`` ran; sample RSS.

    RSS is read from every worker process after each round.
    """
    url = database.new_database()
    try:
        feed_ids = seed_feeds(url, server, feeds)
        server.set_mode("new")
        points, done = [], 0
        with workers(url, processes=processes, threads=threads, **env) as root:
            while done < refreshes:
                measured = run_round(url, feed_ids, root, database, timeout=600)
                done += measured.finished
                points.append(MemoryPoint(done, tree_rss_bytes(root)))
        return points
    finally:
        database.drop(url)
