"""Turn a fetched body into a feed and its entries.

The parser does not depend on the HTTP client or on storage. It takes bytes,
the final URL and the Content-Type header, and returns a ParsedFeed or raises
ParseError or NotAFeed from feeds.errors.
"""

from feeds.parse.discovery import find_feed_links
from feeds.parse.document import parse_feed
from feeds.parse.encoding import decode_body
from feeds.parse.model import Entry, FeedHints, ParsedFeed

__all__ = [
    "Entry",
    "FeedHints",
    "ParsedFeed",
    "discover_feed_links",
    "parse_feed",
]


def discover_feed_links(html: bytes, url: str) -> list[str]:
    """Return the absolute URLs of the feeds an HTML page links as alternates."""
    return find_feed_links(decode_body(html), url)
