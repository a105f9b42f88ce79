"""Exceptions of the service, all under one root.

FeedsError
├── FetchError        a feed could not be fetched; ``code`` names the step
├── ParseError        the body is not a feed that can be read
│   └── NotAFeed      the body is an HTML page or another document
├── FeedNotFound      no feed with that id belongs to the user
└── FeedExists        the user already subscribes to that URL
"""


class FeedsError(Exception):
    """Root of every error this service raises on purpose."""


class FetchError(FeedsError):
    """A fetch failed; ``code`` is one of the stable error codes.

    Codes: invalid_url, dns, connect, tls, timeout, http_status, too_large,
    redirects, blocked_address, blocked. ``retryable`` is true for failures that
    another attempt may fix (network errors, timeouts, 5xx without Retry-After).
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        url: str,
        retryable: bool = False,
        status: int | None = None,
        retry_after_seconds: float | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.url = url
        self.retryable = retryable
        self.status = status
        self.retry_after_seconds = retry_after_seconds

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class ParseError(FeedsError):
    """The body could not be read as a feed."""

    code = "parse"

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.url = url

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class NotAFeed(ParseError):
    """The body is an HTML page (or other document) rather than a feed.

    ``feed_links`` lists the absolute URLs of feeds the page links with
    ``<link rel="alternate">``, for feed discovery.
    """

    code = "not_a_feed"

    def __init__(
        self, message: str, *, url: str | None = None, feed_links: list[str] = ()
    ) -> None:
        super().__init__(message, url=url)
        self.feed_links = list(feed_links)


class FeedNotFound(FeedsError):
    """No feed with this id belongs to the requesting user."""

    def __init__(self, feed_id: object) -> None:
        super().__init__(f"feed {feed_id} not found")
        self.feed_id = feed_id


class FeedExists(FeedsError):
    """The user already subscribes to this URL."""

    def __init__(self, url: str) -> None:
        super().__init__(f"a feed with url {url!r} already exists")
        self.url = url
