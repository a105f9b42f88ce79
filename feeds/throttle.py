"""The domain limiter: one request per domain (host:port) per interval.

The slot is taken under a transaction-scoped advisory lock on the domain plus
a ``domain_throttle`` row, so the limit holds across every worker process.
A slot further away than the caller wants to sleep is not taken: the caller
gets a time to come back at instead, spread behind earlier deferrals.
"""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from psycopg import Connection

from feeds.db import LOCK_NAMESPACE_DOMAIN


@dataclass(frozen=True)
class Slot:
    """The request may start ``wait_seconds`` from now, at ``start_at``.

    The wait is computed by the database clock, so hosts with skewed clocks
    still keep the spacing.
    """

    start_at: datetime
    wait_seconds: float


@dataclass(frozen=True)
class Deferred:
    """The slot is too far away: come back at ``retry_at``."""

    retry_at: datetime


def domain_of(url: str) -> str:
    """Return host:port of a URL, with the scheme's default port filled in."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{host}:{port}"


_LOCK = "SELECT pg_advisory_xact_lock(%(ns)s, hashtext(%(domain)s))"

# take_domain_slot (migrations/0005) locks, reads and writes in one round trip.
_TAKE_SLOT = """
SELECT start_at, wait_seconds, retry_at
FROM take_domain_slot(%(domain)s, %(interval)s, %(max_wait)s, %(ns)s)
"""


def take_slot(
    conn: Connection, domain: str, *, interval_seconds: float, max_wait_seconds: float
) -> Slot | Deferred:
    """Take the domain's next request slot, or return when to come back.

    The domain's lock is held until the caller's transaction ends, so a caller
    inside a transaction should commit soon after.
    """
    params = {
        "domain": domain,
        "interval": interval_seconds,
        "max_wait": max_wait_seconds,
        "ns": LOCK_NAMESPACE_DOMAIN,
    }
    row = conn.execute(_TAKE_SLOT, params).fetchone()
    if row["retry_at"] is not None:
        return Deferred(row["retry_at"])
    return Slot(row["start_at"], row["wait_seconds"])


def block_until(conn: Connection, domain: str, until: datetime) -> None:
    """Keep every request to the domain from starting before ``until``.

    Used for a server's Retry-After, which applies to the whole domain.
    """
    with conn.transaction():
        conn.execute(_LOCK, {"ns": LOCK_NAMESPACE_DOMAIN, "domain": domain})
        conn.execute(
            """
            INSERT INTO domain_throttle (domain, next_slot_at)
            VALUES (%(domain)s, %(until)s)
            ON CONFLICT (domain) DO UPDATE
            SET next_slot_at = greatest(
                domain_throttle.next_slot_at, EXCLUDED.next_slot_at
            )
            """,
            {"domain": domain, "until": until},
        )
