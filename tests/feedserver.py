"""A real HTTP server on 127.0.0.1 that serves canned or computed responses.

Tests register routes by path; each request is recorded with its time so tests
can check request counts and spacing.
"""

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Response:
    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    at: float


Handler = Callable[[RecordedRequest], Response]


class FeedServer:
    """Serve registered routes; unknown paths return 404."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self) -> "FeedServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def route(
        self,
        path: str,
        body: bytes | Handler = b"",
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        content_type: str = "application/rss+xml; charset=utf-8",
    ) -> str:
        """Register a response for ``path`` and return its absolute URL."""
        if callable(body):
            self.routes[path] = body
        else:
            fixed = Response(
                status, body, {"Content-Type": content_type, **(headers or {})}
            )
            self.routes[path] = lambda request: fixed
        return self.url(path)

    def reset(self) -> None:
        """Forget every route and recorded request, for reuse by another test."""
        with self._lock:
            self.routes.clear()
            self.requests.clear()

    def requests_for(self, path: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle(self) -> None:
                try:
                    super().handle()
                except (BrokenPipeError, ConnectionResetError):
                    # Clients that stop reading early, as fetch tests do, close
                    # or reset the connection.
                    pass

            def do_GET(self) -> None:  # noqa: N802 (http.server naming)
                request = RecordedRequest(
                    "GET", self.path, dict(self.headers.items()), time.time()
                )
                server._record(request)
                handler = server.routes.get(
                    self.path.split("?")[0]
                ) or server.routes.get(self.path)
                response = handler(request) if handler else Response(404, b"not found")
                self._send(response)

            def _send(self, response: Response) -> None:
                self.send_response(response.status)
                chunks = response.body
                if isinstance(chunks, bytes):
                    if "Content-Length" not in response.headers:
                        self.send_header("Content-Length", str(len(chunks)))
                    chunks = [chunks]
                else:
                    self.close_connection = True
                for name, value in response.headers.items():
                    self.send_header(name, value)
                if isinstance(response.body, bytes):
                    self.end_headers()
                else:
                    self.send_header("Connection", "close")
                    self.end_headers()
                try:
                    for chunk in chunks:
                        self.wfile.write(chunk)
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                pass

        return RequestHandler
