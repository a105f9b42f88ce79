"""Parse RSS, RDF and Atom documents with feedparser."""

import io
from datetime import datetime

import feedparser

from feeds.errors import NotAFeed, ParseError
from feeds.parse.discovery import find_feed_links
from feeds.parse.extract import extract_entry, feed_link, text_construct
from feeds.parse.hints import parse_hints
from feeds.parse.identity import assign_keys
from feeds.parse.markup import looks_like_html, prepare_xml, root_element
from feeds.parse.model import ParsedFeed

# The body handed to feedparser is always re-encoded as UTF-8 with a matching
# declaration, so this header stops it from second-guessing the encoding.
PREPARED_CONTENT_TYPE = "application/xml; charset=utf-8"


def parse_xml_feed(text: str, url: str, fetched_at: datetime) -> ParsedFeed:
    """Parse a decoded RSS, RDF or Atom document.

    feedparser's ``bozo`` flag is not an error: whatever it recovered is used.
    Entries found anywhere count, even in a feed wrapped in an XHTML page. A
    recognised feed with no entries is returned empty.

    Raises NotAFeed for an HTML page or an XML document that is not a feed, and
    ParseError for text that is not markup at all.
    """
    prepared = prepare_xml(text)
    result = run_feedparser(prepared, url)
    version = result.get("version") or ""
    raw_entries = result.get("entries") or []

    if not raw_entries and (not version or looks_like_html(text)):
        raise _not_a_feed_error(text, url)

    feed = result.get("feed") or {}
    is_atom = version.startswith("atom")
    drafts = [
        extract_entry(
            entry,
            feed,
            document_url=url,
            inherits_feed_author=is_atom,
            fetched_at=fetched_at,
        )
        for entry in raw_entries
    ]

    return ParsedFeed(
        title=text_construct(feed, "title"),
        link=feed_link(feed, url),
        entries=assign_keys(drafts),
        hints=parse_hints(prepared),
        format=version,
    )


def run_feedparser(prepared: str, url: str) -> feedparser.FeedParserDict:
    """Run feedparser on a prepared document without letting it open anything.

    The document goes in as a stream: feedparser fetches a string that looks like
    a URL and opens one that names a file. ``url`` is passed as Content-Location so
    that relative links resolve against the feed's final URL.
    """
    stream = io.BytesIO(prepared.encode("utf-8", errors="replace"))
    headers = {"content-type": PREPARED_CONTENT_TYPE, "content-location": url}
    try:
        return feedparser.parse(
            stream,
            response_headers=headers,
            resolve_relative_uris=True,
            sanitize_html=True,
        )
    except Exception as error:
        # feedparser's lenient parser can fail in many ways on hostile input, and
        # each of them means the document cannot be read.
        raise ParseError(
            f"feedparser failed to read the document: {error!r}", url=url
        ) from error


def _not_a_feed_error(text: str, url: str) -> ParseError:
    """Return the error for a document that feedparser found no feed in."""
    if looks_like_html(text):
        return NotAFeed(
            "the document is an HTML page, not a feed",
            url=url,
            feed_links=find_feed_links(text, url),
        )

    root = root_element(text)
    if root is not None:
        return NotAFeed(
            f"the XML root element <{root}> is not an RSS, RDF or Atom feed",
            url=url,
            feed_links=find_feed_links(text, url),
        )

    return ParseError("the body contains no XML or HTML element", url=url)
