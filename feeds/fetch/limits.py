"""Read a response body within a size limit and the fetch's deadline."""

import logging
from dataclasses import dataclass

import httpx

from feeds.errors import FetchError
from feeds.fetch.deadline import Deadline
from feeds.fetch.decoding import DecodingFailed, make_decoder
from feeds.fetch.failures import deadline_error, fetch_error, shorten

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Body:
    """A decoded body and the number of body bytes received on the wire."""

    content: bytes
    wire_bytes: int


def read_body(
    response: httpx.Response, *, url: str, max_bytes: int, deadline: Deadline
) -> Body:
    """Read and decode the whole body of ``response``.

    Raises FetchError "too_large" once the decoded body, or the encoded body,
    passes ``max_bytes``, or at once when Content-Length is above it.
    Raises FetchError "timeout" when the deadline passes between two chunks,
    and "connect" when the body does not decode.
    """
    _check_content_length(response, url, max_bytes)

    decoder = make_decoder(response.headers.get("content-encoding"))
    content = bytearray()
    wire_bytes = 0

    try:
        for chunk in response.iter_raw():
            wire_bytes += len(chunk)
            _check_size(wire_bytes, url, max_bytes)

            for piece in decoder.decode(chunk):
                content += piece
                _check_size(len(content), url, max_bytes)

            if deadline.expired():
                raise deadline_error(url, deadline)

        for piece in decoder.flush():
            content += piece
            _check_size(len(content), url, max_bytes)
    except DecodingFailed as exc:
        raise _decoding_error(exc, url) from exc

    return Body(bytes(content), wire_bytes)


def read_prefix(response: httpx.Response, *, url: str, max_bytes: int) -> bytes:
    """Return at most ``max_bytes`` of the decoded body, or what arrived before
    a read or decoding failure; the rest of the body is never read."""
    decoder = make_decoder(response.headers.get("content-encoding"))
    content = bytearray()

    try:
        for chunk in response.iter_raw():
            for piece in decoder.decode(chunk):
                content += piece
                if len(content) >= max_bytes:
                    return bytes(content[:max_bytes])
    except (httpx.TransportError, DecodingFailed) as exc:
        logger.info(
            "Error body read stopped early",
            extra={"url": url, "error": repr(exc)},
        )

    return bytes(content)


def _check_content_length(response: httpx.Response, url: str, max_bytes: int) -> None:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise fetch_error(
            "too_large",
            f"{shorten(url)} declares a body of {declared} bytes, above the "
            f"limit of {max_bytes} bytes.",
            url=url,
        )


def _check_size(size: int, url: str, max_bytes: int) -> None:
    if size > max_bytes:
        raise fetch_error(
            "too_large",
            f"The body of {shorten(url)} is larger than the limit of "
            f"{max_bytes} bytes.",
            url=url,
        )


def _decoding_error(exc: DecodingFailed, url: str) -> FetchError:
    return fetch_error(
        "connect",
        f"The body of {shorten(url)} is not valid {exc.encoding} data, although "
        f"the response declares Content-Encoding {exc.encoding}.",
        url=url,
    )
