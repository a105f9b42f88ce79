"""Insert rows directly, for states the API cannot produce on its own."""

import uuid
from datetime import datetime


def insert_feed(
    conn,
    user_id: uuid.UUID,
    url: str,
    *,
    refresh_interval: int = 60,
    last_fetched: datetime | None = None,
) -> uuid.UUID:
    """Insert a feed without a schedule row and return its id."""
    row = conn.execute(
        "INSERT INTO feeds (user_id, url, refresh_interval, last_fetched) "
        "VALUES (%s, %s, %s, %s) RETURNING id",
        (user_id, url, refresh_interval, last_fetched),
    ).fetchone()
    return row["id"]


def insert_schedule(
    conn,
    feed_id: uuid.UUID,
    *,
    state: str,
    started: bool = False,
    priority: int = 2,
) -> None:
    conn.execute(
        "INSERT INTO feed_schedule (feed_id, state, priority, next_run_at, reason, "
        "token, started_at) VALUES (%s, %s, %s, now(), 'interval', "
        "gen_random_uuid(), CASE WHEN %s THEN now() END)",
        (feed_id, state, priority, started),
    )


def insert_article(
    conn,
    feed_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    title: str,
    published_at: datetime,
) -> uuid.UUID:
    row = conn.execute(
        "INSERT INTO articles (feed_id, user_id, title, url, published_at, content, "
        "summary, author) VALUES (%s, %s, %s, %s, %s, 'Body', 'Summary', 'Ann') "
        "RETURNING id",
        (feed_id, user_id, title, f"https://example.com/{title}", published_at),
    ).fetchone()
    return row["id"]


def insert_run(
    conn,
    feed_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    status: str,
    started_at: datetime,
    error_code: str | None = None,
) -> None:
    conn.execute(
        "INSERT INTO feed_runs (feed_id, user_id, started_at, duration_ms, status, "
        "http_status, bytes_received, articles_added, error_code, error) "
        "VALUES (%s, %s, %s, 120, %s, 200, 2048, 3, %s, %s)",
        (
            feed_id,
            user_id,
            started_at,
            status,
            error_code,
            None if error_code is None else "request failed",
        ),
    )
