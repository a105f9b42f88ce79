"""Prometheus metrics of the refresh workers.

The refresh records outcomes, fetches, articles and domain-slot waits. The
dispatcher thread of each worker process reads queue depth and schedule lag
from PostgreSQL every few seconds into the gauges, which use the
``mostrecent`` multiprocess mode: a scrape shows the latest value that any
process read. ``feeds.actors.metrics_server`` serves them.
"""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from feeds.queue_stats import QueueStats

REGISTRY = CollectorRegistry()

REFRESHES = Counter(
    "feeds_refreshes",
    "Refresh attempts by outcome (success, failed, retried, stale, deferred) "
    "and error code (empty unless failed or retried).",
    ["outcome", "error_code"],
    registry=REGISTRY,
)
FETCH_DURATION = Histogram(
    "feeds_fetch_duration_seconds",
    "Duration of feed fetches, redirects and body included, whatever the result.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
    registry=REGISTRY,
)
RECEIVED_BYTES = Counter(
    "feeds_fetch_received_bytes",
    "Body bytes of successful fetches as received, before Content-Encoding decoding.",
    registry=REGISTRY,
)
ARTICLES_ADDED = Counter(
    "feeds_articles_added",
    "Articles stored by successful refreshes.",
    registry=REGISTRY,
)
DOMAIN_WAIT = Histogram(
    "feeds_domain_wait_seconds",
    "Time a refresh slept until its domain's request slot.",
    buckets=(0.01, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0),
    registry=REGISTRY,
)
QUEUE_MESSAGES = Gauge(
    "feeds_queue_messages",
    "Messages in dramatiq.queue by queue and state; done messages are not counted.",
    ["queue", "state"],
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
SCHEDULE_ROWS = Gauge(
    "feeds_schedule_rows",
    "feed_schedule rows by state.",
    ["state"],
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
SCHEDULE_LAG = Gauge(
    "feeds_schedule_lag_seconds",
    "Seconds since next_run_at of the oldest due scheduled feed; 0 when none is due.",
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)

# Queue labels set earlier in this process, so a queue that empties (a retry
# queue, for example) drops to 0 instead of keeping its last count.
_queue_labels: set[tuple[str, str]] = set()


def count_refresh(outcome: str, error_code: str = "") -> None:
    REFRESHES.labels(outcome, error_code).inc()


def observe_fetch(seconds: float) -> None:
    FETCH_DURATION.observe(seconds)


def count_received_bytes(count: int) -> None:
    RECEIVED_BYTES.inc(count)


def count_articles_added(count: int) -> None:
    ARTICLES_ADDED.inc(count)


def observe_domain_wait(seconds: float) -> None:
    DOMAIN_WAIT.observe(seconds)


def record_queue_stats(stats: QueueStats) -> None:
    """Set the queue and schedule gauges from one reading."""
    for labels in _queue_labels - set(stats.messages):
        QUEUE_MESSAGES.labels(*labels).set(0)
    for labels, count in stats.messages.items():
        QUEUE_MESSAGES.labels(*labels).set(count)
    _queue_labels.update(stats.messages)

    for state, count in stats.schedule_rows.items():
        SCHEDULE_ROWS.labels(state).set(count)
    SCHEDULE_LAG.set(stats.lag_seconds)
