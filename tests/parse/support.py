"""Helpers shared by the parser tests: test data location and a fixed fetch time."""

from datetime import UTC, datetime
from pathlib import Path

from feeds.parse import ParsedFeed, parse_feed
from tests.conftest import SHARED_FEEDS

REPO_ROOT = Path(__file__).resolve().parents[2]
FEEDS_DATA = SHARED_FEEDS
CASES_DIR = FEEDS_DATA / "cases"
CORPUS_DIR = FEEDS_DATA / "corpus"

FETCHED_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml"


def parse_text(
    document: str,
    url: str = "https://example.org/feed.xml",
    *,
    content_type: str | None = RSS_TYPE,
    fetched_at: datetime = FETCHED_AT,
) -> ParsedFeed:
    """Parse a document written in the test, encoded as UTF-8."""
    return parse_feed(
        document.encode("utf-8"), url, content_type=content_type, fetched_at=fetched_at
    )


def rss(items: str, channel: str = "<title>Test feed</title>") -> str:
    """Return an RSS 2.0 document with the given channel elements and items."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">'
        f"<channel>{channel}{items}</channel></rss>"
    )


def atom(entries: str, feed: str = "<title>Test feed</title>") -> str:
    """Return an Atom 1.0 document with the given feed elements and entries."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<id>tag:example.org,2024:feed</id>{feed}{entries}</feed>"
    )
