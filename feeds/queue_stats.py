"""Queue depth and schedule lag, read from PostgreSQL for the worker gauges."""

from dataclasses import dataclass

from psycopg import Connection

from feeds import scheduler

# Done messages are left out: they pile up until purged, and counting them
# would scan most of the table every few seconds.
MESSAGE_STATES = ("queued", "consumed", "rejected")
SCHEDULE_STATES = ("scheduled", "queued", "running", "cancelled")
KNOWN_QUEUES = (scheduler.REFRESH_QUEUE, scheduler.MANUAL_QUEUE)

_MESSAGES = """
SELECT queue_name, "state"::text AS state, count(*) AS messages
FROM dramatiq.queue
WHERE "state" IN ('queued', 'consumed', 'rejected')
GROUP BY queue_name, "state"
"""

_SCHEDULE_ROWS = "SELECT state, count(*) AS feeds FROM feed_schedule GROUP BY state"

_LAG = """
SELECT coalesce(extract(epoch FROM now() - min(next_run_at)), 0)::float8
    AS lag_seconds
FROM feed_schedule
WHERE state = 'scheduled' AND next_run_at <= now()
"""


@dataclass(frozen=True)
class QueueStats:
    """Message counts by (queue, state), schedule rows by state, and the lag.

    ``messages`` has an entry for every state of ``MESSAGE_STATES`` in the
    known queues and in any other queue that has messages. ``schedule_rows``
    has one for every state of ``SCHEDULE_STATES``. Groups without rows count
    0. ``lag_seconds`` is the time since next_run_at of the oldest due
    scheduled row, or 0 when no row is due.
    """

    messages: dict[tuple[str, str], int]
    schedule_rows: dict[str, int]
    lag_seconds: float


def read_queue_stats(conn: Connection) -> QueueStats:
    """Count messages and schedule rows, and measure the schedule lag."""
    counted = {
        (row["queue_name"], row["state"]): row["messages"]
        for row in conn.execute(_MESSAGES).fetchall()
    }
    queues = set(KNOWN_QUEUES) | {queue for queue, _ in counted}
    messages = {
        (queue, state): counted.get((queue, state), 0)
        for queue in sorted(queues)
        for state in MESSAGE_STATES
    }

    rows = {row["state"]: row["feeds"] for row in conn.execute(_SCHEDULE_ROWS)}
    schedule_rows = {state: rows.get(state, 0) for state in SCHEDULE_STATES}

    lag = conn.execute(_LAG).fetchone()["lag_seconds"]
    return QueueStats(messages, schedule_rows, max(0.0, lag))
