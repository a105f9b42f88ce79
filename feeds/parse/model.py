"""The parser's output: a feed and its entries, with no HTTP or database."""

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Entry:
    """One article as it will be stored.

    ``key`` identifies the entry across fetches of the same feed: the link when
    it is unique in the document, else the guid, then the enclosure URL, then a
    hash of the content. ``published_at`` is None when the entry has no usable
    date; storage then keeps the time the entry was first seen.
    """

    key: str
    entry_id: str | None
    title: str
    url: str | None
    content: str | None
    summary: str | None
    author: str | None
    published_at: datetime | None
    thumbnail: str | None


@dataclass(frozen=True)
class FeedHints:
    """Refresh hints published by the feed itself (RSS ttl, sy:*, skip*)."""

    ttl_minutes: int | None = None
    update_period_minutes: int | None = None
    skip_hours: frozenset[int] = frozenset()
    skip_days: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ParsedFeed:
    """A parsed document: the feed's metadata and its entries in document order."""

    title: str | None
    link: str | None
    entries: list[Entry]
    hints: FeedHints = field(default_factory=FeedHints)
    format: str = ""
