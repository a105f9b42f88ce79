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
    (SELECT count(*) FROM feed_schedule
     WHERE state IN ('queued', 'running')
       AND updated_at < to_timestamp(%(since)s)) AS in_flight_since,
    (SELECT max(extract(epoch FROM started_at)) FROM worker_heartbeats)
        AS newest_worker_started
"""


@dataclass(frozen=True)
class Sample:
    at: float
    fault_at: float
    lag_seconds: float
    # Rows still queued or running without change since the last fault.
    in_flight_since_fault: int
    newest_worker_started: float | None


class Sampler:
    """Record one Sample a second; a lost connection is retried every second."""

    def __init__(self, database_url: str) -> None:
        self._url = database_url
        self.samples: list[Sample] = []
        self.errors = 0
        self._fault_at = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def mark_fault(self, at: float) -> None:
        """Count in-flight rows unchanged since ``at`` from now on."""
        self._fault_at = at

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
            fault_at = self._fault_at
            row = conn.execute(_SAMPLE, {"since": fault_at}).fetchone()
            self.samples.append(
                Sample(
                    at=time.time(),
                    fault_at=fault_at,
                    lag_seconds=float(row[0]),
                    in_flight_since_fault=row[1],
                    newest_worker_started=None if row[2] is None else float(row[2]),
                )
            )
            self._stop.wait(SAMPLE_INTERVAL_SECONDS)
