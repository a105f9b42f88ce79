"""Parse the caching and retry headers of a response: Retry-After,
Cache-Control and Expires."""

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

MAX_RETRY_AFTER_SECONDS = 7 * 24 * 3600

# About 68 years, and the largest value of a signed 32-bit column.
MAX_AGE_CAP_SECONDS = 2**31 - 1


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Return the delay in seconds that a Retry-After value requests.

    The value is either delay-seconds or an HTTP date. A date in the past
    gives 0. The delay is capped at ``MAX_RETRY_AFTER_SECONDS`` (7 days), and an
    invalid value gives None.
    """
    if value is None:
        return None

    text = value.strip()
    if text.isascii() and text.isdigit():
        seconds = float(text)
    else:
        when = parse_http_date(text)
        if when is None:
            return None
        seconds = max(0.0, (when - now).total_seconds())

    return min(seconds, float(MAX_RETRY_AFTER_SECONDS))


def parse_max_age(cache_control: str | None) -> int | None:
    """Return ``max-age`` from Cache-Control, else ``s-maxage``, in seconds."""
    directives = _cache_directives(cache_control or "")

    for name in ("max-age", "s-maxage"):
        value = directives.get(name, "")
        if value.isascii() and value.isdigit():
            return min(int(value), MAX_AGE_CAP_SECONDS)

    return None


def parse_http_date(value: str | None) -> datetime | None:
    """Return an HTTP date (such as the Expires value) as an aware UTC datetime.

    An invalid date, such as the common ``Expires: 0``, gives None.
    """
    if not value:
        return None

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None

    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)

    return when.astimezone(UTC)


def _cache_directives(cache_control: str) -> dict[str, str]:
    directives: dict[str, str] = {}

    for part in cache_control.split(","):
        name, _, value = part.partition("=")
        name = name.strip().lower()
        if name and name not in directives:
            directives[name] = value.strip().strip('"')

    return directives
