"""Entry dates: RFC 822 zones, other formats, and the future-date clamp."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from feeds.parse.dates import parse_iso8601, parse_rfc822

from .support import FETCHED_AT, atom, parse_text, rss


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("EDT", "2025-04-21T10:00:00+00:00"),
        ("EST", "2025-04-21T11:00:00+00:00"),
        ("CDT", "2025-04-21T11:00:00+00:00"),
        ("CST", "2025-04-21T12:00:00+00:00"),
        ("MDT", "2025-04-21T12:00:00+00:00"),
        ("MST", "2025-04-21T13:00:00+00:00"),
        ("PDT", "2025-04-21T13:00:00+00:00"),
        ("PST", "2025-04-21T14:00:00+00:00"),
        ("AKST", "2025-04-21T15:00:00+00:00"),
        ("HST", "2025-04-21T16:00:00+00:00"),
        ("AST", "2025-04-21T10:00:00+00:00"),
        ("CET", "2025-04-21T05:00:00+00:00"),
        ("CEST", "2025-04-21T04:00:00+00:00"),
        ("MET", "2025-04-21T05:00:00+00:00"),
        ("MEST", "2025-04-21T04:00:00+00:00"),
        ("EET", "2025-04-21T04:00:00+00:00"),
        ("EEST", "2025-04-21T03:00:00+00:00"),
        ("BST", "2025-04-21T05:00:00+00:00"),
        ("WET", "2025-04-21T06:00:00+00:00"),
        ("MSK", "2025-04-21T03:00:00+00:00"),
        ("IST", "2025-04-21T00:30:00+00:00"),
        ("JST", "2025-04-20T21:00:00+00:00"),
        ("AEST", "2025-04-20T20:00:00+00:00"),
        ("AEDT", "2025-04-20T19:00:00+00:00"),
        ("UT", "2025-04-21T06:00:00+00:00"),
        ("UTC", "2025-04-21T06:00:00+00:00"),
        ("GMT", "2025-04-21T06:00:00+00:00"),
        ("Z", "2025-04-21T06:00:00+00:00"),
        ("+0000", "2025-04-21T06:00:00+00:00"),
        ("-0000", "2025-04-21T06:00:00+00:00"),
        ("+0200", "2025-04-21T04:00:00+00:00"),
        ("-0500", "2025-04-21T11:00:00+00:00"),
        ("+05:30", "2025-04-21T00:30:00+00:00"),
        ("GMT+2", "2025-04-21T04:00:00+00:00"),
        ("UTC-05:00", "2025-04-21T11:00:00+00:00"),
        ("Etc/GMT", "2025-04-21T06:00:00+00:00"),
    ],
)
def test_rfc822_zone(zone, expected):
    parsed = parse_rfc822(f"Mon, 21 Apr 2025 06:00:00 {zone}")

    assert parsed is not None, f"zone {zone} was not recognised"
    assert parsed == datetime.fromisoformat(expected), parsed.isoformat()


def test_rfc822_result_is_aware_utc():
    parsed = parse_rfc822("Fri, 11 Feb 2022 19:58:02 CET")

    assert parsed.tzinfo is UTC
    assert parsed == datetime(2022, 2, 11, 18, 58, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "21 Apr 2025 06:00:00 GMT",
        "Monday, 21 Apr 2025 06:00:00 GMT",
        "Mon, 21 April 2025 06:00:00 GMT",
        "Mon 21 Apr 2025 06:00:00 GMT",
        "Mon, 21 Apr 25 06:00:00 GMT",
        "Mon, 21 Apr 2025 06:00 GMT",
        "Mon, 21 Apr 2025 06:00:00",
        "Mon, Apr 21 2025 06:00:00 GMT",
        "Mon, 21 Apr 2025 06:00:00 +0000 (UTC)",
        "Mon, 21 Apr 2025 06:00:00.250 GMT",
        "  Mon, 21 Apr 2025 06:00:00 gmt  ",
    ],
)
def test_rfc822_variations(text):
    assert parse_rfc822(text) == datetime(2025, 4, 21, 6, 0, tzinfo=UTC), text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Invalid Date",
        "2024-01-02T03:04:05Z",
        "Mon, 21 Apr 2025 06:00:00 XYZ",
        "Mon, 31 Feb 2025 06:00:00 GMT",
        "Mon, 21 Foo 2025 06:00:00 GMT",
        "Mon, 21 Apr 2025 25:00:00 GMT",
        "Mon, 21 Apr 2025 06:00:00 +2500",
    ],
)
def test_rfc822_rejects(text):
    assert parse_rfc822(text) is None, text


def test_two_digit_years_pivot_at_fifty():
    assert parse_rfc822("01 Jan 49 00:00 GMT").year == 2049
    assert parse_rfc822("01 Jan 50 00:00 GMT").year == 1950


def test_iso8601_with_offset():
    parsed = parse_iso8601("2024-07-10T23:15:00-07:00")

    assert parsed == datetime(2024, 7, 11, 6, 15, tzinfo=UTC)


def test_iso8601_without_zone_is_utc():
    assert parse_iso8601("2024-07-10T23:15:00") == datetime(
        2024, 7, 10, 23, 15, tzinfo=UTC
    )


def test_unknown_zone_uses_feedparser_value():
    feed = parse_text(
        rss(
            "<item><link>https://example.org/1</link>"
            "<pubDate>Mon, 21 Apr 2025 06:00:00 XYZ</pubDate></item>"
        )
    )

    assert feed.entries[0].published_at == datetime(2025, 4, 21, 6, tzinfo=UTC)


def test_atom_dates_with_offsets():
    feed = parse_text(
        atom(
            "<entry><id>tag:a</id><title>A</title>"
            "<published>2024-01-02T03:04:05+02:00</published></entry>"
        )
    )

    assert feed.entries[0].published_at == datetime(2024, 1, 2, 1, 4, 5, tzinfo=UTC)


def test_dc_date_without_pub_date():
    feed = parse_text(
        rss(
            "<item><link>https://example.org/1</link>"
            "<dc:date>2003-12-31T10:14:55Z</dc:date></item>"
        )
    )

    assert feed.entries[0].published_at == datetime(
        2003, 12, 31, 10, 14, 55, tzinfo=UTC
    )


def test_invalid_published_falls_back_to_updated():
    feed = parse_text(
        atom(
            "<entry><id>tag:a</id><title>A</title><published>soon</published>"
            "<updated>2024-01-02T03:04:05Z</updated></entry>"
        )
    )

    assert feed.entries[0].published_at == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def rss_dated(when: datetime) -> str:
    stamp = when.strftime("%a, %d %b %Y %H:%M:%S +0000")
    return rss(
        f"<item><link>https://example.org/1</link><pubDate>{stamp}</pubDate></item>"
    )


def test_future_date_clamped():
    feed = parse_text(rss_dated(FETCHED_AT + timedelta(days=2)))

    assert feed.entries[0].published_at == FETCHED_AT


def test_near_future_date_kept():
    ahead = FETCHED_AT + timedelta(hours=12)

    feed = parse_text(rss_dated(ahead))

    assert feed.entries[0].published_at == ahead


def test_clamp_uses_fetch_time_in_utc():
    fetched_in_paris = FETCHED_AT.astimezone(timezone(timedelta(hours=1)))

    feed = parse_text(
        rss_dated(FETCHED_AT + timedelta(days=3)), fetched_at=fetched_in_paris
    )

    assert feed.entries[0].published_at == FETCHED_AT
    assert feed.entries[0].published_at.utcoffset() == timedelta(0)


def test_naive_fetch_time_is_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_text(rss_dated(FETCHED_AT), fetched_at=datetime(2026, 3, 1))
