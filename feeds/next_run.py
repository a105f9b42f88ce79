"""When a feed refreshes next, and why.

Reasons: interval, feed_hint, error_backoff, retry_after, manual, gone.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from feeds.parse.model import FeedHints

MAX_HINT = timedelta(hours=24)
MAX_ERROR_BACKOFF = timedelta(hours=24)
MAX_RETRY_AFTER = timedelta(days=7)
_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
DAY_NAMES = (*_DAY_NAMES, "sunday")


@dataclass(frozen=True)
class NextRun:
    """``at`` None means: stop scheduling the feed."""

    at: datetime | None
    reason: str


def after_success(
    now: datetime,
    *,
    interval_minutes: int,
    hints: FeedHints | None = None,
    max_age_seconds: int | None = None,
    expires: datetime | None = None,
) -> NextRun:
    """Wait the feed's interval, widened (never narrowed) by its own hints.

    Hints are RSS ttl, sy:updatePeriod/updateFrequency, Cache-Control max-age
    and Expires; a hint widens the wait to at most 24 hours. skipHours and
    skipDays (UTC) then move the time to the first allowed hour.
    """
    interval = timedelta(minutes=interval_minutes)
    hinted = _longest_hint(now, hints, max_age_seconds, expires)
    wait, reason = interval, "interval"
    if hinted is not None and min(hinted, MAX_HINT) > interval:
        wait, reason = min(hinted, MAX_HINT), "feed_hint"

    at = now + wait
    allowed = _skip_forward(at, hints)
    if allowed != at:
        return NextRun(allowed, "feed_hint")
    return NextRun(at, reason)


def after_failure(
    now: datetime,
    *,
    interval_minutes: int,
    consecutive_failures: int,
    retry_after_seconds: float | None = None,
) -> NextRun:
    """Back off after the n-th failure in a row: min(interval * 2^(n-1), 24 h).

    A server's Retry-After (capped at 7 days) moves the run later, never earlier.
    """
    interval = timedelta(minutes=interval_minutes)
    exponent = max(0, consecutive_failures - 1)
    wait = min(interval * (2 ** min(exponent, 20)), MAX_ERROR_BACKOFF)
    reason = "error_backoff" if exponent else "interval"

    if retry_after_seconds is not None:
        retry_after = min(timedelta(seconds=retry_after_seconds), MAX_RETRY_AFTER)
        if retry_after > wait:
            return NextRun(now + retry_after, "retry_after")
    return NextRun(now + wait, reason)


def _longest_hint(
    now: datetime,
    hints: FeedHints | None,
    max_age_seconds: int | None,
    expires: datetime | None,
) -> timedelta | None:
    candidates = []
    if hints and hints.ttl_minutes:
        candidates.append(timedelta(minutes=hints.ttl_minutes))
    if hints and hints.update_period_minutes:
        candidates.append(timedelta(minutes=hints.update_period_minutes))
    if max_age_seconds:
        candidates.append(timedelta(seconds=max_age_seconds))
    if expires is not None and expires > now:
        candidates.append(expires - now)
    return max(candidates) if candidates else None


def _skip_forward(at: datetime, hints: FeedHints | None) -> datetime:
    """Move ``at`` to the start of the first hour that skipHours/skipDays allow."""
    if hints is None or not (hints.skip_hours or hints.skip_days):
        return at

    skip_days = {day.lower() for day in hints.skip_days}
    if len(skip_days) >= 7 or len(hints.skip_hours) >= 24:
        return at

    candidate = at
    for _ in range(24 * 8):
        day = DAY_NAMES[candidate.weekday()]
        if candidate.hour not in hints.skip_hours and day not in skip_days:
            return candidate
        candidate = candidate.replace(minute=0, second=0, microsecond=0)
        candidate += timedelta(hours=1)
    return at
