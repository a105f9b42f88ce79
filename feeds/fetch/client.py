"""The Fetcher: one URL and its validators in, one FetchResult out."""

import dataclasses
import hashlib
import http.cookiejar
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from feeds import USER_AGENT
from feeds.errors import FetchError
from feeds.fetch.addresses import (
    AddressError,
    Resolver,
    is_blocked_address,
    resolve_host,
)
from feeds.fetch.challenge import CHALLENGE_STATUSES, looks_like_challenge
from feeds.fetch.deadline import Deadline, active_deadline
from feeds.fetch.failures import (
    deadline_error,
    error_for_address,
    error_for_transport,
)
from feeds.fetch.headers import parse_http_date, parse_max_age
from feeds.fetch.limits import read_body, read_prefix
from feeds.fetch.model import FetchResult, Validators
from feeds.fetch.redirects import (
    REDIRECT_STATUSES,
    RedirectChain,
    parse_http_url,
    validate_redirect,
)
from feeds.fetch.status import error_for_status
from feeds.fetch.transport import GuardedBackend, GuardedTransport
from feeds.settings import Settings

logger = logging.getLogger(__name__)

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, "
    "text/html;q=0.5, */*;q=0.1"
)
ACCEPT_ENCODING = "gzip, deflate, br"

# Enough of an error page to recognise a challenge; the rest is never read.
ERROR_BODY_PREFIX_BYTES = 64 * 1024


@dataclass
class _Hop:
    """The response that ended the redirect chain, and the chain itself."""

    response: httpx.Response
    chain: RedirectChain


class Fetcher:
    """Fetch feed URLs over HTTP(S) for any number of threads at once.

    ``resolver`` maps a host and port to IP address strings and defaults to
    getaddrinfo(3). ``is_blocked`` decides whether an IP address may be
    connected to. It defaults to ``is_blocked_address``, or to allowing every
    address when ``settings.allow_private_addresses`` is true.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        resolver: Resolver | None = None,
        is_blocked: Callable[[str], bool] | None = None,
    ) -> None:
        self._settings = settings
        self._timeouts = httpx.Timeout(
            connect=settings.connect_timeout_seconds,
            read=settings.read_timeout_seconds,
            write=settings.read_timeout_seconds,
            pool=settings.connect_timeout_seconds,
        )

        if is_blocked is None and settings.allow_private_addresses:
            is_blocked = _allow_all
        backend = GuardedBackend(
            resolver or resolve_host, is_blocked or is_blocked_address
        )
        # No connection is kept alive for reuse: a server whose body runs past
        # its Content-Length would leave bytes that the next request on that
        # connection reads as its status line. Each fetch also resolves and
        # checks its host afresh.
        transport = GuardedTransport(
            backend,
            ssl_context=httpx.create_ssl_context(trust_env=False),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=0),
        )

        self._client = httpx.Client(
            transport=transport,
            headers={
                "User-Agent": USER_AGENT,
                "Accept": ACCEPT,
                "Accept-Encoding": ACCEPT_ENCODING,
            },
            cookies=_rejecting_cookie_jar(),
            timeout=self._timeouts,
            follow_redirects=False,
            event_hooks={"response": [validate_redirect]},
            trust_env=False,
        )

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP client; a later ``fetch`` raises RuntimeError."""
        self._client.close()

    def fetch(self, url: str, validators: Validators | None = None) -> FetchResult:
        """Fetch ``url``, following redirects, and return the final response.

        ``validators`` make the request conditional. Raises FetchError, whose
        codes are listed in the ``feeds.fetch`` docstring.
        """
        validators = validators or Validators()
        started_at = datetime.now(UTC)
        started = time.monotonic()
        # Dramatiq's TimeLimit raises in a worker thread only between bytecodes,
        # never inside a blocking socket read, so the fetch must also end by the
        # refresh time limit when the total timeout is set longer.
        deadline = Deadline.after(
            min(
                self._settings.total_timeout_seconds,
                self._settings.refresh_time_limit_seconds,
            )
        )

        with active_deadline(deadline):
            hop = self._follow_redirects(url, validators, deadline)
            try:
                result = self._result(hop, url, validators, deadline, started_at)
            finally:
                hop.response.close()

        elapsed = time.monotonic() - started
        logger.debug(
            "Fetched feed",
            extra={"url": url, "status": result.status, "elapsed": elapsed},
        )
        return dataclasses.replace(result, elapsed_seconds=elapsed)

    def _follow_redirects(
        self, url: str, validators: Validators, deadline: Deadline
    ) -> _Hop:
        target = parse_http_url(url, url=url)
        chain = RedirectChain(target, self._settings.max_redirects)

        # Cookies live for one fetch only, because the client serves many users.
        cookies = httpx.Cookies()

        while True:
            response = self._send(target, validators, cookies, deadline)
            if response.status_code not in REDIRECT_STATUSES:
                return _Hop(response, chain)

            try:
                target = chain.follow(response)
            finally:
                response.close()

    def _send(
        self,
        target: httpx.URL,
        validators: Validators,
        cookies: httpx.Cookies,
        deadline: Deadline,
    ) -> httpx.Response:
        if deadline.expired():
            raise deadline_error(str(target), deadline)

        request = self._client.build_request(
            "GET", target, headers=_conditional_headers(validators)
        )
        cookies.set_cookie_header(request)

        try:
            response = self._client.send(request, stream=True)
        except AddressError as exc:
            raise error_for_address(exc, str(target)) from exc
        except httpx.TransportError as exc:
            raise error_for_transport(
                exc, str(target), deadline, self._timeouts
            ) from exc

        cookies.extract_cookies(response)
        return response

    def _result(
        self,
        hop: _Hop,
        url: str,
        validators: Validators,
        deadline: Deadline,
        started_at: datetime,
    ) -> FetchResult:
        response = hop.response
        final_url = url if hop.chain.hops == 0 else str(response.url)

        if response.status_code == 304:
            return _not_modified(hop, url, final_url, validators, started_at)

        if not 200 <= response.status_code < 300:
            raise self._status_error(response, final_url)

        try:
            body = read_body(
                response,
                url=final_url,
                max_bytes=self._settings.max_feed_bytes,
                deadline=deadline,
            )
        except httpx.TransportError as exc:
            raise error_for_transport(exc, final_url, deadline, self._timeouts) from exc

        digest = hashlib.sha256(body.content).hexdigest()
        unchanged = digest == validators.body_sha256

        return FetchResult(
            requested_url=url,
            url=final_url,
            status=response.status_code,
            not_modified=unchanged,
            body=None if unchanged else body.content,
            content_type=response.headers.get("content-type"),
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            body_sha256=digest,
            bytes_received=body.wire_bytes,
            permanent_url=hop.chain.permanent_url(response.url),
            max_age_seconds=parse_max_age(response.headers.get("cache-control")),
            expires=parse_http_date(response.headers.get("expires")),
            started_at=started_at,
            elapsed_seconds=0.0,
        )

    def _status_error(self, response: httpx.Response, url: str) -> FetchError:
        prefix = b""
        if response.status_code in CHALLENGE_STATUSES:
            prefix = read_prefix(response, url=url, max_bytes=ERROR_BODY_PREFIX_BYTES)

        content_type = response.headers.get("content-type")
        challenge = looks_like_challenge(response.status_code, content_type, prefix)
        return error_for_status(response, url, challenge=challenge)


def _not_modified(
    hop: _Hop, url: str, final_url: str, validators: Validators, started_at: datetime
) -> FetchResult:
    """Build the result of a 304, which keeps validators the 304 did not renew."""
    headers = hop.response.headers

    return FetchResult(
        requested_url=url,
        url=final_url,
        status=304,
        not_modified=True,
        body=None,
        content_type=headers.get("content-type"),
        etag=headers.get("etag") or validators.etag,
        last_modified=headers.get("last-modified") or validators.last_modified,
        body_sha256=validators.body_sha256,
        bytes_received=0,
        permanent_url=hop.chain.permanent_url(hop.response.url),
        max_age_seconds=parse_max_age(headers.get("cache-control")),
        expires=parse_http_date(headers.get("expires")),
        started_at=started_at,
        elapsed_seconds=0.0,
    )


def _conditional_headers(validators: Validators) -> dict[str, bytes]:
    headers = {}
    if validators.etag:
        headers["If-None-Match"] = _header_bytes(validators.etag)
    if validators.last_modified:
        headers["If-Modified-Since"] = _header_bytes(validators.last_modified)

    return headers


def _header_bytes(value: str) -> bytes:
    """Encode a stored validator as bytes, because httpx encodes str as ASCII.

    httpx decodes received non-ASCII headers as UTF-8 when they are valid
    UTF-8, else as ISO-8859-1. Encoding as ISO-8859-1 first returns the second
    kind byte for byte.
    """
    # NOTE: a validator that arrived as UTF-8 goes back as ISO-8859-1 when all
    # its characters fit, so the server may miss the match and send a 200.
    try:
        return value.encode("iso-8859-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def _allow_all(ip: str) -> bool:
    return False


def _rejecting_cookie_jar() -> http.cookiejar.CookieJar:
    """Return a cookie jar that stores nothing, so no cookie outlives a fetch."""
    policy = http.cookiejar.DefaultCookiePolicy(allowed_domains=[])
    return http.cookiejar.CookieJar(policy=policy)
