"""The ``articles`` table: new entries stored once per user, read newest first."""

import base64
import binascii
import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from psycopg import Connection

from feeds.parse.model import Entry

ARTICLE_COLUMNS = """
    id, feed_id, user_id, title, content, summary, url, author, published_at,
    is_read, is_starred, thumbnail, created_at
"""

# One statement for the whole batch; ON CONFLICT keeps the first stored copy,
# so a refetch never moves published_at or resets read and starred flags.
_INSERT = """
INSERT INTO articles (
    feed_id, user_id, title, content, summary, url, author, published_at,
    thumbnail, entry_id, entry_key
)
SELECT %(feed_id)s, %(user_id)s, e.title, e.content, e.summary, e.url, e.author,
       coalesce(e.published_at, %(seen_at)s), e.thumbnail, e.entry_id, e.entry_key
FROM unnest(
    %(title)s::text[], %(content)s::text[], %(summary)s::text[], %(url)s::text[],
    %(author)s::text[], %(published_at)s::timestamptz[], %(thumbnail)s::text[],
    %(entry_id)s::text[], %(entry_key)s::text[]
) AS e(title, content, summary, url, author, published_at, thumbnail, entry_id,
       entry_key)
ON CONFLICT (url, user_id) DO NOTHING
"""


def insert_articles(
    conn: Connection,
    *,
    feed_id: uuid.UUID,
    user_id: uuid.UUID,
    entries: Sequence[Entry],
    seen_at: datetime,
) -> int:
    """Store entries not stored yet and return how many were added.

    An entry without a date gets ``seen_at``, the time of the fetch that first
    saw it. Each entry is stored under ``article_url``, so entries that share a
    link or have none stay distinct under the (url, user_id) constraint.
    """
    if not entries:
        return 0

    params: dict[str, Any] = {
        "feed_id": feed_id,
        "user_id": user_id,
        "seen_at": seen_at,
        "title": [e.title for e in entries],
        "content": [e.content for e in entries],
        "summary": [e.summary for e in entries],
        "url": [article_url(feed_id, e) for e in entries],
        "author": [e.author for e in entries],
        "published_at": [e.published_at for e in entries],
        "thumbnail": [e.thumbnail for e in entries],
        "entry_id": [e.entry_id for e in entries],
        "entry_key": [e.key for e in entries],
    }
    return conn.execute(_INSERT, params).rowcount


def article_url(feed_id: uuid.UUID, entry: Entry) -> str:
    """Return the URL an entry is stored under, unique per distinct entry.

    An entry keyed by its own link keeps that link. Entries that share a link
    get a fragment derived from their key, which opens the same page. An entry
    without a link is stored under its id or enclosure when that is an http(s)
    URL, else under a URN naming the feed and the key.
    """
    if entry.url and entry.key == entry.url:
        return entry.url

    digest = hashlib.sha256(entry.key.encode()).hexdigest()
    if entry.url:
        separator = "&" if "#" in entry.url else "#"
        return f"{entry.url}{separator}entry-{digest[:16]}"
    if entry.key.startswith(("http://", "https://")):
        return entry.key
    return f"urn:feeds:{feed_id}:{digest[:32]}"


class InvalidCursor(ValueError):
    """The pagination cursor was not produced by this service."""


def encode_cursor(published_at: datetime, article_id: uuid.UUID) -> str:
    raw = f"{published_at.isoformat()}|{article_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        published, article_id = base64.urlsafe_b64decode(padded).decode().split("|")
        return datetime.fromisoformat(published), uuid.UUID(article_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidCursor(cursor) from None


_LIST = f"""
SELECT {ARTICLE_COLUMNS} FROM articles
WHERE feed_id = %(feed_id)s AND user_id = %(user_id)s
  AND (%(after_published)s::timestamptz IS NULL
       OR (published_at, id) < (%(after_published)s, %(after_id)s::uuid))
ORDER BY published_at DESC, id DESC
LIMIT %(limit)s
"""


def list_articles(
    conn: Connection,
    *,
    user_id: uuid.UUID,
    feed_id: uuid.UUID,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Return a page of the feed's articles, newest first, and the next cursor."""
    after_published, after_id = decode_cursor(cursor) if cursor else (None, None)
    params = {
        "feed_id": feed_id,
        "user_id": user_id,
        "after_published": after_published,
        "after_id": after_id,
        "limit": limit + 1,
    }
    rows = conn.execute(_LIST, params).fetchall()
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor(last["published_at"], last["id"])
