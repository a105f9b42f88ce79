"""Turn network, TLS and address failures into FetchError with a stable code."""

import ssl

import httpx

from feeds.errors import FetchError
from feeds.fetch.addresses import AddressBlocked, AddressError, NameNotResolved
from feeds.fetch.deadline import Deadline

MAX_MESSAGE_CHARS = 500
MAX_URL_CHARS = 200


def fetch_error(
    code: str,
    message: str,
    *,
    url: str,
    retryable: bool = False,
    status: int | None = None,
    retry_after_seconds: float | None = None,
) -> FetchError:
    """Build a FetchError whose message is cut to ``MAX_MESSAGE_CHARS``."""
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[: MAX_MESSAGE_CHARS - 3] + "..."

    return FetchError(
        code,
        message,
        url=url,
        retryable=retryable,
        status=status,
        retry_after_seconds=retry_after_seconds,
    )


def shorten(url: str) -> str:
    """Return ``url`` cut to ``MAX_URL_CHARS`` for use inside a message."""
    if len(url) <= MAX_URL_CHARS:
        return url

    return url[: MAX_URL_CHARS - 3] + "..."


def error_for_address(exc: AddressError, url: str) -> FetchError:
    """Build the FetchError of a host that was not resolved or is blocked."""
    if isinstance(exc, AddressBlocked):
        return fetch_error(
            "blocked_address",
            f"Blocked address: the host {exc.host} of {shorten(url)} is or "
            f"resolves to {exc.address} ({exc.reason}). Feeds are not fetched "
            f"from loopback, private or reserved addresses.",
            url=url,
        )

    assert isinstance(exc, NameNotResolved)
    return fetch_error(
        "dns",
        f"The host name {exc.host} of {shorten(url)} could not be resolved.",
        url=url,
        retryable=True,
    )


def error_for_transport(
    exc: httpx.TransportError, url: str, deadline: Deadline, timeouts: httpx.Timeout
) -> FetchError:
    """Build the FetchError of a failed connection, TLS handshake or read."""
    host = httpx.URL(url).host
    detail = _detail(exc)

    if isinstance(exc, httpx.TimeoutException):
        return _timeout_error(exc, url, deadline, timeouts)

    if _caused_by(exc, ssl.SSLError):
        return fetch_error(
            "tls",
            f"The TLS handshake with {host} failed for {shorten(url)}: {detail}.",
            url=url,
        )

    if isinstance(exc, httpx.ConnectError):
        return fetch_error(
            "connect",
            f"Could not connect to {host} for {shorten(url)}: {detail}.",
            url=url,
            retryable=True,
        )

    return fetch_error(
        "connect",
        f"The connection to {host} failed while fetching {shorten(url)}: {detail}.",
        url=url,
        retryable=True,
    )


def _timeout_error(
    exc: httpx.TimeoutException, url: str, deadline: Deadline, timeouts: httpx.Timeout
) -> FetchError:
    if deadline.expired():
        return deadline_error(url, deadline)

    if isinstance(exc, httpx.ConnectTimeout):
        message = (
            f"Connecting to {httpx.URL(url).host} for {shorten(url)} timed out "
            f"after {timeouts.connect:g} s."
        )
    else:
        message = f"{shorten(url)} sent no data for {timeouts.read:g} s."

    return fetch_error("timeout", message, url=url, retryable=True)


def deadline_error(url: str, deadline: Deadline) -> FetchError:
    """Build the FetchError of a fetch that ran past its total time limit."""
    return fetch_error(
        "timeout",
        f"Fetching {shorten(url)} did not finish within the total time limit "
        f"of {deadline.total_seconds:g} s.",
        url=url,
        retryable=True,
    )


def _detail(exc: BaseException) -> str:
    """Return the most specific non-empty message in the exception chain."""
    details = []
    current: BaseException | None = exc
    while current is not None:
        if str(current):
            details.append(str(current).rstrip("."))
        current = current.__cause__ or current.__context__

    return details[-1] if details else type(exc).__name__


def _caused_by(exc: BaseException | None, cause: type[BaseException]) -> bool:
    while exc is not None:
        if isinstance(exc, cause):
            return True
        exc = exc.__cause__ or exc.__context__

    return False
