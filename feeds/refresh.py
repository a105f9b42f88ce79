"""One refresh of one feed: slot, fetch, parse, store.

This module joins the layers and does not import Dramatiq. The actor passes
the message's feed id, token and attempt number, and turns ``RetryLater``
into a Dramatiq retry.
"""

import logging
import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from psycopg_pool import ConnectionPool

from feeds import next_run, refresh_store, scheduler, throttle, worker_metrics
from feeds.errors import FetchError, NotAFeed, ParseError
from feeds.fetch import Fetcher, looks_like_challenge
from feeds.fetch.model import FetchResult
from feeds.parse import parse_feed
from feeds.refresh_store import Attempt, Failure
from feeds.settings import Settings

logger = logging.getLogger(__name__)


class RetryLater(Exception):
    """A transient failure that another attempt may fix."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.error)
        self.failure = failure


@dataclass
class Refresher:
    """The settings, pool and fetcher that a worker process's refreshes share."""

    settings: Settings
    pool: ConnectionPool
    fetcher: Fetcher

    def refresh(
        self,
        feed_id: uuid.UUID,
        token: uuid.UUID,
        *,
        message_id: uuid.UUID | None = None,
        final_attempt: bool = True,
    ) -> str:
        """Run one refresh and return its outcome.

        Outcomes: stale, deferred, success, failed. Raises RetryLater for a
        transient failure when this is not the final attempt. The row then
        stays queued until the retry message arrives.
        """
        # Starting, claiming co-subscribers and taking the domain slot share
        # one transaction. The slot comes last: database work between the slot
        # and the request (a slow statement, a pool reconnecting after a
        # restart) would delay the request into the next slot of the domain.
        with self.pool.connection() as conn:
            attempt = self._begin(conn, feed_id, token, message_id)
            if attempt is None:
                logger.info("dropped stale refresh", extra=_fields(feed_id, message_id))
                worker_metrics.count_refresh("stale")
                return "stale"
            slot = self._take_domain_slot(conn, attempt)
        if slot is None:
            return "deferred"
        _sleep_for(slot)

        try:
            return self._fetch_and_store(attempt)
        except RetryLater as retry:
            if final_attempt:
                self._save_failure(attempt, retry.failure)
                return "failed"
            with self.pool.connection() as conn:
                refresh_store.release_co_subscribers(conn, attempt)
                scheduler.await_retry(conn, feed_id, token)
            worker_metrics.count_refresh("retried", retry.failure.code)
            raise

    def record_interrupted(self, feed_id, token, message_id, failure: Failure) -> None:
        """Store a failure for a refresh that was interrupted mid-way (time limit)."""
        with self.pool.connection() as conn:
            feed = refresh_store.load(conn, feed_id)
        if feed is None:
            return
        attempt = Attempt(feed, token, message_id, datetime.now(UTC), time.monotonic())
        self._save_failure(attempt, failure)

    def _begin(self, conn, feed_id, token, message_id) -> Attempt | None:
        feed = refresh_store.begin(conn, feed_id, token)
        if feed is None:
            return None
        now = datetime.now(UTC)
        attempt = Attempt(feed, token, message_id, now, time.monotonic())
        return refresh_store.claim_co_subscribers(conn, attempt)

    def _take_domain_slot(self, conn, attempt: Attempt) -> throttle.Slot | None:
        """Take the domain's next slot, or defer the refresh and return None."""
        slot = throttle.take_slot(
            conn,
            throttle.domain_of(attempt.feed.url),
            interval_seconds=self.settings.domain_interval_seconds,
            max_wait_seconds=self.settings.domain_max_wait_seconds,
        )
        if isinstance(slot, throttle.Slot):
            return slot

        refresh_store.release_co_subscribers(conn, attempt)
        scheduler.defer_run(conn, attempt.feed.id, attempt.token, run_at=slot.retry_at)
        logger.info("deferred refresh for domain slot", extra=_attempt(attempt))
        worker_metrics.count_refresh("deferred")
        return None

    def _wait_for_domain_slot(self, attempt: Attempt) -> bool:
        """Sleep for a near slot and return True, or defer the refresh."""
        with self.pool.connection() as conn:
            slot = self._take_domain_slot(conn, attempt)
        if slot is None:
            return False
        _sleep_for(slot)
        return True

    def _fetch_and_store(self, attempt: Attempt) -> str:
        feed = attempt.feed
        try:
            fetched = self._fetch(feed.url, attempt.request_validators())
            parsed = None if fetched.not_modified else self._parse(fetched)
        except FetchError as error:
            return self._fetch_failed(attempt, error)
        except NotAFeed as error:
            return self._not_a_feed(attempt, error)
        except ParseError as error:
            return self._parse_failed(attempt, error)

        self._save_success(attempt, fetched, parsed)
        return "success"

    def _fetch(self, url: str, validators) -> FetchResult:
        started = time.monotonic()
        try:
            fetched = self.fetcher.fetch(url, validators)
        finally:
            worker_metrics.observe_fetch(time.monotonic() - started)
        worker_metrics.count_received_bytes(fetched.bytes_received)
        return fetched

    def _not_a_feed(self, attempt: Attempt, error: NotAFeed) -> str:
        """Follow a page's link to its feed once, on a feed never fetched before."""
        feed = attempt.feed
        if not (error.feed_links and feed.never_succeeded):
            return self._parse_failed(attempt, error)

        with self.pool.connection() as conn:
            refresh_store.release_co_subscribers(conn, attempt)
            switched = refresh_store.switch_to_discovered(
                conn, feed, error.feed_links[0]
            )
        attempt = replace(attempt, co_subscribers=())
        if switched is None:
            return self._parse_failed(attempt, error)

        logger.info("subscribed to discovered feed", extra=_attempt(attempt))
        attempt = replace(attempt, feed=switched)
        if not self._wait_for_domain_slot(attempt):
            return "deferred"
        return self._fetch_and_store(attempt)

    def _parse_failed(self, attempt: Attempt, error: ParseError) -> str:
        self._save_failure(attempt, Failure(error.code, error.message))
        return "failed"

    def _parse(self, fetched: FetchResult):
        try:
            return parse_feed(
                fetched.body,
                fetched.url,
                content_type=fetched.content_type,
                fetched_at=fetched.started_at,
            )
        except ParseError as error:
            if looks_like_challenge(fetched.status, fetched.content_type, fetched.body):
                raise FetchError(
                    "blocked",
                    "the server answered with a challenge or login page",
                    url=fetched.url,
                    status=fetched.status,
                ) from error
            raise

    def _fetch_failed(self, attempt: Attempt, error: FetchError) -> str:
        failure = Failure(error.code, error.message, http_status=error.status)
        if error.retryable:
            raise RetryLater(failure)

        if error.retry_after_seconds:
            self._block_domain(attempt, error.retry_after_seconds)
        self._save_failure(attempt, failure, retry_after=error.retry_after_seconds)
        return "failed"

    def _block_domain(self, attempt: Attempt, seconds: float) -> None:
        until = next_run.after_failure(
            datetime.now(UTC),
            interval_minutes=0,
            consecutive_failures=1,
            retry_after_seconds=seconds,
        ).at
        with self.pool.connection() as conn:
            throttle.block_until(conn, throttle.domain_of(attempt.feed.url), until)

    def _save_success(self, attempt, fetched: FetchResult, parsed) -> None:
        now = datetime.now(UTC)
        plans = [
            (member, self._plan_after_success(member, fetched, parsed, now))
            for member in attempt.members
        ]
        with self.pool.connection() as conn:
            added = refresh_store.save_success(
                conn, plans, fetched, parsed, duration_ms=_ms(attempt)
            )
        worker_metrics.count_refresh("success")
        worker_metrics.count_articles_added(sum(added))
        logger.info(
            "refreshed feed",
            extra={
                **_attempt(attempt),
                "articles_added": added[0],
                "subscribers": len(plans),
            },
        )

    def _plan_after_success(self, member, fetched, parsed, now) -> next_run.NextRun:
        return next_run.after_success(
            now,
            interval_minutes=member.feed.refresh_interval,
            hints=parsed.hints if parsed else None,
            max_age_seconds=fetched.max_age_seconds,
            expires=fetched.expires,
        )

    def _save_failure(
        self, attempt: Attempt, failure: Failure, *, retry_after: float | None = None
    ) -> None:
        plans = [
            (member, self._plan_after_failure(member, failure, retry_after))
            for member in attempt.members
        ]
        with self.pool.connection() as conn:
            refresh_store.save_failure(conn, plans, failure, duration_ms=_ms(attempt))
        worker_metrics.count_refresh("failed", failure.code)
        logger.warning(
            "refresh failed",
            extra={**_attempt(attempt), "error_code": failure.code},
        )

    def _plan_after_failure(self, attempt, failure, retry_after) -> next_run.NextRun:
        if failure.http_status == 410:
            return next_run.NextRun(None, "gone")
        return next_run.after_failure(
            datetime.now(UTC),
            interval_minutes=attempt.feed.refresh_interval,
            consecutive_failures=attempt.feed.consecutive_failures + 1,
            retry_after_seconds=retry_after,
        )


def _sleep_for(slot: throttle.Slot) -> None:
    wait_seconds = max(0.0, slot.wait_seconds)
    time.sleep(wait_seconds)
    worker_metrics.observe_domain_wait(wait_seconds)


def _ms(attempt: Attempt) -> int:
    return int((time.monotonic() - attempt.monotonic_start) * 1000)


def _attempt(attempt: Attempt) -> dict:
    return {**_fields(attempt.feed.id, attempt.message_id), "url": attempt.feed.url}


def _fields(feed_id, message_id) -> dict:
    return {"feed_id": str(feed_id), "message_id": str(message_id)}
