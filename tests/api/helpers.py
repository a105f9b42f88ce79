"""Small utilities shared by the API tests."""

import socket


def free_port() -> int:
    """Return a loopback TCP port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class UnusablePool:
    """A pool stand-in for code paths that must not touch the database."""

    def connection(self, timeout: float | None = None):
        raise AssertionError("the database was used")
