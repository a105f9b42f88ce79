"""Figures of the status page, read in one read-only snapshot of the database.

Queue depth and schedule lag come from the views of the ``monitoring`` schema;
refresh counts, fetch statuses and failures come from ``feed_runs`` and
``feeds``.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from psycopg import Connection

QUEUE_STATES = ("queued", "consumed", "rejected", "done")
SCHEDULE_STATES = ("scheduled", "queued", "running", "cancelled")
# "never" counts feeds without a finished refresh (last_fetch_status is NULL).
FETCH_STATUSES = ("success", "failed", "never")
CHART_MINUTES = 60
RECENT_FAILURES = 20


@dataclass(frozen=True)
class MinuteBucket:
    """Refreshes that started in the minute beginning at ``start``."""

    start: datetime
    success: int
    failed: int


@dataclass(frozen=True)
class Failure:
    feed_id: uuid.UUID
    url: str
    error_code: str | None
    started_at: datetime


@dataclass(frozen=True)
class StatusReport:
    generated_at: datetime
    queue_states: dict[str, int]
    schedule_states: dict[str, int]
    due_feeds: int
    schedule_lag_seconds: float
    refreshes: list[MinuteBucket]
    fetch_statuses: dict[str, int]
    failures: list[Failure]


# The current, partial minute is the last of the CHART_MINUTES buckets.
_REFRESHES_PER_MINUTE = """
WITH buckets AS (
    SELECT generate_series(
        date_trunc('minute', now()) - make_interval(mins => %(minutes)s - 1),
        date_trunc('minute', now()),
        interval '1 minute') AS start
)
SELECT b.start,
       count(r.id) FILTER (WHERE r.status = 'success') AS success,
       count(r.id) FILTER (WHERE r.status = 'failed') AS failed
FROM buckets b
LEFT JOIN feed_runs r
       ON r.started_at >= b.start AND r.started_at < b.start + interval '1 minute'
GROUP BY b.start
ORDER BY b.start
"""

_RECENT_FAILURES = """
SELECT r.feed_id, f.url, r.error_code, r.started_at
FROM feed_runs r
JOIN feeds f ON f.id = r.feed_id
WHERE r.status = 'failed'
ORDER BY r.started_at DESC, r.id DESC
LIMIT %(limit)s
"""


def read_report(conn: Connection) -> StatusReport:
    """Read every figure of the page inside the caller's open transaction.

    The transaction must not have run a statement yet, because this function
    makes it REPEATABLE READ so that all figures describe the same moment.
    """
    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
    lag = conn.execute(
        "SELECT due_feeds, lag_seconds FROM monitoring.schedule_lag"
    ).fetchone()
    return StatusReport(
        generated_at=conn.execute("SELECT now() AS now").fetchone()["now"],
        queue_states=_queue_states(conn),
        schedule_states=_schedule_states(conn),
        due_feeds=lag["due_feeds"],
        schedule_lag_seconds=max(0.0, lag["lag_seconds"]),
        refreshes=_refreshes(conn),
        fetch_statuses=_fetch_statuses(conn),
        failures=_failures(conn),
    )


def _queue_states(conn: Connection) -> dict[str, int]:
    rows = conn.execute(
        "SELECT state, sum(messages)::bigint AS count "
        "FROM monitoring.queue_messages GROUP BY state"
    ).fetchall()
    return _counts(QUEUE_STATES, rows)


def _schedule_states(conn: Connection) -> dict[str, int]:
    rows = conn.execute(
        "SELECT state, sum(feeds)::bigint AS count "
        "FROM monitoring.schedule_states GROUP BY state"
    ).fetchall()
    return _counts(SCHEDULE_STATES, rows)


def _fetch_statuses(conn: Connection) -> dict[str, int]:
    rows = conn.execute(
        "SELECT coalesce(last_fetch_status, 'never') AS state, count(*) AS count "
        "FROM feeds GROUP BY 1"
    ).fetchall()
    return _counts(FETCH_STATUSES, rows)


def _counts(states: tuple[str, ...], rows: list[dict]) -> dict[str, int]:
    """Return a count for every known state, and for any other state found."""
    counts = dict.fromkeys(states, 0)
    for row in rows:
        counts[str(row["state"])] = int(row["count"])
    return counts


def _refreshes(conn: Connection) -> list[MinuteBucket]:
    rows = conn.execute(_REFRESHES_PER_MINUTE, {"minutes": CHART_MINUTES}).fetchall()
    return [MinuteBucket(row["start"], row["success"], row["failed"]) for row in rows]


def _failures(conn: Connection) -> list[Failure]:
    rows = conn.execute(_RECENT_FAILURES, {"limit": RECENT_FAILURES}).fetchall()
    return [
        Failure(row["feed_id"], row["url"], row["error_code"], row["started_at"])
        for row in rows
    ]
