"""Rows for the status page tests, inserted directly in every table it reads."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from psycopg.types.json import Jsonb

SCRIPT_URL = "https://example.com/<script>alert('status')</script>?a=1&b=2"


def insert_feed(conn, url: str, *, last_fetch_status: str | None = None) -> uuid.UUID:
    row = conn.execute(
        "INSERT INTO feeds (user_id, url, last_fetch_status) VALUES (%s, %s, %s) "
        "RETURNING id",
        (uuid.uuid4(), url, last_fetch_status),
    ).fetchone()
    return row["id"]


def insert_run(
    conn,
    feed_id: uuid.UUID,
    *,
    status: str,
    started_at: datetime,
    error_code: str | None = None,
) -> None:
    conn.execute(
        "INSERT INTO feed_runs (feed_id, user_id, started_at, duration_ms, status, "
        "error_code) SELECT id, user_id, %s, 100, %s, %s FROM feeds WHERE id = %s",
        (started_at, status, error_code, feed_id),
    )


def insert_schedule(
    conn, feed_id: uuid.UUID, *, state: str, next_run_at: datetime
) -> None:
    conn.execute(
        "INSERT INTO feed_schedule (feed_id, state, priority, next_run_at, reason, "
        "token) VALUES (%s, %s, 2, %s, 'interval', gen_random_uuid())",
        (feed_id, state, next_run_at),
    )


def insert_message(conn, *, state: str, queue_name: str = "default") -> None:
    message = {"actor_name": "refresh_feed", "args": [str(uuid.uuid4())]}
    conn.execute(
        "INSERT INTO dramatiq.queue (message_id, queue_name, state, message) "
        "VALUES (%s, %s, %s, %s)",
        (uuid.uuid4(), queue_name, state, Jsonb(message)),
    )


def database_now(conn) -> datetime:
    return conn.execute("SELECT now() AS now").fetchone()["now"]


@dataclass(frozen=True)
class Seeded:
    """What ``seed_status_rows`` inserted, for the checks that need it."""

    now: datetime
    script_feed_id: uuid.UUID
    queue_states: dict[str, int]
    schedule_states: dict[str, int]
    fetch_statuses: dict[str, int]
    min_lag_seconds: float
    failed_runs: int


QUEUE_MESSAGES = {"queued": 3, "consumed": 1, "rejected": 2, "done": 4}
# Minutes ago and the runs that started then: (successes, failures).
RUNS_BY_MINUTE = {0: (1, 0), 3: (2, 1), 10: (4, 0), 25: (0, 3), 40: (6, 2), 58: (1, 1)}
# Failures of this feed more than an hour ago: listed as recent failures but
# outside the chart.
OLD_FAILURES = 20
LATEST_DUE_LAG = timedelta(seconds=30)
OLDEST_DUE_LAG = timedelta(seconds=150)


def seed_status_rows(conn) -> Seeded:
    """Insert six feeds, their schedule rows, an hour of runs and queue messages."""
    now = database_now(conn)
    ok = insert_feed(conn, "https://example.com/ok.xml", last_fetch_status="success")
    ok_too = insert_feed(conn, "https://example.org/rss", last_fetch_status="success")
    script = insert_feed(conn, SCRIPT_URL, last_fetch_status="failed")
    failed = insert_feed(conn, "https://example.net/gone", last_fetch_status="failed")
    fresh = insert_feed(conn, "https://example.com/new.xml")
    fresh_too = insert_feed(conn, "https://example.com/newer.xml")

    insert_schedule(conn, ok, state="scheduled", next_run_at=now - OLDEST_DUE_LAG)
    insert_schedule(conn, ok_too, state="scheduled", next_run_at=now - LATEST_DUE_LAG)
    insert_schedule(conn, script, state="queued", next_run_at=now)
    insert_schedule(conn, failed, state="running", next_run_at=now)
    insert_schedule(
        conn, fresh, state="scheduled", next_run_at=now + timedelta(hours=1)
    )
    insert_schedule(conn, fresh_too, state="cancelled", next_run_at=now)

    failed_runs = _insert_runs(conn, now, ok, script)
    for index in range(OLD_FAILURES):
        started = now - timedelta(hours=2, minutes=index)
        insert_run(conn, failed, status="failed", started_at=started, error_code="dns")
    for state, count in QUEUE_MESSAGES.items():
        for _ in range(count):
            insert_message(conn, state=state)

    return Seeded(
        now=now,
        script_feed_id=script,
        queue_states=dict(QUEUE_MESSAGES),
        schedule_states={"scheduled": 3, "queued": 1, "running": 1, "cancelled": 1},
        fetch_statuses={"success": 2, "failed": 2, "never": 2},
        min_lag_seconds=OLDEST_DUE_LAG.total_seconds(),
        failed_runs=failed_runs + OLD_FAILURES,
    )


def _insert_runs(conn, now: datetime, ok: uuid.UUID, script: uuid.UUID) -> int:
    """Insert RUNS_BY_MINUTE a few seconds into each minute; return the failures."""
    failures = 0
    for minutes_ago, (successes, failed) in RUNS_BY_MINUTE.items():
        started = now - timedelta(minutes=minutes_ago, seconds=5)
        for _ in range(successes):
            insert_run(conn, ok, status="success", started_at=started)
        for _ in range(failed):
            insert_run(
                conn, script, status="failed", started_at=started, error_code="parse"
            )
        failures += failed
    return failures
