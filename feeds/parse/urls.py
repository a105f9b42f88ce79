"""Resolve the URLs a feed gives for articles and images."""

from urllib.parse import urljoin, urlsplit

from feeds.parse.text import clean_string

WEB_SCHEMES = frozenset({"http", "https"})


def absolute_web_url(value: object, base: str | None) -> str | None:
    """Resolve a URL against ``base`` and return it when it is http or https.

    Other schemes (``javascript:``, ``data:``, ``mailto:``, tag URIs) and values
    that are not strings return None, because readers open these URLs in a
    browser.
    """
    text = clean_string(value)
    if text is None:
        return None

    try:
        resolved = urljoin(base or "", text)
        parts = urlsplit(resolved)
    except ValueError:
        return None

    if parts.scheme.lower() not in WEB_SCHEMES or not parts.netloc:
        return None
    return resolved
