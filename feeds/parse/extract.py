"""Map one feedparser entry to the fields the service stores."""

import html
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from feeds.parse.dates import clamp_to_fetch_time, from_struct_time, parse_rfc822
from feeds.parse.identity import EntryDraft
from feeds.parse.text import clean_string, plain_text, truncate
from feeds.parse.urls import absolute_web_url

UNTITLED = "Untitled"

SUMMARY_MAX_LENGTH = 500

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".svg")

FeedparserDict = Mapping[str, Any]


def extract_entry(
    entry: FeedparserDict,
    feed: FeedparserDict,
    *,
    document_url: str,
    inherits_feed_author: bool,
    fetched_at: datetime,
) -> EntryDraft:
    """Return the stored fields of one entry of a feedparser result.

    ``inherits_feed_author`` is true for Atom, where an entry without an author
    has the feed's author (RFC 4287, section 4.2.1).
    """
    base = _entry_base(entry, document_url)

    author = author_name(entry)
    if author is None and inherits_feed_author:
        author = author_name(feed)

    # NOTE: feedparser resolves an Atom id or an RSS permalink guid that looks
    # like a relative URL against the feed URL, so such an id changes when the
    # feed moves. Keys use the link first, which limits the effect.
    return EntryDraft(
        entry_id=clean_string(entry.get("id")),
        title=entry_title(entry),
        url=absolute_web_url(entry.get("link"), base),
        content=entry_content(entry),
        summary=entry_summary(entry),
        author=author,
        published_at=clamp_to_fetch_time(published_at(entry), fetched_at),
        thumbnail=thumbnail_url(entry, base),
        enclosure_url=_enclosure_url(entry, base),
    )


def text_construct(item: FeedparserDict, name: str) -> str | None:
    """Return a title or summary as plain text on one line, or None when empty."""
    value = clean_string(item.get(name))
    if value is None:
        return None

    detail = item.get(f"{name}_detail") or {}
    return plain_text(value, detail.get("type")) or None


def entry_title(entry: FeedparserDict) -> str:
    """Return the title as plain text, or "Untitled"."""
    return text_construct(entry, "title") or UNTITLED


def entry_content(entry: FeedparserDict) -> str | None:
    """Return the body as HTML: the content, else the summary or description.

    An HTML or XHTML content element is preferred over a plain text one. Plain
    text is escaped so that the result is always HTML. feedparser has already
    sanitized the markup and dropped the wrapper ``div`` of XHTML content.
    """
    for value, content_type in _body_candidates(entry):
        text = clean_string(value)
        if text is None:
            continue
        if content_type and "html" in content_type:
            return text
        return html.escape(text, quote=False)
    return None


def entry_summary(entry: FeedparserDict) -> str | None:
    """Return the summary or description as plain text of at most 500 characters.

    Markup is removed and whitespace collapsed. A longer text is cut at a word
    boundary and ends with an ellipsis. feedparser copies an Atom entry's content
    into ``summary`` when the entry has no summary, without a ``summary_detail``,
    so the content's type applies then.
    """
    value = clean_string(entry.get("summary"))
    if value is None:
        return None

    text = plain_text(value, _summary_type(entry))
    return truncate(text, SUMMARY_MAX_LENGTH) if text else None


def feed_link(feed: FeedparserDict, document_url: str) -> str | None:
    """Return the feed's web page: its first ``alternate`` link.

    feedparser falls back to the feed's id for ``link``, which for Atom is a
    name rather than a page, so ``link`` itself is not used.
    """
    for link in feed.get("links") or []:
        if link.get("rel", "alternate") == "alternate":
            url = absolute_web_url(link.get("href"), document_url)
            if url:
                return url
    return None


def author_name(item: FeedparserDict) -> str | None:
    """Return the name of the item's author, or the author's e-mail address.

    feedparser lists ``<author>``, ``dc:creator`` and Atom authors in
    ``authors`` in document order, without their element names. An author with
    an e-mail address comes from ``<author>``, which RSS 2.0 defines as an
    address with an optional name in parentheses, so it is preferred, as the
    ``<author>`` element is preferred over ``dc:creator``. Otherwise the first
    author with a name is used.
    """
    authors = [author for author in item.get("authors") or [] if author]
    with_email = [author for author in authors if clean_string(author.get("email"))]
    with_name = [author for author in authors if clean_string(author.get("name"))]

    preferred = with_email + with_name
    if preferred:
        author = preferred[0]
        name = clean_string(author.get("name")) or clean_string(author.get("email"))
        return plain_text(name, None)

    name = clean_string(item.get("author"))
    return plain_text(name, None) if name else None


def published_at(entry: FeedparserDict) -> datetime | None:
    """Return the published date, else the updated date, in UTC.

    The raw text is read as an RFC 822 date first, because feedparser maps
    unknown zone names to UTC. feedparser's own parsed value covers the other
    formats. Keys are read with ``dict.get`` because feedparser 6.0 returns the
    published date for a missing ``updated``, with a DeprecationWarning.
    """
    for name in ("published", "updated"):
        raw = dict.get(entry, name)
        parsed = parse_rfc822(raw) if isinstance(raw, str) else None
        if parsed is None:
            parsed = from_struct_time(dict.get(entry, f"{name}_parsed"))
        if parsed is not None:
            return parsed
    return None


def thumbnail_url(entry: FeedparserDict, base: str | None) -> str | None:
    """Return the entry's image as an absolute URL.

    The order is media:thumbnail, then media:content that is an image, then an
    image enclosure. A media:content or enclosure without a medium or type counts
    as an image when its URL ends in an image file extension.
    """
    for thumbnail in entry.get("media_thumbnail") or []:
        url = absolute_web_url(thumbnail.get("url"), base)
        if url:
            return url

    for media in entry.get("media_content") or []:
        if _is_image(media.get("medium"), media.get("type"), media.get("url")):
            url = absolute_web_url(media.get("url"), base)
            if url:
                return url

    for link in _enclosures(entry):
        if _is_image(None, link.get("type"), link.get("href")):
            url = absolute_web_url(link.get("href"), base)
            if url:
                return url
    return None


def _body_candidates(entry: FeedparserDict) -> list[tuple[object, str | None]]:
    contents = [
        (item.get("value"), item.get("type")) for item in entry.get("content") or []
    ]
    contents.sort(key=lambda pair: "html" not in (pair[1] or ""))
    return [*contents, (entry.get("summary"), _summary_type(entry))]


def _summary_type(entry: FeedparserDict) -> str:
    detail = entry.get("summary_detail") or {}
    if detail.get("type"):
        return detail["type"]

    contents = entry.get("content") or []
    if contents and contents[0].get("type"):
        return contents[0]["type"]
    return "text/html"


def _entry_base(entry: FeedparserDict, document_url: str) -> str:
    """Return the entry's xml:base as feedparser recorded it, else the feed URL.

    feedparser resolves links itself but leaves media URLs as written, so they
    are resolved against this base.
    """
    for name in ("title_detail", "summary_detail"):
        base = absolute_web_url((entry.get(name) or {}).get("base"), None)
        if base:
            return base
    return document_url


def _enclosures(entry: FeedparserDict) -> list[FeedparserDict]:
    return [link for link in entry.get("links") or [] if link.get("rel") == "enclosure"]


def _enclosure_url(entry: FeedparserDict, base: str | None) -> str | None:
    for link in _enclosures(entry):
        url = absolute_web_url(link.get("href"), base)
        if url:
            return url
    return None


def _is_image(medium: object, media_type: object, url: object) -> bool:
    if medium == "image":
        return True
    if isinstance(media_type, str) and media_type:
        return media_type.lower().startswith("image/")
    if medium or not isinstance(url, str):
        return False
    return url.lower().split("?")[0].endswith(IMAGE_EXTENSIONS)
