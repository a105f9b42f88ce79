"""Parse JSON Feed 1.0 and 1.1 documents (https://www.jsonfeed.org/version/1.1/).

feedparser 6.0 does not read JSON Feed. Values of the wrong JSON type are
treated as missing rather than failing the whole feed.
"""

import html
import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from feedparser.sanitizer import _sanitize_html
from feedparser.urls import resolve_relative_uris

from feeds.errors import NotAFeed, ParseError
from feeds.parse.dates import clamp_to_fetch_time, parse_iso8601, parse_rfc822
from feeds.parse.extract import SUMMARY_MAX_LENGTH, UNTITLED
from feeds.parse.identity import EntryDraft, assign_keys
from feeds.parse.model import ParsedFeed
from feeds.parse.text import clean_string, collapse_whitespace, truncate
from feeds.parse.urls import absolute_web_url

VERSION_URL = re.compile(r"^https?://jsonfeed\.org/version/(\S{0,20})$")
VERSION_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")

JsonObject = Mapping[str, Any]


def parse_json_feed(text: str, url: str, fetched_at: datetime) -> ParsedFeed:
    """Parse a JSON Feed; relative URLs resolve against the feed's URL.

    Raises ParseError for invalid JSON or a feed without an ``items`` list, and
    NotAFeed for valid JSON that is not a JSON Feed.
    """
    try:
        document = json.loads(text, strict=False)
    except (ValueError, RecursionError) as error:
        raise ParseError(f"the body is not valid JSON: {error}", url=url) from error

    feed_format = _format(document)
    if feed_format is None:
        raise NotAFeed(
            "the JSON document is not a JSON Feed: its version is not a "
            "https://jsonfeed.org/version/ URL",
            url=url,
        )

    items = document.get("items")
    if not isinstance(items, list):
        raise ParseError("the JSON Feed has no items list", url=url)

    feed_author = _author(document)
    drafts = [
        _item_draft(item, url, feed_author, fetched_at)
        for item in items
        if isinstance(item, dict)
    ]
    return ParsedFeed(
        title=_plain(document.get("title")),
        link=absolute_web_url(document.get("home_page_url"), url),
        entries=assign_keys(drafts),
        format=feed_format,
    )


def sanitize_html(fragment: str, base: str) -> str:
    """Resolve relative URLs in an HTML fragment and sanitize it as feedparser does.

    NOTE: these are feedparser internals (6.0.14), the same steps it applies to
    the HTML content of RSS and Atom entries.
    """
    resolved = resolve_relative_uris(fragment, base, "utf-8", "text/html")
    return _sanitize_html(resolved, "utf-8", "text/html")


def _format(document: object) -> str | None:
    """Return the format name, such as "json1.0" or "json1.1", or None.

    Any version under https://jsonfeed.org/version/ is accepted. A bare major
    version gets ".0", and a version that is not a number is kept as written.
    """
    if not isinstance(document, dict) or not isinstance(document.get("version"), str):
        return None

    match = VERSION_URL.match(document["version"].strip())
    if match is None:
        return None

    version = match.group(1).strip("/")
    if VERSION_NUMBER.fullmatch(version) and "." not in version:
        version += ".0"
    return f"json{version}"


def _item_draft(
    item: JsonObject, url: str, feed_author: str | None, fetched_at: datetime
) -> EntryDraft:
    item_url = absolute_web_url(item.get("url"), url) or absolute_web_url(
        item.get("external_url"), url
    )
    published = _date(item.get("date_published")) or _date(item.get("date_modified"))

    return EntryDraft(
        entry_id=_item_id(item.get("id")),
        title=_plain(item.get("title")) or UNTITLED,
        url=item_url,
        content=_content(item, url),
        summary=_summary(item),
        author=_author(item) or feed_author,
        published_at=clamp_to_fetch_time(published, fetched_at),
        thumbnail=_thumbnail(item, url),
        enclosure_url=_attachment_url(item, url),
    )


def _item_id(value: object) -> str | None:
    """Return the id as a string, because JSON Feed readers must coerce numbers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return str(value)
    return clean_string(value)


def _plain(value: object) -> str | None:
    """Return a plain-text field on one line.

    Character references are decoded because feeds generated from HTML
    templates, such as WordPress plugins, write titles like "Blog &#8211; News"
    although JSON Feed text is plain.
    """
    text = clean_string(value)
    if text is None:
        return None
    return clean_string(collapse_whitespace(html.unescape(text)))


def _content(item: JsonObject, url: str) -> str | None:
    content_html = clean_string(item.get("content_html"))
    if content_html:
        return clean_string(sanitize_html(content_html, url))

    for name in ("content_text", "summary"):
        text = clean_string(item.get(name))
        if text:
            return html.escape(text, quote=False)
    return None


def _summary(item: JsonObject) -> str | None:
    text = _plain(item.get("summary"))
    return truncate(text, SUMMARY_MAX_LENGTH) if text else None


def _author(item: JsonObject) -> str | None:
    """Return the first author's name: ``authors`` (1.1), then ``author`` (1.0)."""
    authors = item.get("authors")
    candidates = list(authors) if isinstance(authors, list) else []
    candidates.append(item.get("author"))

    for author in candidates:
        if isinstance(author, dict):
            name = _plain(author.get("name"))
            if name:
                return name
    return None


def _date(value: object) -> datetime | None:
    text = clean_string(value)
    if text is None:
        return None
    return parse_iso8601(text) or parse_rfc822(text)


def _thumbnail(item: JsonObject, url: str) -> str | None:
    for name in ("image", "banner_image"):
        image = absolute_web_url(item.get(name), url)
        if image:
            return image

    for attachment in _attachments(item):
        mime_type = attachment.get("mime_type")
        if isinstance(mime_type, str) and mime_type.lower().startswith("image/"):
            image = absolute_web_url(attachment.get("url"), url)
            if image:
                return image
    return None


def _attachment_url(item: JsonObject, url: str) -> str | None:
    for attachment in _attachments(item):
        attachment_url = absolute_web_url(attachment.get("url"), url)
        if attachment_url:
            return attachment_url
    return None


def _attachments(item: JsonObject) -> list[JsonObject]:
    attachments = item.get("attachments")
    if not isinstance(attachments, list):
        return []
    return [attachment for attachment in attachments if isinstance(attachment, dict)]
