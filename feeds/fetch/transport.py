"""An httpx transport whose connections go only to addresses the policy allows.

``GuardedBackend`` is the httpcore network backend: it resolves the host once,
checks every address, then connects to a checked address, so no later lookup
can swap in another one. TLS still runs on the host name, because httpcore
passes the URL's host to ``start_tls`` for SNI and certificate checks.
``GuardedTransport`` puts an httpcore connection pool on that backend and maps
httpcore exceptions to the httpx ones.
"""

import logging
import ssl
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import httpcore
import httpx

from feeds.fetch.addresses import Resolver, checked_addresses
from feeds.fetch.deadline import remaining_seconds

logger = logging.getLogger(__name__)

_EXCEPTIONS: dict[type[Exception], type[httpx.TransportError]] = {
    httpcore.ConnectTimeout: httpx.ConnectTimeout,
    httpcore.ReadTimeout: httpx.ReadTimeout,
    httpcore.WriteTimeout: httpx.WriteTimeout,
    httpcore.PoolTimeout: httpx.PoolTimeout,
    httpcore.TimeoutException: httpx.TimeoutException,
    httpcore.ConnectError: httpx.ConnectError,
    httpcore.ReadError: httpx.ReadError,
    httpcore.WriteError: httpx.WriteError,
    httpcore.NetworkError: httpx.NetworkError,
    httpcore.RemoteProtocolError: httpx.RemoteProtocolError,
    httpcore.LocalProtocolError: httpx.LocalProtocolError,
    httpcore.ProtocolError: httpx.ProtocolError,
    httpcore.UnsupportedProtocol: httpx.UnsupportedProtocol,
    httpcore.ProxyError: httpx.ProxyError,
}


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    """Shorten ``timeout`` to the active deadline; raise ``error`` once it passed."""
    remaining = remaining_seconds()
    if remaining is None:
        return timeout

    if remaining <= 0:
        raise error("the total time limit of the fetch has passed")

    if timeout is None:
        return remaining

    return min(timeout, remaining)


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every operation ends by the active deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._stream.start_tls(
            ssl_context, server_hostname, _bounded(timeout, httpcore.ConnectTimeout)
        )
        return DeadlineStream(stream)

    def get_extra_info(self, info: str) -> object:
        return self._stream.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """Network backend that connects only to addresses the policy allows."""

    def __init__(self, resolver: Resolver, is_blocked: Callable[[str], bool]) -> None:
        self._resolver = resolver
        self._is_blocked = is_blocked
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = checked_addresses(host, port, self._resolver, self._is_blocked)

        error: Exception | None = None
        for address in addresses:
            try:
                stream = self._backend.connect_tcp(
                    address,
                    port,
                    _bounded(timeout, httpcore.ConnectTimeout),
                    local_address,
                    socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                logger.debug(
                    "Connection attempt failed",
                    extra={"host": host, "address": address, "error": repr(exc)},
                )
                error = exc
            else:
                return DeadlineStream(stream)

        assert error is not None
        raise error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("Unix sockets are not used by the fetcher")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@contextmanager
def _httpx_errors() -> Iterator[None]:
    """Re-raise httpcore exceptions as the matching httpx exceptions."""
    try:
        yield
    except Exception as exc:
        for cls in type(exc).__mro__:
            if cls in _EXCEPTIONS:
                raise _EXCEPTIONS[cls](str(exc)) from exc
        raise


class _ResponseStream(httpx.SyncByteStream):
    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        with _httpx_errors():
            yield from self._stream

    def close(self) -> None:
        if hasattr(self._stream, "close"):
            with _httpx_errors():
                self._stream.close()


class GuardedTransport(httpx.BaseTransport):
    """httpx transport on a connection pool that uses ``GuardedBackend``.

    It has no proxy support, because a proxy would make the connections that
    the backend is there to check.
    """

    def __init__(
        self,
        backend: GuardedBackend,
        *,
        ssl_context: ssl.SSLContext,
        limits: httpx.Limits,
    ) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=backend,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )

        with _httpx_errors():
            core_response = self._pool.handle_request(core_request)

        return httpx.Response(
            status_code=core_response.status,
            headers=core_response.headers,
            stream=_ResponseStream(core_response.stream),
            extensions=core_response.extensions,
        )

    def close(self) -> None:
        self._pool.close()
