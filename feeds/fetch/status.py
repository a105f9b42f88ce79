"""Turn a response with an error status into a FetchError."""

from datetime import UTC, datetime

import httpx

from feeds.errors import FetchError
from feeds.fetch.failures import fetch_error, shorten
from feeds.fetch.headers import parse_retry_after


def error_for_status(
    response: httpx.Response, url: str, *, challenge: bool
) -> FetchError:
    """Build the FetchError of a non-2xx, non-304 final response.

    The code is "blocked" when ``challenge`` is true, else "http_status".
    Retry-After is parsed on every status. Only 5xx without Retry-After is
    retryable: with Retry-After the caller waits the given delay instead, and
    a 4xx (429 included) does not change on an immediate retry.
    """
    status = response.status_code
    retry_after = parse_retry_after(
        response.headers.get("retry-after"), datetime.now(UTC)
    )

    if challenge:
        return fetch_error(
            "blocked",
            f"{shorten(url)} returned HTTP {status} with a bot challenge or login "
            f"page instead of the feed.",
            url=url,
            status=status,
            retry_after_seconds=retry_after,
        )

    return fetch_error(
        "http_status",
        _status_message(response, url, retry_after),
        url=url,
        retryable=status >= 500 and retry_after is None,
        status=status,
        retry_after_seconds=retry_after,
    )


def _status_message(
    response: httpx.Response, url: str, retry_after: float | None
) -> str:
    status = response.status_code
    status_line = f"{status} {response.reason_phrase}".strip()
    message = f"{shorten(url)} returned HTTP {status_line}."

    if status == 410:
        message += " The feed is gone for good."

    if retry_after is not None:
        message += f" The server asks to retry after {retry_after:.0f} s."

    return message
