"""Find the feeds an HTML page links with ``<link rel="alternate">``."""

from html.parser import HTMLParser

from feeds.parse.urls import absolute_web_url

FEED_MEDIA_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
        "application/json",
    }
)


def find_feed_links(html: str, page_url: str) -> list[str]:
    """Return the absolute URLs of the feeds a page links, in document order.

    A link counts when its ``rel`` contains "alternate" and its ``type`` is an
    RSS, Atom or JSON media type. URLs resolve against the first ``<base href>``
    wherever it appears in the page, which is then resolved against
    ``page_url``. Only http and https URLs are returned, each once.
    """
    collector = _LinkCollector()
    collector.feed(html)
    collector.close()

    base = page_url
    if collector.base_href:
        base = absolute_web_url(collector.base_href, page_url) or page_url

    links: list[str] = []
    for href in collector.hrefs:
        url = absolute_web_url(href, base)
        if url and url not in links:
            links.append(url)
    return links


def is_feed_link(attributes: dict[str, str | None]) -> bool:
    """Tell whether the attributes of a ``<link>`` tag announce a feed."""
    rel_tokens = (attributes.get("rel") or "").lower().split()
    media_type = (attributes.get("type") or "").split(";")[0].strip().lower()
    return "alternate" in rel_tokens and media_type in FEED_MEDIA_TYPES


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base_href: str | None = None
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        href = attributes.get("href")
        if not href:
            return

        if tag == "base" and self.base_href is None:
            self.base_href = href
        elif tag == "link" and is_feed_link(attributes):
            self.hrefs.append(href)

    handle_startendtag = handle_starttag
