"""Fetch a feed URL over HTTP(S): a URL and validators in, a FetchResult out.

The fetcher does not depend on the database, the task queue or feed formats.
``Fetcher.fetch`` returns a FetchResult for 2xx and 304 and raises
``feeds.errors.FetchError`` otherwise, with one of these codes:

- ``invalid_url``: the URL, or a redirect target, is malformed or not http(s).
- ``dns``: the host name did not resolve. Retryable.
- ``connect``: the connection was refused, reset or closed early (including a
  body shorter than its Content-Length), or the server broke HTTP. Retryable,
  except a body that does not decode with its Content-Encoding.
- ``tls``: the TLS handshake or certificate check failed.
- ``timeout``: a connect or read timeout, or the total time limit of the fetch
  (redirects and body included) passed. Retryable.
- ``http_status``: the final status is not 2xx or 304; ``status`` and
  ``retry_after_seconds`` are set. Retryable for 5xx without Retry-After.
- ``blocked``: a 403 or 503 carried a bot challenge or login page.
- ``too_large``: the decoded body, or its Content-Length, passed the limit.
- ``redirects``: a redirect loop, more redirects than allowed, or a redirect
  without Location.
- ``blocked_address``: the host is, or resolves to, an address that the
  address policy blocks (loopback, private, link-local, ...). Nothing was
  sent to it.
"""

from feeds.fetch.addresses import is_blocked_address
from feeds.fetch.challenge import looks_like_challenge
from feeds.fetch.client import Fetcher
from feeds.fetch.model import FetchResult, Validators

__all__ = [
    "FetchResult",
    "Fetcher",
    "Validators",
    "is_blocked_address",
    "looks_like_challenge",
]
