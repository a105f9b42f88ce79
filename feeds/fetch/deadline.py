"""The wall-clock deadline of one fetch, shared by every hop and the body read.

The fetch publishes its deadline in a context variable. Each thread has its own
context, so the transport, which serves all threads, shortens every connect,
read and write timeout to the deadline of the fetch running in the calling
thread.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Deadline:
    """Point in ``time.monotonic()`` seconds by which a fetch must finish."""

    expires_at: float
    total_seconds: float

    @classmethod
    def after(cls, seconds: float) -> "Deadline":
        return cls(time.monotonic() + seconds, seconds)

    def remaining(self) -> float:
        return self.expires_at - time.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= 0


_active_deadline: ContextVar[Deadline | None] = ContextVar(
    "fetch_deadline", default=None
)


@contextmanager
def active_deadline(deadline: Deadline) -> Iterator[Deadline]:
    """Make ``deadline`` the one that bounds network calls in this context."""
    token = _active_deadline.set(deadline)
    try:
        yield deadline
    finally:
        _active_deadline.reset(token)


def remaining_seconds() -> float | None:
    """Return the seconds left before the active deadline, or None without one."""
    deadline = _active_deadline.get()
    if deadline is None:
        return None

    return deadline.remaining()
