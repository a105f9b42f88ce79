"""Parsing of Retry-After, Cache-Control and Expires."""

from datetime import UTC, datetime

import pytest

from feeds.fetch.headers import (
    MAX_AGE_CAP_SECONDS,
    parse_http_date,
    parse_max_age,
    parse_retry_after,
)

NOW = datetime(2026, 10, 21, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("0", 0),
        ("120", 120),
        (" 30 ", 30),
        ("604800", 604800),
        ("604801", 604800),
        ("Wed, 21 Oct 2026 07:28:00 GMT", 28 * 60),
        ("Wednesday, 21-Oct-26 07:28:00 GMT", 28 * 60),
        ("Wed Oct 21 07:28:00 2026", 28 * 60),
        ("Tue, 20 Oct 2026 07:00:00 GMT", 0),
        ("Wed, 18 Nov 2026 07:00:00 GMT", 604800),
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("", None),
    ],
)
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value, NOW) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("max-age=300", 300),
        ("public, max-age=3600, must-revalidate", 3600),
        ("Max-Age=60", 60),
        ('max-age="90"', 90),
        ("s-maxage=600", 600),
        ("s-maxage=600, max-age=60", 60),
        ("no-cache", None),
        ("max-age=-1", None),
        ("max-age=abc", None),
        ("max-age=99999999999999", MAX_AGE_CAP_SECONDS),
    ],
)
def test_parse_max_age(value, expected):
    assert parse_max_age(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Wed, 21 Oct 2026 07:28:00 GMT", datetime(2026, 10, 21, 7, 28, tzinfo=UTC)),
        ("Wed, 21 Oct 2026 09:28:00 +0200", datetime(2026, 10, 21, 7, 28, tzinfo=UTC)),
        ("0", None),
        ("-1", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_http_date(value, expected):
    parsed = parse_http_date(value)

    assert parsed == expected
    if parsed is not None:
        assert parsed.utcoffset().total_seconds() == 0
