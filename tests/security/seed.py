"""Rows of the users that the security tests attack or act as."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from feeds import subscriptions
from tests.api.rows import insert_article, insert_run

BASE_TIME = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
ARTICLES_PER_FEED = 3


@dataclass(frozen=True)
class SeededFeed:
    id: uuid.UUID
    url: str
    title: str


@dataclass(frozen=True)
class SeededUser:
    id: uuid.UUID
    feeds: tuple[SeededFeed, ...]


def seed_user(conn, name: str, feed_count: int = 2) -> SeededUser:
    """Create a user's feeds, each with a schedule row, articles and runs."""
    user_id = uuid.uuid4()
    feeds = tuple(
        SeededFeed(
            uuid.uuid4(), f"https://{name}.example.com/{index}.xml", f"{name} {index}"
        )
        for index in range(feed_count)
    )
    user = SeededUser(user_id, feeds)
    restore_user(conn, user)
    return user


def restore_user(conn, user: SeededUser) -> None:
    """Recreate whatever a test deleted of the user's seeded feeds.

    Feeds that still exist keep their current values, so a changed title or
    URL stays changed.
    """
    for feed in user.feeds:
        if _feed_exists(conn, feed.id):
            continue
        _create_feed(conn, user.id, feed)
        for index in range(ARTICLES_PER_FEED):
            insert_article(
                conn,
                feed.id,
                user.id,
                title=f"{feed.id}-{index}",
                published_at=BASE_TIME - timedelta(hours=index),
            )
        insert_run(conn, feed.id, user.id, status="success", started_at=BASE_TIME)
        insert_run(
            conn,
            feed.id,
            user.id,
            status="failed",
            started_at=BASE_TIME + timedelta(hours=1),
            error_code="timeout",
        )


def _feed_exists(conn, feed_id: uuid.UUID) -> bool:
    row = conn.execute("SELECT 1 FROM feeds WHERE id = %s", (feed_id,)).fetchone()
    return row is not None


def _create_feed(conn, user_id: uuid.UUID, feed: SeededFeed) -> None:
    # A URL taken by a test's change of another feed gets a unique suffix.
    url = feed.url
    url_in_use = conn.execute(
        "SELECT 1 FROM feeds WHERE user_id = %s AND url = %s", (user_id, url)
    ).fetchone()
    if url_in_use:
        url = f"{url}?restored={uuid.uuid4()}"
    subscriptions.create_feed(conn, user_id, url, title=feed.title, feed_id=feed.id)


def user_rows(conn, user_id: uuid.UUID) -> dict[str, list[dict]]:
    """Return every row of the user that the API could read or change."""
    return {
        "feeds": conn.execute(
            "SELECT * FROM feeds WHERE user_id = %s ORDER BY id", (user_id,)
        ).fetchall(),
        "schedule": conn.execute(
            "SELECT s.* FROM feed_schedule s JOIN feeds f ON f.id = s.feed_id "
            "WHERE f.user_id = %s ORDER BY s.feed_id",
            (user_id,),
        ).fetchall(),
        "articles": conn.execute(
            "SELECT * FROM articles WHERE user_id = %s ORDER BY id", (user_id,)
        ).fetchall(),
        "runs": conn.execute(
            "SELECT * FROM feed_runs WHERE user_id = %s ORDER BY id", (user_id,)
        ).fetchall(),
    }


def secret_strings(user: SeededUser) -> list[str]:
    """Values of the user's rows that must never appear in another user's response."""
    values = [str(user.id)]
    for feed in user.feeds:
        values += [str(feed.id), feed.url, feed.title]
    return values
