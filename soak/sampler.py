"""A thread that reads the scheduler's state once a second during the soak."""

import threading
import time
from dataclasses import dataclass

import psycopg

SAMPLE_INTERVAL_SECONDS = 1.0

_SAMPLE = """
SELECT
    (SELECT coalesce(extract(epoch FROM now() - min(next_run_at)), 0)
     FROM feed_schedule
     WHERE state = 'scheduled' AND next_run_at <= now()) AS lag_seconds,
    (SELECT min(extract(epoch FROM updated_at)) FROM feed_schedule
     WHERE state IN ('queued', 'running')) AS oldest_in_flight,
    (SELECT max(extract(epoch FROM started_at)) FROM worker_heartbeats)
        AS newest_worker_started
"""


@dataclass(frozen=True)
class Sample:
    at: float
    lag_seconds: float
    # When the longest-unchanged queued or running row last changed; None
    # when no row is queued or running.
    oldest_in_flight: float | None
    newest_worker_started: float | None


class Sampler:
    """Record one Sample a second; a lost connection is retried every second."""

    def __init__(self, database_url: str) -> None:
        self._url = database_url
        self.samples: list[Sample] = []
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    self._url, autocommit=True, connect_timeout=2
                ) as conn:
                    self._sample_until_stopped(conn)
            except psycopg.Error:
                self.errors += 1
                self._stop.wait(SAMPLE_INTERVAL_SECONDS)

    def _sample_until_stopped(self, conn: psycopg.Connection) -> None:
        while not self._stop.is_set():
            row = conn.execute(_SAMPLE).fetchone()
            self.samples.append(
                Sample(
                    at=time.time(),
                    lag_seconds=float(row[0]),
                    oldest_in_flight=None if row[1] is None else float(row[1]),
                    newest_worker_started=None if row[2] is None else float(row[2]),
                )
            )
            self._stop.wait(SAMPLE_INTERVAL_SECONDS)
