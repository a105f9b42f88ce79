"""What the fetcher takes and returns; it does not use the database."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Validators:
    """Values of the previous fetch, sent back to make the request conditional.

    ``etag`` and ``last_modified`` are stored exactly as the server sent them;
    ``body_sha256`` is the hex digest of the last body, used to skip parsing
    when a server ignores validators and returns the same bytes.
    """

    etag: str | None = None
    last_modified: str | None = None
    body_sha256: str | None = None


@dataclass(frozen=True)
class FetchResult:
    """A successful fetch (2xx or 304).

    ``not_modified`` is true for a 304 and for a body byte-identical to the
    previous one; ``body`` is then None. ``permanent_url`` is the final URL when
    every redirect hop was permanent (301 or 308), else None.
    ``bytes_received`` counts the final response's body bytes as they came over
    the wire, before Content-Encoding decoding (0 for a 304). Datetimes are
    aware and in UTC.
    """

    requested_url: str
    url: str
    status: int
    not_modified: bool
    body: bytes | None
    content_type: str | None
    etag: str | None
    last_modified: str | None
    body_sha256: str | None
    bytes_received: int
    permanent_url: str | None
    max_age_seconds: int | None
    expires: datetime | None
    started_at: datetime
    elapsed_seconds: float
