"""Refresh rounds: make a set of feeds due now and wait until all have run."""

import time
import uuid
from dataclasses import dataclass

import psutil

from bench.database import Server, connect
from bench.processes import tree_cpu_seconds
from feeds import scheduler
from feeds.scheduler import Delay, Priority


@dataclass(frozen=True)
class Round:
    """One round: ``feeds`` refreshes that ended ``seconds`` after scheduling."""

    feeds: int
    finished: int
    failed: int
    seconds: float
    worker_cpu: float
    database_cpu: float | None

    @property
    def feeds_per_second(self) -> float:
        return self.finished / self.seconds if self.seconds > 0 else 0.0

    @property
    def cpu_per_refresh(self) -> float:
        return self.worker_cpu / self.finished if self.finished else 0.0

    @property
    def database_cpu_per_refresh(self) -> float | None:
        if self.database_cpu is None or not self.finished:
            return None
        return self.database_cpu / self.finished


def run_round(
    url: str,
    feed_ids: list[uuid.UUID],
    workers: psutil.Process,
    server: Server,
    *,
    timeout: float,
) -> Round:
    """Schedule every feed due now and wait until each has a new feed_runs row.

    The elapsed time runs from the commit that made the feeds due to the end
    of the last refresh, as feed_runs records it.
    """
    with connect(url) as conn:
        marker = conn.execute("SELECT coalesce(max(id), 0) AS id FROM feed_runs")
        marker = marker.fetchone()["id"]
        cpu_before = tree_cpu_seconds(workers)
        database_before = server.cpu_seconds()
        with conn.transaction():
            for feed_id in feed_ids:
                scheduler.schedule(
                    conn, feed_id, Delay(0.0, Priority.NORMAL), reason="benchmark"
                )
        committed = time.time()

        finished, failed = _wait_for_runs(conn, marker, len(feed_ids), timeout)
        worker_cpu = tree_cpu_seconds(workers) - cpu_before
        database_after = server.cpu_seconds()
        ended = _last_run_end(conn, marker) or time.time()

    database_cpu = None
    if database_before is not None and database_after is not None:
        database_cpu = database_after - database_before
    return Round(
        feeds=len(feed_ids),
        finished=finished,
        failed=failed,
        seconds=ended - committed,
        worker_cpu=worker_cpu,
        database_cpu=database_cpu,
    )


def _wait_for_runs(conn, marker: int, expected: int, timeout: float):
    deadline = time.monotonic() + timeout
    while True:
        row = conn.execute(
            "SELECT count(*) AS runs, count(*) FILTER (WHERE status = 'failed') "
            "AS failed FROM feed_runs WHERE id > %(marker)s",
            {"marker": marker},
        ).fetchone()
        if row["runs"] >= expected or time.monotonic() > deadline:
            return row["runs"], row["failed"]
        time.sleep(0.05)


def _last_run_end(conn, marker: int) -> float | None:
    row = conn.execute(
        "SELECT extract(epoch FROM max(started_at + duration_ms * interval '1 ms')) "
        "AS ended FROM feed_runs WHERE id > %(marker)s",
        {"marker": marker},
    ).fetchone()
    return float(row["ended"]) if row["ended"] is not None else None
