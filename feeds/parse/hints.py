"""Read the refresh hints a feed publishes: RSS ttl, skipHours, skipDays, sy:*.

feedparser 6.0 flattens skipHours and skipDays to their last value, so the hints
are read from the XML text. CDATA sections and comments are ignored, because
article text may quote these elements.
"""

import re

from feeds.parse.markup import split_literal_sections
from feeds.parse.model import FeedHints

TTL = re.compile(r"<ttl\b[^>]{0,100}>\s*([^<]{0,20}?)\s*</ttl\s*>", re.IGNORECASE)

UPDATE_PERIOD = re.compile(
    r"<(?:[A-Za-z_][\w.-]{0,30}:)?updatePeriod\b[^>]{0,100}>\s*([^<]{0,20}?)\s*<",
    re.IGNORECASE,
)
UPDATE_FREQUENCY = re.compile(
    r"<(?:[A-Za-z_][\w.-]{0,30}:)?updateFrequency\b[^>]{0,100}>\s*([^<]{0,20}?)\s*<",
    re.IGNORECASE,
)

SKIP_HOURS = re.compile(
    r"<skipHours\b[^>]{0,100}>(.{0,2000}?)</skipHours\s*>", re.I | re.S
)
SKIP_DAYS = re.compile(
    r"<skipDays\b[^>]{0,100}>(.{0,2000}?)</skipDays\s*>", re.I | re.S
)
HOUR = re.compile(r"<hour\b[^>]{0,100}>\s*([0-9]{1,2})\s*</hour\s*>", re.IGNORECASE)
DAY = re.compile(r"<day\b[^>]{0,100}>\s*([A-Za-z]{1,12})\s*</day\s*>", re.IGNORECASE)

# Minutes in one sy:updatePeriod (RSS 1.0 Syndication module). A month and a
# year are taken as 30 and 365 days.
PERIOD_MINUTES = {
    "hourly": 60,
    "daily": 24 * 60,
    "weekly": 7 * 24 * 60,
    "monthly": 30 * 24 * 60,
    "yearly": 365 * 24 * 60,
}

DAY_NAMES = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)


def parse_hints(xml_text: str) -> FeedHints:
    """Return the refresh hints found in an RSS or Atom document.

    Invalid values are ignored: a ttl that is not a positive integer, an unknown
    update period, hours outside 0-24 (24 is read as 0) and unknown day names.
    """
    markup = "".join(
        chunk
        for chunk, is_literal in split_literal_sections(xml_text)
        if not is_literal
    )
    return FeedHints(
        ttl_minutes=_parse_ttl(markup),
        update_period_minutes=_parse_update_period(markup),
        skip_hours=_parse_skip_hours(markup),
        skip_days=_parse_skip_days(markup),
    )


def _parse_ttl(markup: str) -> int | None:
    match = TTL.search(markup)
    if match is None:
        return None
    return _positive_int(match.group(1))


def _parse_update_period(markup: str) -> int | None:
    period = UPDATE_PERIOD.search(markup)
    if period is None:
        return None

    minutes = PERIOD_MINUTES.get(period.group(1).strip().lower())
    if minutes is None:
        return None

    frequency_match = UPDATE_FREQUENCY.search(markup)
    frequency = _positive_int(frequency_match.group(1)) if frequency_match else None
    return max(1, round(minutes / (frequency or 1)))


def _parse_skip_hours(markup: str) -> frozenset[int]:
    block = SKIP_HOURS.search(markup)
    if block is None:
        return frozenset()

    hours = (int(value) for value in HOUR.findall(block.group(1)))
    return frozenset(hour % 24 for hour in hours if hour <= 24)


def _parse_skip_days(markup: str) -> frozenset[str]:
    block = SKIP_DAYS.search(markup)
    if block is None:
        return frozenset()

    by_lowercase = {name.lower(): name for name in DAY_NAMES}
    names = (by_lowercase.get(value.lower()) for value in DAY.findall(block.group(1)))
    return frozenset(name for name in names if name)


def _positive_int(text: str) -> int | None:
    try:
        value = int(text.strip())
    except ValueError:
        return None
    return value if value > 0 else None
