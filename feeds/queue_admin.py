"""Operator queries on the Dramatiq queue and the scheduler, for ``feeds queue``.

The read queries use the views of the ``monitoring`` schema. Requeue and purge
change ``dramatiq.queue`` directly, with the statements and notifications that
dramatiq-pg's own consumers expect.
"""

import enum
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from psycopg import Connection

from feeds import scheduler

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueueSummary:
    """Rows of the monitoring views that ``feeds queue summary`` prints."""

    messages: list[dict[str, Any]]
    oldest_waiting: list[dict[str, Any]]
    schedule_lag: dict[str, Any]
    schedule_states: list[dict[str, Any]]
    failed: int


def read_summary(conn: Connection) -> QueueSummary:
    """Read message counts, queue and schedule lag, and schedule row counts."""
    messages = conn.execute(
        "SELECT queue_name, state, messages, oldest_mtime "
        "FROM monitoring.queue_messages ORDER BY queue_name, state"
    ).fetchall()
    oldest = conn.execute(
        "SELECT queue_name, message_id, age_seconds "
        "FROM monitoring.queue_oldest_waiting ORDER BY queue_name"
    ).fetchall()
    lag = conn.execute(
        "SELECT due_feeds, lag_seconds FROM monitoring.schedule_lag"
    ).fetchone()
    states = conn.execute(
        "SELECT state, priority, priority_label, feeds, earliest_next_run_at "
        "FROM monitoring.schedule_states ORDER BY state, priority"
    ).fetchall()
    failed = conn.execute(
        "SELECT count(*) AS failed FROM monitoring.failed_messages"
    ).fetchone()
    return QueueSummary(messages, oldest, lag, states, failed["failed"])


def list_failed(conn: Connection, *, limit: int) -> list[dict[str, Any]]:
    """Return the most recently rejected messages first."""
    return conn.execute(
        "SELECT message_id, queue_name, actor_name, feed_id, retries, error, "
        "failed_at FROM monitoring.failed_messages "
        "ORDER BY failed_at DESC, message_id LIMIT %(limit)s",
        {"limit": limit},
    ).fetchall()


# -- requeue --------------------------------------------------------------------


class Outcome(enum.StrEnum):
    """Action that ``requeue`` took for one message."""

    # The message is queued again and its schedule row still expects it, so
    # the worker runs it.
    REQUEUED = "requeued"
    # The message is queued again but its token is stale, so the worker drops
    # it. scheduler.force requested a manual refresh of the feed instead.
    RESCHEDULED = "rescheduled"
    # The message is queued again and will be dropped as stale. The feed's
    # schedule is cancelled, so it was left cancelled.
    CANCELLED = "feed_cancelled"
    # The message is queued again and will be dropped, because the feed was
    # deleted.
    DELETED = "feed_deleted"
    # The message is queued again. Its first argument is not a feed id, so no
    # schedule row was looked at.
    NO_FEED = "no_feed"
    # No rejected message has this id.
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class RequeueResult:
    message_id: uuid.UUID
    outcome: Outcome
    feed_id: uuid.UUID | None = None
    queue_name: str | None = None


@dataclass(frozen=True)
class _Rejected:
    message_id: uuid.UUID
    queue_name: str
    feed_id: uuid.UUID | None
    token: uuid.UUID | None


_SELECT_REJECTED = """
SELECT message_id, queue_name, message -> 'args' AS args
FROM dramatiq.queue
WHERE "state" = 'rejected'
  AND (%(all)s OR message_id = ANY(%(message_ids)s))
ORDER BY mtime, message_id
FOR UPDATE
"""

# The same mtime expression and notification payload as dramatiq-pg 0.12's
# enqueue: a payload of 8000 bytes or more is replaced by the message id,
# because NOTIFY rejects longer payloads and consumers then read the row.
_REQUEUE_MESSAGE = """
WITH requeued AS (
    UPDATE dramatiq.queue
    SET "state" = 'queued', mtime = (now() AT TIME ZONE 'UTC')
    WHERE message_id = %(message_id)s AND "state" = 'rejected'
    RETURNING message_id, queue_name, message
)
SELECT pg_notify(
    'dramatiq.' || queue_name || '.enqueue',
    CASE WHEN octet_length(message::text) >= 8000
         THEN jsonb_build_object('message_id', message_id)::text
         ELSE message::text
    END)
FROM requeued
"""

_LOCK_SCHEDULE = """
SELECT state, token, message_id FROM feed_schedule
WHERE feed_id = %(feed_id)s
FOR UPDATE
"""

_FEED_EXISTS = "SELECT 1 FROM feeds WHERE id = %(feed_id)s"

# A requeued message that the row still expects gets a fresh queued_at, so
# stale recovery does not replace it before a worker consumes it.
_TOUCH_QUEUED = """
UPDATE feed_schedule SET queued_at = now(), updated_at = now()
WHERE feed_id = %(feed_id)s AND message_id = %(message_id)s AND state = 'queued'
"""

# A rejected message's refresh no longer executes, so the row may drop the
# marker that its start left. Otherwise dispatch would wait for the running
# timeout before queueing the forced run.
_RELEASE_RUN = """
UPDATE feed_schedule SET started_at = NULL, run_token = NULL, updated_at = now()
WHERE feed_id = %(feed_id)s AND run_token = %(token)s
"""


def requeue(
    conn: Connection, message_ids: list[uuid.UUID] | None = None
) -> list[RequeueResult]:
    """Put rejected messages back in their queue and make each feed's row agree.

    ``message_ids`` None requeues every rejected message. Each message goes
    back to ``queued`` with a NOTIFY, so consumers see it at once. A refresh
    message runs only if its token matches the feed's row. When the row is
    still queued with this message id, the row is kept and the message runs.
    Otherwise the row moved on (stale recovery, a later run or a reschedule),
    so the requeued message will be dropped as stale. The feed then gets a
    manual refresh through ``scheduler.force``, unless it was cancelled or
    deleted. Everything happens in one transaction.
    """
    with conn.transaction():
        rejected = _lock_rejected(conn, message_ids)
        results = [_requeue_one(conn, message) for message in rejected]

    found = {message.message_id for message in rejected}
    missing = [
        RequeueResult(message_id, Outcome.NOT_FOUND)
        for message_id in dict.fromkeys(message_ids or ())
        if message_id not in found
    ]
    return results + missing


def _lock_rejected(
    conn: Connection, message_ids: list[uuid.UUID] | None
) -> list[_Rejected]:
    params = {"all": message_ids is None, "message_ids": message_ids or []}
    rows = conn.execute(_SELECT_REJECTED, params).fetchall()
    return [_rejected_from_row(row) for row in rows]


def _rejected_from_row(row: dict[str, Any]) -> _Rejected:
    args = row["args"] if isinstance(row["args"], list) else []
    return _Rejected(
        message_id=row["message_id"],
        queue_name=row["queue_name"],
        feed_id=_uuid_or_none(args[0] if len(args) > 0 else None),
        token=_uuid_or_none(args[1] if len(args) > 1 else None),
    )


def _uuid_or_none(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _requeue_one(conn: Connection, message: _Rejected) -> RequeueResult:
    conn.execute(_REQUEUE_MESSAGE, {"message_id": message.message_id})

    outcome = _align_schedule(conn, message)
    logger.info(
        "requeued rejected message",
        extra={
            "message_id": str(message.message_id),
            "feed_id": str(message.feed_id),
            "outcome": outcome.value,
        },
    )
    return RequeueResult(
        message.message_id, outcome, message.feed_id, message.queue_name
    )


def _align_schedule(conn: Connection, message: _Rejected) -> Outcome:
    """Keep the row when it expects the message, else force a fresh refresh."""
    if message.feed_id is None:
        return Outcome.NO_FEED

    params = {"feed_id": message.feed_id}
    row = conn.execute(_LOCK_SCHEDULE, params).fetchone()
    if row is None and conn.execute(_FEED_EXISTS, params).fetchone() is None:
        return Outcome.DELETED
    if row is not None and row["state"] == "cancelled":
        return Outcome.CANCELLED

    if row is not None and _row_expects(row, message):
        params = {"feed_id": message.feed_id, "message_id": message.message_id}
        conn.execute(_TOUCH_QUEUED, params)
        return Outcome.REQUEUED

    if message.token is not None:
        params = {"feed_id": message.feed_id, "token": message.token}
        conn.execute(_RELEASE_RUN, params)
    scheduler.force(conn, message.feed_id)
    return Outcome.RESCHEDULED


def _row_expects(row: dict[str, Any], message: _Rejected) -> bool:
    return (
        row["state"] == "queued"
        and row["message_id"] == message.message_id
        and row["token"] == message.token
    )


# -- purge ----------------------------------------------------------------------

_PURGE = """
DELETE FROM dramatiq.queue
WHERE "state" IN ('done', 'rejected')
  AND mtime < now() - make_interval(days => %(days)s)
"""


def purge(conn: Connection, *, older_than_days: int) -> int:
    """Delete done and rejected messages older than the given days.

    Age is measured from mtime, the time of the message's last state change.
    Returns the number of deleted messages.
    """
    deleted = conn.execute(_PURGE, {"days": older_than_days}).rowcount
    logger.info("purged finished messages", extra={"count": deleted})
    return deleted
