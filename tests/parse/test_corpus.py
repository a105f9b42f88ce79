"""Every corpus file parses to a feed or raises the one error expected for it.

The corpus contains real-world and hand-made feeds grouped by what makes them hard.
These files are expected to raise, with the exact error class:

- illformed/fp-rss_empty_document.xml: only a comment, no element (ParseError).
- illformed/rssparser-unrecognized.rss: an HTML "Document Moved" page (NotAFeed).
- jsonfeed/rsparser-ScriptingNews.json: RSS converted to JSON, with no JSON Feed
  version (NotAFeed).
- jsonfeed/rsparser-allthis-partial.json: truncated, invalid JSON (ParseError).
"""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from feeds.errors import NotAFeed, ParseError
from feeds.parse import ParsedFeed, parse_feed

from .support import CORPUS_DIR, FETCHED_AT

EXPECTED_ERRORS = {
    "illformed/fp-rss_empty_document.xml": ParseError,
    "illformed/rssparser-unrecognized.rss": NotAFeed,
    "jsonfeed/rsparser-ScriptingNews.json": NotAFeed,
    "jsonfeed/rsparser-allthis-partial.json": ParseError,
}

FEED_URL = "https://feeds.example.org/corpus/feed"

# Test files from feedparser's suite name the Content-Type they are served with.
HEADER_COMMENT = re.compile(rb"^Header:\s*Content-type:\s*(.+?)\s*$", re.I | re.M)

FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def corpus_files() -> list[str]:
    return sorted(
        str(path.relative_to(CORPUS_DIR))
        for path in CORPUS_DIR.rglob("*")
        if path.is_file() and path.name != "SOURCES.tsv"
    )


def served_content_type(body: bytes) -> str | None:
    match = HEADER_COMMENT.search(body[:2000])
    return match.group(1).decode("ascii") if match else None


def parse_corpus_file(relative_path: str) -> ParsedFeed:
    body = (CORPUS_DIR / relative_path).read_bytes()
    return parse_feed(
        body, FEED_URL, content_type=served_content_type(body), fetched_at=FETCHED_AT
    )


def test_corpus_is_present():
    assert len(corpus_files()) > 50, f"corpus not found or incomplete at {CORPUS_DIR}"


def test_expected_errors_name_existing_files():
    missing = [name for name in EXPECTED_ERRORS if not (CORPUS_DIR / name).is_file()]
    assert missing == []


@pytest.mark.parametrize("relative_path", sorted(EXPECTED_ERRORS))
def test_corpus_file_raises_expected_error(relative_path):
    expected = EXPECTED_ERRORS[relative_path]

    with pytest.raises(ParseError) as raised:
        parse_corpus_file(relative_path)

    assert type(raised.value) is expected, str(raised.value)


@pytest.mark.parametrize(
    "relative_path",
    [name for name in corpus_files() if name not in EXPECTED_ERRORS],
)
def test_corpus_file_parses(relative_path):
    feed = parse_corpus_file(relative_path)

    assert isinstance(feed, ParsedFeed)
    check_entries(feed)


def check_entries(feed: ParsedFeed) -> None:
    keys = [entry.key for entry in feed.entries]
    assert all(keys), "every entry needs a key"
    assert len(keys) == len(set(keys)), "keys must be unique within a document"

    for entry in feed.entries:
        assert entry.title, f"entry {entry.key} has an empty title"
        assert entry.summary is None or len(entry.summary) <= 500
        check_date(entry.published_at)
        check_web_url(entry.url)
        check_web_url(entry.thumbnail)
        for value in (entry.title, entry.content, entry.summary, entry.author):
            assert not FORBIDDEN_CHARACTERS.search(value or ""), repr(value)


def check_date(value) -> None:
    if value is None:
        return
    assert value.utcoffset() is not None, f"{value} is naive"
    assert not value.utcoffset(), f"{value} is not in UTC"
    assert value <= FETCHED_AT + timedelta(days=1), "future dates must be clamped"


def check_web_url(value: str | None) -> None:
    if value is None:
        return
    parts = urlsplit(value)
    assert parts.scheme in ("http", "https"), value
    assert parts.netloc, value
