"""Route a fetched body to the JSON Feed or the XML parser by its content."""

from datetime import UTC, datetime

from feeds.errors import ParseError
from feeds.parse.encoding import decode_body
from feeds.parse.jsonfeed import parse_json_feed
from feeds.parse.model import ParsedFeed
from feeds.parse.xmlfeed import parse_xml_feed

# Characters skipped before sniffing: whitespace and a byte order mark that
# survived decoding (a document with two marks).
LEADING_IGNORED = " \t\r\n\ufeff"


def parse_feed(
    body: bytes,
    url: str,
    *,
    content_type: str | None = None,
    fetched_at: datetime,
) -> ParsedFeed:
    """Parse a fetched feed body into the feed and its entries.

    ``url`` is the feed's final URL after redirects; relative links resolve
    against it. Only the charset of ``content_type``, the HTTP Content-Type
    header, is used, because servers often send feeds as text/html or text/plain.
    The body itself decides the format: one that starts with ``{`` or ``[`` is
    read as JSON Feed, any other as RSS, RDF or Atom. ``fetched_at`` must be
    timezone-aware. Entry dates more than a day after it are replaced by it.

    Raises NotAFeed for an HTML page or another document that is not a feed,
    with the feed URLs the page links, and ParseError for a body that cannot be
    read as a feed.
    """
    if fetched_at.tzinfo is None:
        raise ValueError("fetched_at must be a timezone-aware datetime")
    fetched_at = fetched_at.astimezone(UTC)

    text = decode_body(body, content_type).lstrip(LEADING_IGNORED)
    if not text:
        raise ParseError("the body is empty", url=url)

    if text.startswith(("{", "[")):
        return parse_json_feed(text, url, fetched_at)
    return parse_xml_feed(text, url, fetched_at)
