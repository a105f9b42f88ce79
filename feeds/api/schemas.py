"""Pydantic models of the API's request bodies, query strings and responses.

Request models reject unknown fields. Response models are built from database
rows and render every datetime in UTC with an explicit offset.
"""

import unicodedata
import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from feeds.settings import (
    DEFAULT_REFRESH_INTERVAL_MINUTES,
    MAX_REFRESH_INTERVAL_MINUTES,
    MIN_REFRESH_INTERVAL_MINUTES,
)

MAX_URL_LENGTH = 2048
MAX_TITLE_LENGTH = 500
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
MAX_CURSOR_LENGTH = 200


def _check_storable_text(value: str) -> str:
    """Reject text that PostgreSQL cannot store in a ``text`` column."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no unpaired surrogates)") from None
    return value


def _check_feed_url(value: str) -> str:
    if any(char.isspace() or unicodedata.category(char) == "Cc" for char in value):
        raise ValueError("URL must not contain whitespace or control characters")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (the property raises ValueError for an invalid port)
    except ValueError as error:
        raise ValueError(f"URL is not valid: {error}") from None

    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError("URL must use the http or https scheme")
    if not parts.hostname:
        raise ValueError("URL must be absolute and include a host")
    return value


def _require_string(value: object) -> object:
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date-time string")
    return value


def _assume_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


FeedUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_URL_LENGTH),
    AfterValidator(_check_storable_text),
    AfterValidator(_check_feed_url),
    Field(
        description="Absolute http or https URL of the feed. Surrounding whitespace "
        "is removed",
        examples=["https://example.com/feed.xml"],
    ),
]
Title = Annotated[
    str,
    StringConstraints(max_length=MAX_TITLE_LENGTH),
    AfterValidator(_check_storable_text),
]
RefreshInterval = Annotated[
    int,
    Field(
        strict=True,
        ge=MIN_REFRESH_INTERVAL_MINUTES,
        le=MAX_REFRESH_INTERVAL_MINUTES,
        description="Minutes between refreshes",
    ),
]
RequestDatetime = Annotated[
    datetime,
    BeforeValidator(_require_string),
    AfterValidator(_assume_utc),
    Field(description="ISO 8601 date-time; a value without an offset is UTC"),
]
UtcDatetime = Annotated[datetime, AfterValidator(_to_utc)]


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- requests -------------------------------------------------------------------


class FeedCreate(RequestModel):
    """Body of POST /api/feeds."""

    url: FeedUrl
    title: Title | None = None
    refresh_interval: RefreshInterval = DEFAULT_REFRESH_INTERVAL_MINUTES


class FeedUpdate(RequestModel):
    """Body of PATCH /api/feeds/{feed_id}: at least one field.

    A null title clears the title. url and refresh_interval reject null, because
    their defaults apply only when the field is absent.
    """

    url: FeedUrl = None
    title: Title | None = None
    refresh_interval: RefreshInterval = None

    @model_validator(mode="after")
    def _require_a_field(self) -> "FeedUpdate":
        if not self.model_fields_set:
            raise ValueError("at least one of url, title, refresh_interval is required")
        return self


class ArticlesQuery(BaseModel):
    """Query string of GET /api/feeds/{feed_id}/articles."""

    limit: int = Field(
        DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Page size"
    )
    cursor: str = Field(
        None,
        max_length=MAX_CURSOR_LENGTH,
        description="The next_cursor of the previous page. Omit it for the first page",
    )


class RunsQuery(BaseModel):
    """Query string of GET /api/feeds/{feed_id}/runs."""

    limit: int = Field(
        DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Number of runs"
    )


class ScheduleRequest(RequestModel):
    """Body of POST /api/rss/schedule, sent by the reader app's scheduler."""

    feed_id: uuid.UUID
    feed_url: FeedUrl | None = Field(
        None, description="Creates the feed with feed_id when the user has no such feed"
    )
    feed_title: Title | None = Field(
        None, description="Title of a feed created from feed_url"
    )
    refresh_interval: RefreshInterval = Field(
        DEFAULT_REFRESH_INTERVAL_MINUTES,
        description="Minutes between refreshes. When sent for an existing feed, it "
        "is also stored on the feed",
    )
    last_fetched: RequestDatetime | None = None
    force_immediate: bool = Field(False, strict=True)


class FeedIdRequest(RequestModel):
    """Body of POST /api/rss/cancel and POST /api/rss/force-refresh."""

    feed_id: uuid.UUID


# -- responses ------------------------------------------------------------------


class Feed(BaseModel):
    """A subscription with its last fetch result and its next scheduled refresh."""

    id: uuid.UUID
    url: str
    title: str | None
    refresh_interval: int = Field(description="Minutes between refreshes")
    last_fetched: UtcDatetime | None
    last_fetch_status: Literal["success", "failed"] | None
    last_fetch_error: str | None
    last_error_code: str | None = Field(
        description="Stable code of the last failure, such as dns, timeout, "
        "http_status or not_a_feed; null after a success"
    )
    consecutive_failures: int = Field(
        description="Failed refreshes since the last success"
    )
    next_refresh_at: UtcDatetime | None
    schedule_state: Literal["scheduled", "queued", "running", "cancelled"] | None
    created_at: UtcDatetime


class FeedList(BaseModel):
    feeds: list[Feed]


class Article(BaseModel):
    id: uuid.UUID
    feed_id: uuid.UUID
    user_id: uuid.UUID
    title: str
    content: str | None
    summary: str | None
    url: str
    author: str | None
    published_at: UtcDatetime
    is_read: bool
    is_starred: bool
    thumbnail: str | None
    created_at: UtcDatetime


class ArticlePage(BaseModel):
    articles: list[Article] = Field(description="Newest first")
    next_cursor: str | None = Field(
        description="Cursor of the next page, or null on the last page"
    )


class Run(BaseModel):
    """One refresh of a feed that reached a result."""

    started_at: UtcDatetime
    duration_ms: int
    status: Literal["success", "failed"]
    http_status: int | None
    bytes_received: int | None
    not_modified: bool
    articles_added: int
    error_code: str | None
    error: str | None
    next_run_at: UtcDatetime | None
    next_run_reason: str | None


class RunList(BaseModel):
    runs: list[Run] = Field(description="Newest first")


class ScheduleResult(BaseModel):
    success: Literal[True] = True
    delay_seconds: float = Field(description="Seconds until the refresh is due")
    priority: Literal["manual", "overdue", "normal"]
    task_id: str = Field(examples=["feed-7d5c3f5e-0c1a-4c4f-9d0e-2f1b8f3a6e21"])


class CancelResult(BaseModel):
    success: Literal[True] = True
    feed_id: uuid.UUID


class ForceRefreshResult(BaseModel):
    success: Literal[True] = True
    feed_id: uuid.UUID
    task_id: str


class InitResult(BaseModel):
    success: Literal[True] = True
    scheduled_count: int = Field(description="Feeds that had no schedule until now")


class Stats(BaseModel):
    """The user's pending and running refreshes, and the last 24 hours' results."""

    active_tasks: int
    scheduled_tasks: int
    completed_tasks: int
    failed_tasks: int


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ok", "unavailable"]
    reason: str | None = Field(None, description="Why the service is not ready")


class FieldError(BaseModel):
    field: str | None = Field(
        description="Dotted name of the invalid field or query parameter, or null "
        "when the error is about the body as a whole"
    )
    message: str


class Error(BaseModel):
    """Body of every error response."""

    title: str
    description: str | None = None
    errors: list[FieldError] | None = Field(
        None, description="Every invalid field, on 422 responses"
    )


class OpmlEntry(BaseModel):
    """The result for one outline with an xmlUrl of an imported OPML document."""

    line: int = Field(description="Line of the outline in the document, from 1")
    url: str = Field(description="The outline's xmlUrl")
    status: Literal["created", "skipped", "invalid"]
    reason: str | None = Field(
        description="Why the outline was skipped or is invalid, or null when created"
    )
    feed_id: uuid.UUID | None = Field(description="The created feed, else null")


class OpmlImportResult(BaseModel):
    """Body of POST /api/opml."""

    created: int
    skipped: int = Field(
        description="Outlines whose URL the user already has or the document repeats"
    )
    invalid: int = Field(
        description="Outlines whose URL is not an absolute http or https URL of at "
        f"most {MAX_URL_LENGTH} characters"
    )
    entries: list[OpmlEntry] = Field(description="One per outline, in document order")
