"""Refresh hints a feed publishes: ttl, sy:updatePeriod, skipHours, skipDays."""

import pytest

from feeds.parse import FeedHints
from feeds.parse.hints import parse_hints

from .support import parse_text, rss


def channel_hints(channel: str) -> FeedHints:
    return parse_text(rss("", channel=f"<title>T</title>{channel}")).hints


def test_no_hints_give_defaults():
    assert channel_hints("") == FeedHints()


def test_ttl_in_minutes():
    assert channel_hints("<ttl> 90 </ttl>").ttl_minutes == 90


@pytest.mark.parametrize("value", ["0", "-5", "soon", ""])
def test_invalid_ttl_is_ignored(value):
    assert channel_hints(f"<ttl>{value}</ttl>").ttl_minutes is None


@pytest.mark.parametrize(
    ("period", "frequency", "minutes"),
    [
        ("hourly", None, 60),
        ("hourly", "2", 30),
        ("daily", None, 1440),
        ("daily", "4", 360),
        ("weekly", "1", 10080),
        ("monthly", None, 43200),
        ("yearly", None, 525600),
        ("Daily", "0", 1440),
    ],
)
def test_update_period(period, frequency, minutes):
    channel = f"<sy:updatePeriod>{period}</sy:updatePeriod>"
    if frequency is not None:
        channel += f"<sy:updateFrequency>{frequency}</sy:updateFrequency>"

    assert channel_hints(channel).update_period_minutes == minutes


def test_unknown_update_period_is_ignored():
    channel = "<sy:updatePeriod>fortnightly</sy:updatePeriod>"

    assert channel_hints(channel).update_period_minutes is None


def test_skip_hours():
    channel = (
        "<skipHours><hour>0</hour><hour> 7 </hour><hour>23</hour>"
        "<hour>24</hour><hour>31</hour><hour>x</hour></skipHours>"
    )

    assert channel_hints(channel).skip_hours == frozenset({0, 7, 23})


def test_skip_days():
    channel = (
        "<skipDays><day>Saturday</day><day>sunday</day><day>Caturday</day></skipDays>"
    )

    assert channel_hints(channel).skip_days == frozenset({"Saturday", "Sunday"})


def test_hints_quoted_in_cdata_are_ignored():
    hints = parse_hints(
        "<rss><channel><item><description><![CDATA[<ttl>5</ttl>"
        "<skipHours><hour>3</hour></skipHours>]]></description></item>"
        "</channel></rss>"
    )

    assert hints == FeedHints()


def test_atom_feed_reads_sy_hints():
    document = (
        '<feed xmlns="http://www.w3.org/2005/Atom"'
        ' xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">'
        "<title>T</title><sy:updatePeriod>daily</sy:updatePeriod></feed>"
    )

    assert parse_text(document).hints.update_period_minutes == 1440
