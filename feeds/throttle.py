"""The domain limiter: one request per domain (host:port) per interval.

The slot is taken under a transaction-scoped advisory lock on the domain plus
a ``domain_throttle`` row, so the limit holds across every worker process.
A slot further away than the caller wants to sleep is not taken: the caller
gets a time to come back at instead, spread behind earlier deferrals.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
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

_READ = """
SELECT clock_timestamp() AS now, next_slot_at, deferred_until
FROM domain_throttle WHERE domain = %(domain)s
"""

_TAKE = """
INSERT INTO domain_throttle (domain, next_slot_at)
VALUES (%(domain)s, %(next_slot_at)s)
ON CONFLICT (domain) DO UPDATE SET next_slot_at = EXCLUDED.next_slot_at
"""

_DEFER = """
UPDATE domain_throttle SET deferred_until = %(retry_at)s WHERE domain = %(domain)s
"""


def take_slot(
    conn: Connection, domain: str, *, interval_seconds: float, max_wait_seconds: float
) -> Slot | Deferred:
    """Take the domain's next request slot, or return when to come back."""
    interval = timedelta(seconds=interval_seconds)
    with conn.transaction():
        conn.execute(_LOCK, {"ns": LOCK_NAMESPACE_DOMAIN, "domain": domain})
        row = conn.execute(_READ, {"domain": domain}).fetchone()
        now = row["now"] if row else _now(conn)
        next_slot = row["next_slot_at"] if row else now
        start = max(now, next_slot)

        if start - now <= timedelta(seconds=max_wait_seconds):
            params = {"domain": domain, "next_slot_at": start + interval}
            conn.execute(_TAKE, params)
            return Slot(start, (start - now).total_seconds())

        behind = row["deferred_until"]
        retry_at = max(start, behind + interval) if behind else start
        conn.execute(_DEFER, {"domain": domain, "retry_at": retry_at})
        return Deferred(retry_at)


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


def _now(conn: Connection) -> datetime:
    return conn.execute("SELECT clock_timestamp() AS now").fetchone()["now"]
