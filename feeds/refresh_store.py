"""The rows a refresh reads and writes: the feed and its outcome.

An outcome is written in one transaction: new articles, the feed's status
fields, a history row and the next schedule row.
"""

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from psycopg import Connection

from feeds import articles, runs, scheduler
from feeds.fetch.model import FetchResult, Validators
from feeds.next_run import NextRun
from feeds.parse.model import ParsedFeed
from feeds.runs import MAX_ERROR_LENGTH


@dataclass(frozen=True)
class FeedToRefresh:
    id: uuid.UUID
    user_id: uuid.UUID
    url: str
    title: str | None
    refresh_interval: int
    consecutive_failures: int
    validators: Validators
    never_succeeded: bool


_LOAD = """
SELECT f.id, f.user_id, f.url, f.title, f.refresh_interval, f.consecutive_failures,
       f.etag, f.last_modified, f.body_sha256,
       f.last_fetch_status IS DISTINCT FROM 'success'
       AND NOT EXISTS (SELECT 1 FROM articles a WHERE a.feed_id = f.id)
           AS never_succeeded
FROM feeds f WHERE f.id = %(feed_id)s
"""


def begin(
    conn: Connection, feed_id: uuid.UUID, token: uuid.UUID
) -> FeedToRefresh | None:
    """Mark the refresh running and load the feed; None when the message is stale.

    Runs in the caller's transaction.
    """
    if not scheduler.start_run(conn, feed_id, token):
        return None
    return load(conn, feed_id)


def load(conn: Connection, feed_id: uuid.UUID) -> FeedToRefresh | None:
    row = conn.execute(_LOAD, {"feed_id": feed_id}).fetchone()
    return _feed_from_row(row) if row else None


def _feed_from_row(row: dict) -> FeedToRefresh:
    validators = Validators(
        etag=row["etag"],
        last_modified=row["last_modified"],
        body_sha256=row["body_sha256"],
    )
    return FeedToRefresh(
        id=row["id"],
        user_id=row["user_id"],
        url=row["url"],
        title=row["title"],
        refresh_interval=row["refresh_interval"],
        consecutive_failures=row["consecutive_failures"],
        validators=validators,
        never_succeeded=row["never_succeeded"],
    )


_SUCCESS = """
UPDATE feeds SET
    last_fetched = %(fetched_at)s,
    last_fetch_status = 'success',
    last_fetch_error = NULL,
    last_error_code = NULL,
    consecutive_failures = 0,
    title = coalesce(title, %(title)s),
    etag = %(etag)s,
    last_modified = %(last_modified)s,
    body_sha256 = %(body_sha256)s,
    updated_at = now()
WHERE id = %(feed_id)s
"""

# A permanent redirect moves the stored URL unless the user already has the
# target URL as another feed.
_MOVE = """
UPDATE feeds SET url = %(url)s
WHERE id = %(feed_id)s AND NOT EXISTS (
    SELECT 1 FROM feeds other
    WHERE other.user_id = %(user_id)s AND other.url = %(url)s
)
"""


_SWITCH_URL = """
UPDATE feeds SET url = %(url)s, etag = NULL, last_modified = NULL,
       body_sha256 = NULL, updated_at = now()
WHERE id = %(feed_id)s AND NOT EXISTS (
    SELECT 1 FROM feeds other
    WHERE other.user_id = %(user_id)s AND other.url = %(url)s
)
"""


def switch_to_discovered(
    conn: Connection, feed: FeedToRefresh, url: str
) -> FeedToRefresh | None:
    """Point a feed at the feed its HTML page links to (feed discovery).

    Returns the updated feed, or None when the user already has that URL.
    """
    params = {"feed_id": feed.id, "user_id": feed.user_id, "url": url}
    with conn.transaction():
        if conn.execute(_SWITCH_URL, params).rowcount == 0:
            return None
    return replace(feed, url=url, validators=Validators(), never_succeeded=False)


@dataclass(frozen=True)
class Attempt:
    """The message's identity and when the refresh started.

    ``co_subscribers`` are other users' feeds of the same URL that were due
    and share this fetch; each keeps its own token and schedule.
    """

    feed: FeedToRefresh
    token: uuid.UUID
    message_id: uuid.UUID | None
    started_at: datetime
    monotonic_start: float
    co_subscribers: tuple["Attempt", ...] = ()

    @property
    def members(self) -> tuple["Attempt", ...]:
        return (self, *self.co_subscribers)

    def request_validators(self) -> Validators:
        """Send the validators only when every member stored the same ones."""
        if all(m.feed.validators == self.feed.validators for m in self.members):
            return self.feed.validators
        return Validators()


_LOAD_MANY = _LOAD.replace("WHERE f.id = %(feed_id)s", "WHERE f.id = ANY(%(feed_ids)s)")


def claim_co_subscribers(conn: Connection, attempt: Attempt) -> Attempt:
    """Add the other due feeds of the attempt's URL to it (shared fetching).

    Runs in the caller's transaction.
    """
    claims = dict(scheduler.claim_same_url(conn, attempt.feed.id, attempt.feed.url))
    if not claims:
        return attempt
    rows = conn.execute(_LOAD_MANY, {"feed_ids": list(claims)}).fetchall()

    members = tuple(
        replace(
            attempt, feed=_feed_from_row(row), token=claims[row["id"]], message_id=None
        )
        for row in rows
    )
    return replace(attempt, co_subscribers=members)


def release_co_subscribers(conn: Connection, attempt: Attempt) -> None:
    scheduler.release_claimed(conn, [m.feed.id for m in attempt.co_subscribers])


def save_success(
    conn: Connection,
    plans: list[tuple[Attempt, NextRun]],
    fetched: FetchResult,
    parsed: ParsedFeed | None,
    *,
    duration_ms: int,
) -> list[int]:
    """Store a successful refresh for every member; returns articles added each."""
    added_per_member = []
    with conn.transaction():
        for attempt, next_run in plans:
            added = _store_success(conn, attempt, fetched, parsed)
            _finish(conn, attempt, next_run, duration_ms, fetched=fetched, added=added)
            added_per_member.append(added)
    return added_per_member


def _store_success(
    conn: Connection,
    attempt: Attempt,
    fetched: FetchResult,
    parsed: ParsedFeed | None,
) -> int:
    feed = attempt.feed
    added = 0
    if parsed is not None:
        added = articles.insert_articles(
            conn,
            feed_id=feed.id,
            user_id=feed.user_id,
            entries=parsed.entries,
            seen_at=fetched.started_at,
        )
    conn.execute(_SUCCESS, _success_params(feed, fetched, parsed))
    if fetched.permanent_url and fetched.permanent_url != feed.url:
        params = {"feed_id": feed.id, "user_id": feed.user_id}
        conn.execute(_MOVE, {**params, "url": fetched.permanent_url})
    return added


def _success_params(
    feed: FeedToRefresh, fetched: FetchResult, parsed: ParsedFeed | None
) -> dict:
    return {
        "feed_id": feed.id,
        "fetched_at": fetched.started_at,
        "title": parsed.title if parsed else None,
        "etag": fetched.etag,
        "last_modified": fetched.last_modified,
        "body_sha256": fetched.body_sha256 or feed.validators.body_sha256,
    }


_FAILURE = """
UPDATE feeds SET
    last_fetched = %(fetched_at)s,
    last_fetch_status = 'failed',
    last_fetch_error = %(error)s,
    last_error_code = %(code)s,
    consecutive_failures = consecutive_failures + 1,
    updated_at = now()
WHERE id = %(feed_id)s
"""


@dataclass(frozen=True)
class Failure:
    code: str
    message: str
    http_status: int | None = None
    bytes_received: int | None = None

    @property
    def error(self) -> str:
        """The stored error: the code, then the message, at most 500 characters."""
        return f"{self.code}: {self.message}"[:MAX_ERROR_LENGTH]


def save_failure(
    conn: Connection,
    plans: list[tuple[Attempt, NextRun]],
    failure: Failure,
    *,
    duration_ms: int,
) -> None:
    """Store a failed refresh on every member and schedule each next run."""
    with conn.transaction():
        for attempt, next_run in plans:
            params = {
                "feed_id": attempt.feed.id,
                "fetched_at": attempt.started_at,
                "error": failure.error,
                "code": failure.code,
            }
            conn.execute(_FAILURE, params)
            _finish(conn, attempt, next_run, duration_ms, failure=failure)


def _finish(
    conn: Connection,
    attempt: Attempt,
    next_run: NextRun,
    duration_ms: int,
    *,
    fetched: FetchResult | None = None,
    added: int = 0,
    failure: Failure | None = None,
) -> None:
    scheduled = scheduler.finish_run(
        conn,
        attempt.feed.id,
        attempt.token,
        next_run_at=next_run.at,
        reason=next_run.reason,
    )
    run = runs.Run(
        feed_id=attempt.feed.id,
        user_id=attempt.feed.user_id,
        message_id=attempt.message_id,
        started_at=attempt.started_at,
        duration_ms=duration_ms,
        status="failed" if failure else "success",
        http_status=fetched.status if fetched else failure.http_status,
        bytes_received=fetched.bytes_received if fetched else failure.bytes_received,
        not_modified=bool(fetched and fetched.not_modified),
        articles_added=added,
        error_code=failure.code if failure else None,
        error=failure.error if failure else None,
        next_run_at=next_run.at if scheduled else None,
        next_run_reason=next_run.reason if scheduled else None,
    )
    runs.record_run(conn, run)
