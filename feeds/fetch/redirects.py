"""Validate URLs and follow redirects one hop at a time.

The fetcher follows redirects itself, rather than through httpx, so that each
hop's URL is validated here and each hop's addresses are checked by the
transport before it connects.
"""

import logging

import httpx

from feeds.fetch.failures import fetch_error, shorten

logger = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_STATUSES = frozenset({301, 308})
ALLOWED_SCHEMES = frozenset({"http", "https"})


def parse_http_url(text: str, *, url: str) -> httpx.URL:
    """Parse ``text`` as an absolute http or https URL.

    Raises FetchError "invalid_url" otherwise; ``url`` is the URL that the error
    reports, which is ``text`` itself or the URL that redirected to it.
    """
    try:
        parsed = httpx.URL(text)
    except (httpx.InvalidURL, TypeError) as exc:
        raise fetch_error(
            "invalid_url", f"{shorten(text)!r} is not a valid URL: {exc}.", url=url
        ) from exc

    if parsed.scheme not in ALLOWED_SCHEMES:
        raise fetch_error(
            "invalid_url",
            f"{shorten(text)!r} is not an http or https URL.",
            url=url,
        )

    if not parsed.host:
        raise fetch_error(
            "invalid_url", f"{shorten(text)!r} has no host name.", url=url
        )

    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise fetch_error(
            "invalid_url",
            f"{shorten(text)!r} has the port {parsed.port}, outside 1-65535.",
            url=url,
        )

    return parsed


def redirect_target(response: httpx.Response) -> httpx.URL:
    """Return the http(s) URL that a redirect response's Location points to.

    Raises FetchError "redirects" without a Location and "invalid_url" for a
    target that is malformed or not http(s).
    """
    source = str(response.url)
    location = response.headers.get("location")
    if not location:
        raise fetch_error(
            "redirects",
            f"{shorten(source)} returned HTTP {response.status_code} without "
            f"a Location header.",
            url=source,
            status=response.status_code,
        )

    try:
        joined = response.url.join(location)
    except httpx.InvalidURL as exc:
        raise fetch_error(
            "invalid_url",
            f"{shorten(source)} redirects to an invalid URL "
            f"{shorten(location)!r}: {exc}.",
            url=source,
        ) from exc

    return parse_http_url(str(joined), url=source)


def validate_redirect(response: httpx.Response) -> None:
    """Raise FetchError for a redirect response whose target is not followed.

    This runs as an httpx response hook, because httpx.Client.send prepares
    the next request of every redirect, even when it does not follow it, and
    raises its own errors on a Location it cannot parse.
    """
    if response.status_code in REDIRECT_STATUSES:
        redirect_target(response)


class RedirectChain:
    """The hops of one fetch: counts them, detects loops and records whether
    every hop so far was permanent."""

    def __init__(self, start: httpx.URL, max_redirects: int) -> None:
        self.hops = 0
        self.all_permanent = True
        self._max_redirects = max_redirects
        self._seen = {_loop_key(start)}

    def follow(self, response: httpx.Response) -> httpx.URL:
        """Return the URL that a redirect response points to.

        Raises FetchError "redirects" for a missing Location, a loop or one hop
        more than the limit, and "invalid_url" for a target that is not http(s).
        """
        source = str(response.url)
        target = redirect_target(response)

        key = _loop_key(target)
        if key in self._seen:
            raise fetch_error(
                "redirects",
                f"Redirect loop: {shorten(source)} redirects back to "
                f"{shorten(str(target))}, which was already requested.",
                url=source,
            )

        self.hops += 1
        if self.hops > self._max_redirects:
            raise fetch_error(
                "redirects",
                f"Too many redirects: {shorten(source)} redirects to "
                f"{shorten(str(target))}, one more than the limit of "
                f"{self._max_redirects} redirects per fetch.",
                url=source,
            )

        self._seen.add(key)
        self.all_permanent = (
            self.all_permanent and response.status_code in PERMANENT_STATUSES
        )
        logger.debug(
            "Following redirect",
            extra={"url": source, "status": response.status_code, "target": key},
        )
        return target

    def permanent_url(self, final: httpx.URL) -> str | None:
        """Return ``final`` when at least one hop was followed and all were
        permanent (301 or 308), else None."""
        if self.hops and self.all_permanent:
            return str(final)

        return None


def _loop_key(url: httpx.URL) -> str:
    """Return the URL without its fragment, which is never sent to a server."""
    return str(url.copy_with(fragment=None))
