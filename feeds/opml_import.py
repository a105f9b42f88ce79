"""Subscribe a user to the outlines of an OPML document, in one transaction.

Each outline becomes one entry of the result: created, skipped (the user
already has the URL, or the document repeats it) or invalid (the URL would
be rejected by POST /api/feeds). The same rules apply to the API and to
``feeds import``.
"""

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from psycopg import Connection
from pydantic import TypeAdapter, ValidationError

from feeds import subscriptions
from feeds.api.schemas import MAX_TITLE_LENGTH, MAX_URL_LENGTH, FeedUrl
from feeds.errors import FeedExists
from feeds.opml import Outline

logger = logging.getLogger(__name__)

_FEED_URL = TypeAdapter(FeedUrl)

Status = Literal["created", "skipped", "invalid"]


@dataclass(frozen=True)
class Entry:
    """Result for one outline, whose 1-based line in the document is ``line``."""

    line: int
    url: str
    status: Status
    reason: str | None = None
    feed_id: uuid.UUID | None = None


@dataclass(frozen=True)
class ImportResult:
    entries: list[Entry]

    def count(self, status: Status) -> int:
        return sum(1 for entry in self.entries if entry.status == status)


def import_outlines(
    conn: Connection,
    user_id: uuid.UUID,
    outlines: Iterable[Outline],
    *,
    on_entry: Callable[[Entry], None] | None = None,
) -> ImportResult:
    """Create a scheduled feed for each new, valid outline URL.

    Everything runs in one transaction (a savepoint when the caller already
    has one open), so an error part-way creates no feed. ``on_entry`` is
    called after each outline, for progress output.
    """
    entries = []
    with conn.transaction():
        subscribed = _subscribed_urls(conn, user_id)
        first_lines: dict[str, int] = {}
        for outline in outlines:
            entry = _import_one(conn, user_id, outline, subscribed, first_lines)
            entries.append(entry)
            if on_entry is not None:
                on_entry(entry)

    result = ImportResult(entries)
    logger.info(
        "imported OPML outlines",
        extra={
            "user_id": str(user_id),
            "created_count": result.count("created"),
            "skipped_count": result.count("skipped"),
            "invalid_count": result.count("invalid"),
        },
    )
    return result


def _subscribed_urls(conn: Connection, user_id: uuid.UUID) -> set[str]:
    rows = conn.execute(
        "SELECT url FROM feeds WHERE user_id = %(user_id)s", {"user_id": user_id}
    ).fetchall()
    return {row["url"] for row in rows}


def _import_one(
    conn: Connection,
    user_id: uuid.UUID,
    outline: Outline,
    subscribed: set[str],
    first_lines: dict[str, int],
) -> Entry:
    try:
        url = _FEED_URL.validate_python(outline.url)
    except ValidationError as error:
        return Entry(outline.line, outline.url, "invalid", _url_problem(error))

    if url in first_lines:
        reason = f"repeated in the document (first at line {first_lines[url]})"
        return Entry(outline.line, url, "skipped", reason)
    first_lines[url] = outline.line
    if url in subscribed:
        return Entry(outline.line, url, "skipped", "already subscribed")

    return _create(conn, user_id, outline, url)


def _create(conn: Connection, user_id: uuid.UUID, outline: Outline, url: str) -> Entry:
    title = outline.title[:MAX_TITLE_LENGTH] if outline.title else None
    try:
        feed = subscriptions.create_feed(conn, user_id, url, title=title)
    except FeedExists:
        # Another request subscribed the user to this URL meanwhile.
        return Entry(outline.line, url, "skipped", "already subscribed")
    return Entry(outline.line, url, "created", feed_id=feed["id"])


def _url_problem(error: ValidationError) -> str:
    """Describe the first problem of a rejected URL in one sentence."""
    problem = error.errors(include_url=False)[0]
    if problem["type"] == "value_error":
        return str(problem["ctx"]["error"])
    if problem["type"] == "string_too_short":
        return "xmlUrl is empty"
    if problem["type"] == "string_too_long":
        return f"URL is longer than {MAX_URL_LENGTH} characters"
    return problem["msg"]
