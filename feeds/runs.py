"""Refresh history (``feed_runs``): one row per refresh that reached a result."""

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from psycopg import Connection

MAX_ERROR_LENGTH = 500


@dataclass(frozen=True)
class Run:
    feed_id: uuid.UUID
    user_id: uuid.UUID
    message_id: uuid.UUID | None
    started_at: datetime
    duration_ms: int
    status: str
    http_status: int | None = None
    bytes_received: int | None = None
    not_modified: bool = False
    articles_added: int = 0
    error_code: str | None = None
    error: str | None = None
    next_run_at: datetime | None = None
    next_run_reason: str | None = None


_INSERT = """
INSERT INTO feed_runs (
    feed_id, user_id, message_id, started_at, duration_ms, status, http_status,
    bytes_received, not_modified, articles_added, error_code, error, next_run_at,
    next_run_reason
) VALUES (
    %(feed_id)s, %(user_id)s, %(message_id)s, %(started_at)s, %(duration_ms)s,
    %(status)s, %(http_status)s, %(bytes_received)s, %(not_modified)s,
    %(articles_added)s, %(error_code)s, %(error)s, %(next_run_at)s,
    %(next_run_reason)s
)
"""


def record_run(conn: Connection, run: Run) -> None:
    conn.execute(_INSERT, asdict(run))


_LIST = """
SELECT r.started_at, r.duration_ms, r.status, r.http_status, r.bytes_received,
       r.not_modified, r.articles_added, r.error_code, r.error, r.next_run_at,
       r.next_run_reason
FROM feed_runs r
WHERE r.feed_id = %(feed_id)s AND r.user_id = %(user_id)s
ORDER BY r.started_at DESC, r.id DESC
LIMIT %(limit)s
"""


def list_runs(
    conn: Connection, *, user_id: uuid.UUID, feed_id: uuid.UUID, limit: int
) -> list[dict[str, Any]]:
    """Return the feed's most recent refreshes, newest first."""
    params = {"user_id": user_id, "feed_id": feed_id, "limit": limit}
    return conn.execute(_LIST, params).fetchall()


_STATS = """
SELECT
    count(*) FILTER (WHERE s.state = 'running' OR s.started_at IS NOT NULL)
        AS active_tasks,
    count(*) FILTER (WHERE s.state IN ('scheduled', 'queued')
                     AND s.started_at IS NULL) AS scheduled_tasks,
    (SELECT count(*) FROM feed_runs r
     WHERE r.user_id = %(user_id)s AND r.status = 'success'
       AND r.started_at > now() - interval '24 hours') AS completed_tasks,
    (SELECT count(*) FROM feed_runs r
     WHERE r.user_id = %(user_id)s AND r.status = 'failed'
       AND r.started_at > now() - interval '24 hours') AS failed_tasks
FROM feed_schedule s JOIN feeds f ON f.id = s.feed_id
WHERE f.user_id = %(user_id)s
"""


def user_stats(conn: Connection, user_id: uuid.UUID) -> dict[str, int]:
    """Count the user's running and pending refreshes, and the last day's results."""
    return conn.execute(_STATS, {"user_id": user_id}).fetchone()


def prune(conn: Connection, *, keep_days: int) -> int:
    """Delete history older than ``keep_days``; returns the rows deleted."""
    return conn.execute(
        "DELETE FROM feed_runs WHERE started_at < now() - make_interval(days => %(d)s)",
        {"d": keep_days},
    ).rowcount
