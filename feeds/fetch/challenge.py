"""Recognise bot challenges and login walls served in place of a feed."""

import re

CHALLENGE_STATUSES = frozenset({403, 503})
DENIAL_STATUSES = frozenset({401, 403, 429, 503})

# Text that only bot-protection pages contain, whatever their status.
_CHALLENGE_MARKERS = [
    re.compile(pattern)
    for pattern in [
        r"<title>\s*just a moment\.\.\.\s*</title>",
        r"<title>\s*attention required! \| cloudflare\s*</title>",
        r"cf[-_]chl",
        r"/cdn-cgi/challenge-platform/",
        r"ddos-guard",
        r"<title>\s*ddos protection",
        r"sucuri website firewall",
        r"<title>\s*(?:verify|are) you (?:are )?(?:a )?human",
    ]
]

# Text that ordinary pages may contain too, so it counts only on a denial status.
_DENIAL_MARKERS = [
    re.compile(pattern, re.S)
    for pattern in [
        r"captcha",
        r"access denied",
        r"<form[^>]*>(?:(?!</form>).)*type=[\"']?password",
    ]
]

_LOGIN_TITLE = re.compile(r"<title>[^<]*(?:log ?in|sign ?in)[^<]*</title>")
_PASSWORD_INPUT = re.compile(r"type=[\"']?password")

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)", re.I)


def looks_like_challenge(status: int, content_type: str | None, body: bytes) -> bool:
    """Return whether an HTML body is a bot challenge or a login page.

    Only the first 64 KiB of ``body`` are examined. Cloudflare, DDoS-Guard and
    Sucuri challenge pages match on any status. A login page (a title with
    "log in" or "sign in" and a password field) also matches on any status.
    Words that ordinary pages use as well ("captcha", "access denied", a
    password form) match only with status 401, 403, 429 or 503. Bodies that are
    not HTML never match.
    """
    prefix = body[: 64 * 1024]
    if not _is_html(content_type, prefix):
        return False

    text = prefix.decode("utf-8", errors="replace").lower()

    if any(marker.search(text) for marker in _CHALLENGE_MARKERS):
        return True

    if _LOGIN_TITLE.search(text) and _PASSWORD_INPUT.search(text):
        return True

    if status in DENIAL_STATUSES:
        return any(marker.search(text) for marker in _DENIAL_MARKERS)

    return False


def _is_html(content_type: str | None, prefix: bytes) -> bool:
    if content_type:
        media_type = content_type.split(";")[0].strip().lower()
        return media_type in _HTML_TYPES

    return _HTML_START.match(prefix) is not None
