"""The PostgreSQL scheduler: one ``feed_schedule`` row per feed.

Future runs stay in the table. ``dispatch`` turns due rows into Dramatiq
messages in the transaction that marks them queued, so a crash can neither
lose nor double a refresh. Every reschedule and cancel writes a new token; a
message whose token no longer matches is stale and its refresh is dropped.

States: scheduled -> queued (dispatch) -> running (start_run) -> scheduled
(finish_run), and any state -> cancelled. A row keeps ``started_at`` while a
refresh executes, whatever its state, and ``dispatch`` skips such rows, so at
most one refresh of a feed is pending or running at a time.
"""

import enum
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from psycopg import Connection

from feeds.db import LOCK_NAMESPACE_DISPATCH, SCHEDULE_CHANNEL
from feeds.retries import MAX_BACKOFF_MS
from feeds.settings import Settings

logger = logging.getLogger(__name__)

REFRESH_QUEUE = "feeds"
MANUAL_QUEUE = "feeds-manual"
REFRESH_ACTOR = "refresh_feed"
MANUAL_ACTOR = "refresh_feed_manual"
WORKER_HEARTBEAT_TTL_SECONDS = 30


class Priority(enum.IntEnum):
    """Lower values start first."""

    MANUAL = 0
    OVERDUE = 1
    NORMAL = 2

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Delay:
    seconds: float
    priority: Priority


def compute_delay(
    *,
    refresh_interval_minutes: int,
    last_fetched: datetime | None,
    force: bool,
    now: datetime,
) -> Delay:
    """Apply the reader app's delay and priority rule.

    A forced refresh runs now with manual priority. A feed fetched before runs
    one interval after that fetch, and counts as overdue once two intervals
    have passed. A feed never fetched runs now with normal priority.
    """
    if force:
        return Delay(0.0, Priority.MANUAL)
    if last_fetched is None:
        return Delay(0.0, Priority.NORMAL)

    interval = timedelta(minutes=refresh_interval_minutes)
    delay = max(0.0, (last_fetched + interval - now).total_seconds())
    overdue = now > last_fetched + 2 * interval
    return Delay(delay, Priority.OVERDUE if overdue else Priority.NORMAL)


_SCHEDULE = """
INSERT INTO feed_schedule (feed_id, state, priority, next_run_at, reason, token)
VALUES (%(feed_id)s, 'scheduled', %(priority)s,
        now() + make_interval(secs => %(delay)s), %(reason)s, gen_random_uuid())
ON CONFLICT (feed_id) DO UPDATE SET
    state = 'scheduled',
    priority = EXCLUDED.priority,
    next_run_at = EXCLUDED.next_run_at,
    reason = EXCLUDED.reason,
    token = EXCLUDED.token,
    message_id = NULL,
    queued_at = NULL,
    updated_at = now()
WHERE feed_schedule.state IN ('scheduled', 'cancelled')
"""

# A forced refresh replaces any pending run unless a manual run is already
# pending: then the existing one serves, so forcing twice gives one run.
_FORCE = """
INSERT INTO feed_schedule (feed_id, state, priority, next_run_at, reason, token)
VALUES (%(feed_id)s, 'scheduled', 0, now(), 'manual', gen_random_uuid())
ON CONFLICT (feed_id) DO UPDATE SET
    state = 'scheduled',
    priority = 0,
    next_run_at = now(),
    reason = 'manual',
    token = EXCLUDED.token,
    message_id = NULL,
    queued_at = NULL,
    updated_at = now()
WHERE NOT (feed_schedule.priority = 0
           AND feed_schedule.state IN ('scheduled', 'queued')
           AND feed_schedule.next_run_at <= now())
"""

_CANCEL = """
UPDATE feed_schedule
SET state = 'cancelled', token = gen_random_uuid(), message_id = NULL,
    queued_at = NULL, updated_at = now()
WHERE feed_id = %(feed_id)s
"""

_NOTIFY = "SELECT pg_notify(%(channel)s, %(feed_id)s)"


def schedule(
    conn: Connection, feed_id: uuid.UUID, delay: Delay, *, reason: str = "interval"
) -> bool:
    """Schedule the feed's next refresh; a pending or running one is kept.

    Returns True when the row changed. A forced delay (manual priority) goes
    through ``force`` instead.
    """
    if delay.priority is Priority.MANUAL:
        return force(conn, feed_id)

    params = {
        "feed_id": feed_id,
        "priority": int(delay.priority),
        "delay": delay.seconds,
        "reason": reason,
    }
    changed = conn.execute(_SCHEDULE, params).rowcount == 1
    if changed and delay.seconds == 0:
        _notify(conn, feed_id)
    return changed


def force(conn: Connection, feed_id: uuid.UUID) -> bool:
    """Request a manual refresh now; returns True when the row changed."""
    changed = conn.execute(_FORCE, {"feed_id": feed_id}).rowcount == 1
    if changed:
        _notify(conn, feed_id)
    return changed


def cancel(conn: Connection, feed_id: uuid.UUID) -> None:
    """Cancel the feed's schedule; a queued message for it becomes stale."""
    conn.execute(_CANCEL, {"feed_id": feed_id})


_INIT_USER = """
WITH created AS (
    INSERT INTO feed_schedule (feed_id, state, priority, next_run_at, reason, token)
    SELECT f.id, 'scheduled',
           CASE WHEN now() > f.last_fetched + 2 * i.interval THEN 1 ELSE 2 END,
           greatest(now(), coalesce(f.last_fetched + i.interval, now())),
           'interval', gen_random_uuid()
    FROM feeds f
    CROSS JOIN LATERAL (
        SELECT make_interval(mins => f.refresh_interval) AS interval
    ) i
    WHERE f.user_id = %(user_id)s
    ON CONFLICT (feed_id) DO NOTHING
    RETURNING 1
)
SELECT count(*) AS scheduled FROM created
"""


def init_user(conn: Connection, user_id: uuid.UUID) -> int:
    """Schedule every feed of the user that has no schedule row yet.

    One set-based statement applying the same rule as ``compute_delay``;
    calling it again schedules nothing more.
    """
    row = conn.execute(_INIT_USER, {"user_id": user_id}).fetchone()
    if row["scheduled"]:
        _notify(conn, None)
    return row["scheduled"]


def _notify(conn: Connection, feed_id: uuid.UUID | None) -> None:
    payload = str(feed_id) if feed_id else ""
    conn.execute(_NOTIFY, {"channel": SCHEDULE_CHANNEL, "feed_id": payload})


# -- dispatch -----------------------------------------------------------------

_CAPACITY = """
SELECT
    (SELECT coalesce(sum(threads), 0) FROM worker_heartbeats
     WHERE seen_at > now() - make_interval(secs => %(heartbeat_ttl)s)) AS threads,
    (SELECT count(*) FROM feed_schedule WHERE state = 'queued') AS queued
"""

# Due rows become messages in the statement that marks them queued, one per
# URL: while a refresh of a URL is queued or running, other feeds of that URL
# wait, and the refresh takes along those that are due (shared fetching). The
# message JSON is what dramatiq.Message.asdict() produces; the notification is
# what dramatiq-pg's consumers LISTEN for.
#
# OFFSET 0 keeps the URL check a subplan that runs per due row on feeds_url_idx.
# Without it the planner builds an anti join over every queued or running row,
# so the cost of each dispatch grew with the refreshes in flight.
_DISPATCH = """
WITH candidates AS (
    SELECT s.feed_id, s.priority, s.next_run_at, f.url
    FROM feed_schedule s JOIN feeds f ON f.id = s.feed_id
    WHERE s.state = 'scheduled'
      AND s.next_run_at <= now()
      AND (s.priority = 0 OR NOT %(manual_only)s)
      AND (s.started_at IS NULL
           OR s.started_at < now() - make_interval(secs => %(running_timeout)s))
      AND NOT EXISTS (
          SELECT 1
          FROM feeds me
          JOIN feeds other ON other.url = me.url AND other.id <> me.id
          JOIN feed_schedule o ON o.feed_id = other.id
          WHERE me.id = s.feed_id
            AND (o.state = 'queued'
                 OR o.started_at >= now()
                    - make_interval(secs => %(running_timeout)s))
          OFFSET 0)
    ORDER BY s.priority, s.next_run_at
    LIMIT %(limit)s
    FOR UPDATE OF s SKIP LOCKED
), due AS (
    SELECT feed_id FROM (
        SELECT feed_id,
               row_number() OVER (PARTITION BY url ORDER BY priority, next_run_at)
                   AS position
        FROM candidates
    ) ranked
    WHERE position = 1
), queued AS (
    UPDATE feed_schedule s
    SET state = 'queued', queued_at = now(), message_id = gen_random_uuid(),
        started_at = NULL, run_token = NULL, updated_at = now()
    FROM due
    WHERE s.feed_id = due.feed_id
    RETURNING s.feed_id, s.token, s.priority, s.message_id
), messages AS (
    SELECT q.message_id,
           CASE WHEN q.priority = 0 THEN %(manual_queue)s ELSE %(queue)s END
               AS queue_name,
           CASE WHEN q.priority = 0 THEN %(manual_actor)s ELSE %(actor)s END
               AS actor_name,
           q.feed_id, q.token
    FROM queued q
), inserted AS (
    INSERT INTO dramatiq.queue (message_id, queue_name, "state", message)
    SELECT m.message_id, m.queue_name, 'queued',
           jsonb_build_object(
               'queue_name', m.queue_name,
               'actor_name', m.actor_name,
               'args', jsonb_build_array(m.feed_id::text, m.token::text),
               'kwargs', '{}'::jsonb,
               'options', '{}'::jsonb,
               'message_id', m.message_id::text,
               'message_timestamp',
                   (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
    FROM messages m
    RETURNING queue_name, message
)
SELECT pg_notify('dramatiq.' || queue_name || '.enqueue', message::text)
FROM inserted
"""


@dataclass(frozen=True)
class Timeouts:
    """How long a row may stay queued or running before it is recovered."""

    queued_seconds: float
    running_seconds: float


def stale_timeouts(settings: Settings) -> Timeouts:
    """Derive the recovery timeouts from the refresh time limit.

    An attempt lasts at most the time limit, and a retry waits at most the
    maximum backoff. A queued message may wait behind one full queue.
    """
    limit = settings.refresh_time_limit_seconds
    backoff = MAX_BACKOFF_MS / 1000
    margin = settings.stale_margin_seconds
    return Timeouts(
        queued_seconds=2 * limit + backoff + margin,
        running_seconds=limit + backoff + margin,
    )


def dispatch(conn: Connection, timeouts: Timeouts, *, depth_per_thread: int) -> int:
    """Queue due refreshes, keeping the queue shallow; returns messages sent.

    Manual refreshes are queued whatever the depth. Other due rows fill the
    queue up to ``depth_per_thread`` messages per live worker thread; the rest
    wait in the indexed table. One dispatcher runs a round at a time.
    """
    with conn.transaction():
        if not _try_dispatch_lock(conn):
            return 0

        sent = _dispatch_rows(conn, timeouts, limit=1000, manual_only=True)
        capacity = conn.execute(
            _CAPACITY, {"heartbeat_ttl": WORKER_HEARTBEAT_TTL_SECONDS}
        ).fetchone()
        room = capacity["threads"] * depth_per_thread - capacity["queued"]
        if room > 0:
            sent += _dispatch_rows(conn, timeouts, limit=room, manual_only=False)
        return sent


@dataclass(frozen=True)
class DispatchRound:
    """Messages sent, and seconds until the next scheduled row is due (or None)."""

    sent: int
    next_due_seconds: float | None


def dispatch_round(
    conn: Connection, timeouts: Timeouts, *, depth_per_thread: int
) -> DispatchRound:
    """Dispatch, then read when the next row is due, both at the same now().

    Read in a separate statement, a row that became due just after the
    dispatch would look overdue yet not dispatched, and the dispatcher would
    sleep its full interval instead of coming back for it.
    """
    with conn.transaction():
        sent = dispatch(conn, timeouts, depth_per_thread=depth_per_thread)
        return DispatchRound(sent, seconds_until_next_due(conn))


def _try_dispatch_lock(conn: Connection) -> bool:
    row = conn.execute(
        "SELECT pg_try_advisory_xact_lock(%(ns)s, 0) AS locked",
        {"ns": LOCK_NAMESPACE_DISPATCH},
    ).fetchone()
    return row["locked"]


def _dispatch_rows(
    conn: Connection, timeouts: Timeouts, *, limit: int, manual_only: bool
) -> int:
    params = {
        "limit": limit,
        "manual_only": manual_only,
        "running_timeout": timeouts.running_seconds,
        "queue": REFRESH_QUEUE,
        "manual_queue": MANUAL_QUEUE,
        "actor": REFRESH_ACTOR,
        "manual_actor": MANUAL_ACTOR,
    }
    return conn.execute(_DISPATCH, params).rowcount


# A killed worker's claimed messages stay 'consumed', and dramatiq-pg rescans
# them only when a consumer starts or on a rare random poll. The recovery
# marks each row's old message done, because its token is replaced anyway.
_RECOVER = """
WITH stale AS (
    SELECT feed_id, message_id FROM feed_schedule
    WHERE (state = 'queued'
           AND queued_at < now() - make_interval(secs => %(queued_timeout)s))
       OR (state = 'running'
           AND started_at < now() - make_interval(secs => %(running_timeout)s))
    FOR UPDATE
), recovered AS (
    UPDATE feed_schedule s
    SET state = 'scheduled', next_run_at = now(), reason = 'recovered',
        token = gen_random_uuid(), message_id = NULL, queued_at = NULL,
        started_at = NULL, run_token = NULL, updated_at = now()
    FROM stale
    WHERE s.feed_id = stale.feed_id
    RETURNING s.feed_id
), retired AS (
    UPDATE dramatiq.queue q SET "state" = 'done'
    FROM stale
    WHERE q.message_id = stale.message_id AND q."state" IN ('queued', 'consumed')
)
SELECT feed_id FROM recovered
"""


def recover_stale(conn: Connection, timeouts: Timeouts) -> list[uuid.UUID]:
    """Reschedule rows whose message or refresh was lost (a killed worker).

    Their old messages are marked done, so no consumer picks them up again.
    A refresh still running from one no longer owns the row, because the
    row's token was replaced.
    """
    params = {
        "queued_timeout": timeouts.queued_seconds,
        "running_timeout": timeouts.running_seconds,
    }
    rows = conn.execute(_RECOVER, params).fetchall()
    for row in rows:
        logger.warning(
            "recovered stale schedule row", extra={"feed_id": row["feed_id"]}
        )
    return [row["feed_id"] for row in rows]


# One index lookup per priority on feed_schedule_due_idx: a plain min() over
# the scheduled rows scans all of them, and the dispatcher runs this query
# every time it wakes.
_NEXT_DUE = """
SELECT extract(epoch FROM min(first.next_run_at) - now()) AS wait
FROM unnest(%(priorities)s::smallint[]) AS p(priority)
CROSS JOIN LATERAL (
    SELECT min(next_run_at) AS next_run_at FROM feed_schedule
    WHERE state = 'scheduled' AND priority = p.priority
) first
"""


def seconds_until_next_due(conn: Connection) -> float | None:
    """Return how long until the earliest scheduled row is due, or None."""
    priorities = [int(priority) for priority in Priority]
    row = conn.execute(_NEXT_DUE, {"priorities": priorities}).fetchone()
    return None if row["wait"] is None else float(row["wait"])


# -- the refresh's side ---------------------------------------------------------

# Starting frees a place in the queue, so the statement also wakes the
# dispatchers.
_START = """
WITH started AS (
    UPDATE feed_schedule
    SET state = 'running', started_at = now(), run_token = token, updated_at = now()
    WHERE feed_id = %(feed_id)s AND token = %(token)s AND state = 'queued'
    RETURNING feed_id
)
SELECT pg_notify(%(channel)s, feed_id::text) FROM started
"""


def start_run(conn: Connection, feed_id: uuid.UUID, token: uuid.UUID) -> bool:
    """Mark the refresh running; False means the message is stale."""
    params = {"feed_id": feed_id, "token": token, "channel": SCHEDULE_CHANNEL}
    return conn.execute(_START, params).rowcount == 1


_REQUEUE_FOR_RETRY = """
UPDATE feed_schedule
SET state = 'queued', queued_at = now(), started_at = NULL, run_token = NULL,
    updated_at = now()
WHERE feed_id = %(feed_id)s AND token = %(token)s AND state = 'running'
"""


def await_retry(conn: Connection, feed_id: uuid.UUID, token: uuid.UUID) -> bool:
    """Put a running refresh back to queued while its retry message waits."""
    params = {"feed_id": feed_id, "token": token}
    return conn.execute(_REQUEUE_FOR_RETRY, params).rowcount == 1


_FINISH = """
UPDATE feed_schedule
SET state = CASE WHEN %(next_run_at)s::timestamptz IS NULL
                 THEN 'cancelled' ELSE 'scheduled' END,
    priority = 2, next_run_at = coalesce(%(next_run_at)s, now()),
    reason = %(reason)s, token = gen_random_uuid(), message_id = NULL,
    queued_at = NULL, started_at = NULL, run_token = NULL, updated_at = now()
WHERE feed_id = %(feed_id)s AND token = %(token)s AND state = 'running'
"""

_RELEASE = """
UPDATE feed_schedule SET started_at = NULL, run_token = NULL, updated_at = now()
WHERE feed_id = %(feed_id)s AND run_token = %(token)s
"""


def finish_run(
    conn: Connection,
    feed_id: uuid.UUID,
    token: uuid.UUID,
    *,
    next_run_at: datetime | None,
    reason: str,
) -> bool:
    """Schedule the next run after a refresh, unless the row changed meanwhile.

    ``next_run_at`` None stops scheduling (the row becomes cancelled), as for a
    feed that returned 410 Gone.

    When the feed was cancelled or rescheduled during the refresh, the row
    keeps what that change wrote and is only released. Returns True when the
    next run was scheduled.
    """
    params = {
        "feed_id": feed_id,
        "token": token,
        "next_run_at": next_run_at,
        "reason": reason,
    }
    if conn.execute(_FINISH, params).rowcount == 1:
        return True
    conn.execute(_RELEASE, params)
    return False


_DEFER = """
UPDATE feed_schedule
SET state = 'scheduled', next_run_at = %(run_at)s, reason = %(reason)s,
    token = gen_random_uuid(), message_id = NULL, queued_at = NULL,
    started_at = NULL, run_token = NULL, updated_at = now()
WHERE feed_id = %(feed_id)s AND token = %(token)s AND state = 'running'
"""


def defer_run(
    conn: Connection,
    feed_id: uuid.UUID,
    token: uuid.UUID,
    *,
    run_at: datetime,
    reason: str = "domain_wait",
) -> bool:
    """Put a running refresh back into the table to start at ``run_at``."""
    params = {"feed_id": feed_id, "token": token, "run_at": run_at, "reason": reason}
    if conn.execute(_DEFER, params).rowcount == 1:
        return True
    conn.execute(_RELEASE, params)
    return False


# Feeds of other users with the same URL that are due now join a running
# refresh, so one request serves every subscriber of a URL per due time.
_CLAIM_SAME_URL = """
UPDATE feed_schedule s
SET state = 'running', started_at = now(), run_token = s.token, message_id = NULL,
    queued_at = NULL, updated_at = now()
FROM feeds f
WHERE f.id = s.feed_id AND f.url = %(url)s AND s.feed_id <> %(feed_id)s
  AND s.state IN ('scheduled', 'queued') AND s.next_run_at <= now()
  AND s.started_at IS NULL
RETURNING s.feed_id, s.token
"""

_RELEASE_CLAIMED = """
UPDATE feed_schedule
SET state = 'scheduled', started_at = NULL, run_token = NULL, updated_at = now()
WHERE feed_id = ANY(%(feed_ids)s) AND state = 'running' AND run_token = token
"""


def claim_same_url(
    conn: Connection, feed_id: uuid.UUID, url: str
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Mark other due feeds of ``url`` running; returns their (feed_id, token).

    Their queued messages, if any, then find the row running and are dropped.
    """
    rows = conn.execute(_CLAIM_SAME_URL, {"feed_id": feed_id, "url": url}).fetchall()
    return [(row["feed_id"], row["token"]) for row in rows]


def release_claimed(conn: Connection, feed_ids: list[uuid.UUID]) -> None:
    """Hand claimed feeds back to the dispatcher, still due."""
    if feed_ids:
        conn.execute(_RELEASE_CLAIMED, {"feed_ids": feed_ids})


# -- worker registry ------------------------------------------------------------

_HEARTBEAT = """
INSERT INTO worker_heartbeats (worker_id, hostname, pid, threads)
VALUES (%(worker_id)s, %(hostname)s, %(pid)s, %(threads)s)
ON CONFLICT (worker_id) DO UPDATE SET seen_at = now(), threads = EXCLUDED.threads
"""


def heartbeat(
    conn: Connection, *, worker_id: str, hostname: str, pid: int, threads: int
) -> None:
    """Record that a worker process is alive and how many threads it runs."""
    params = {
        "worker_id": worker_id,
        "hostname": hostname,
        "pid": pid,
        "threads": threads,
    }
    conn.execute(_HEARTBEAT, params)
    conn.execute(
        "DELETE FROM worker_heartbeats WHERE seen_at < now() - interval '1 hour'"
    )


def remove_worker(conn: Connection, worker_id: str) -> None:
    conn.execute(
        "DELETE FROM worker_heartbeats WHERE worker_id = %(worker_id)s",
        {"worker_id": worker_id},
    )
