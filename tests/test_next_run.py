from datetime import UTC, datetime, timedelta

from feeds.next_run import after_failure, after_success
from feeds.parse.model import FeedHints

NOW = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)  # a Monday


def test_success_waits_the_interval():
    run = after_success(NOW, interval_minutes=60)
    assert run.at == NOW + timedelta(minutes=60)
    assert run.reason == "interval"


def test_ttl_widens_interval():
    run = after_success(NOW, interval_minutes=60, hints=FeedHints(ttl_minutes=120))
    assert run.at == NOW + timedelta(minutes=120)
    assert run.reason == "feed_hint"


def test_hint_never_narrows_interval():
    run = after_success(NOW, interval_minutes=60, hints=FeedHints(ttl_minutes=5))
    assert run.at == NOW + timedelta(minutes=60)
    assert run.reason == "interval"


def test_hint_is_capped_at_a_day():
    hints = FeedHints(update_period_minutes=7 * 24 * 60)
    run = after_success(NOW, interval_minutes=60, hints=hints)
    assert run.at == NOW + timedelta(hours=24)


def test_hint_cap_keeps_longer_interval():
    run = after_success(NOW, interval_minutes=3 * 24 * 60, max_age_seconds=10**7)
    assert run.at == NOW + timedelta(days=3)
    assert run.reason == "interval"


def test_cache_max_age_and_expires_widen():
    by_age = after_success(NOW, interval_minutes=30, max_age_seconds=3600)
    by_expiry = after_success(
        NOW, interval_minutes=30, expires=NOW + timedelta(minutes=90)
    )
    assert by_age.at == NOW + timedelta(hours=1)
    assert by_expiry.at == NOW + timedelta(minutes=90)


def test_skip_hours_move_to_next_allowed_hour():
    hints = FeedHints(skip_hours=frozenset({11, 12, 13}))
    run = after_success(NOW, interval_minutes=60, hints=hints)
    assert run.at == datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    assert run.reason == "feed_hint"


def test_skip_days_move_to_next_allowed_day():
    hints = FeedHints(skip_days=frozenset({"Monday", "Tuesday"}))
    run = after_success(NOW, interval_minutes=60, hints=hints)
    assert run.at == datetime(2026, 3, 4, 0, 0, tzinfo=UTC)


def test_failures_back_off_exponentially():
    waits = [
        after_failure(NOW, interval_minutes=60, consecutive_failures=n).at - NOW
        for n in (1, 2, 3, 4, 5, 6)
    ]
    hours = [wait / timedelta(hours=1) for wait in waits]
    assert hours == [1, 2, 4, 8, 16, 24]


def test_first_failure_waits_the_interval():
    run = after_failure(NOW, interval_minutes=60, consecutive_failures=1)
    assert run.reason == "interval"


def test_retry_after_moves_later_and_is_capped():
    later = after_failure(
        NOW, interval_minutes=60, consecutive_failures=1, retry_after_seconds=7200
    )
    capped = after_failure(
        NOW, interval_minutes=60, consecutive_failures=1, retry_after_seconds=1e9
    )
    assert later.at == NOW + timedelta(hours=2)
    assert later.reason == "retry_after"
    assert capped.at == NOW + timedelta(days=7)
