"""Convert feed dates to aware UTC datetimes.

feedparser 6.0 reads RFC 822 zone names from a short table and takes any other
name as UTC, so "CET" and "BST" dates come out an hour late. RFC 822 dates are
therefore parsed here with a larger table, and feedparser's value is used only
for the formats this module does not read (ISO 8601, W3C-DTF and others).
"""

import re
import time
from datetime import UTC, datetime, timedelta, timezone

# Offsets of zone abbreviations, in minutes east of UTC. An abbreviation names a
# fixed offset, so "EST" in July is still UTC-5. Names with several meanings
# take the one most feeds use: CST is US Central (RFC 822), IST is India.
ZONE_OFFSETS_MINUTES = {
    "UT": 0,
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "WET": 0,
    "WEST": 60,
    "BST": 60,
    "IST": 330,
    "CET": 60,
    "CEST": 120,
    "MET": 60,
    "MEST": 120,
    "MEZ": 60,
    "MESZ": 120,
    "EET": 120,
    "EEST": 180,
    "MSK": 180,
    "SAST": 120,
    "WAT": 60,
    "EAT": 180,
    "PKT": 300,
    "NPT": 345,
    "ICT": 420,
    "WIB": 420,
    "HKT": 480,
    "SGT": 480,
    "PHT": 480,
    "AWST": 480,
    "JST": 540,
    "KST": 540,
    "ACST": 570,
    "ACDT": 630,
    "AEST": 600,
    "AEDT": 660,
    "NZST": 720,
    "NZDT": 780,
    "NST": -210,
    "NDT": -150,
    "AST": -240,
    "ADT": -180,
    "EST": -300,
    "EDT": -240,
    "CST": -360,
    "CDT": -300,
    "MST": -420,
    "MDT": -360,
    "PST": -480,
    "PDT": -420,
    "AKST": -540,
    "AKDT": -480,
    "HST": -600,
    "HDT": -540,
    "BRT": -180,
    "ART": -180,
}

MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun")
        + ("jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}

WEEKDAYS = frozenset({"mon", "tue", "wed", "thu", "fri", "sat", "sun"})

# A time of day, optionally followed by a numeric zone with no space before it.
TIME_OF_DAY = re.compile(
    r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?([+-]\d{2}:?\d{2}|Z)?$", re.IGNORECASE
)

# "+0100", "-05:00", "+1", with an optional "GMT" or "UTC" before the sign.
NUMERIC_ZONE = re.compile(r"^(?:GMT|UTC|UT)?([+-])(\d{1,2})(?::?(\d{2}))?$", re.I)

COMMENT = re.compile(r"\([^()]{0,100}\)")

# Dates more than this far after the fetch are taken as errors in the feed.
MAX_FUTURE = timedelta(days=1)


def parse_rfc822(value: str) -> datetime | None:
    """Parse an RFC 822 or RFC 2822 date as found in RSS, or return None.

    Accepted variations:

    - the weekday may be missing or spelled out;
    - the month may come before the day;
    - the year may have two digits (00-49 is 20xx);
    - the seconds may be missing;
    - the zone may be missing (UTC), numeric with or without a colon, prefixed
      with GMT or UTC, or a name in ZONE_OFFSETS_MINUTES.

    A trailing comment in parentheses is ignored. Unknown zone names return None.
    """
    tokens = COMMENT.sub(" ", value).replace(",", " ").split()
    if tokens and tokens[0][:3].lower() in WEEKDAYS and not tokens[0].isdigit():
        tokens = tokens[1:]
    if len(tokens) < 4 or len(tokens) > 6:
        return None

    date_part = _parse_day_month_year(tokens[:3])
    time_part = _parse_time_and_zone(tokens[3:])
    if date_part is None or time_part is None:
        return None

    year, month, day = date_part
    hour, minute, second, offset = time_part
    try:
        local = datetime(year, month, day, hour, minute, second, tzinfo=offset)
    except ValueError:
        return None
    return local.astimezone(UTC)


def from_struct_time(value: time.struct_time | None) -> datetime | None:
    """Convert feedparser's parsed date, which is already in UTC, to a datetime."""
    if value is None:
        return None

    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def parse_iso8601(value: str) -> datetime | None:
    """Parse an RFC 3339 or ISO 8601 timestamp; one without a zone is taken as UTC."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None

    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def clamp_to_fetch_time(
    value: datetime | None, fetched_at: datetime
) -> datetime | None:
    """Replace a date more than a day after the fetch with the fetch time.

    Feeds that date entries in the future (wrong zone, scheduled posts, typos)
    would otherwise stay at the top of a reader's list for that long.
    """
    if value is not None and value > fetched_at + MAX_FUTURE:
        return fetched_at
    return value


def _parse_day_month_year(tokens: list[str]) -> tuple[int, int, int] | None:
    first, second, year_token = tokens
    if first.isdigit():
        day_token, month_token = first, second
    else:
        month_token, day_token = first, second

    month = MONTHS.get(month_token[:3].lower())
    if month is None or not day_token.isdigit() or not year_token.isdigit():
        return None

    year = int(year_token)
    if len(year_token) <= 2:
        year += 2000 if year < 50 else 1900
    elif len(year_token) != 4:
        return None
    return year, month, int(day_token)


def _parse_time_and_zone(
    tokens: list[str],
) -> tuple[int, int, int, timezone] | None:
    match = TIME_OF_DAY.match(tokens[0])
    if match is None:
        return None

    hour, minute, second, attached_zone = match.groups()
    zone_tokens = tokens[1:]
    if attached_zone:
        zone_tokens = [attached_zone, *zone_tokens]

    offset = _parse_zone("".join(zone_tokens))
    if offset is None:
        return None
    return int(hour), int(minute), int(second or 0), offset


def _parse_zone(text: str) -> timezone | None:
    if not text:
        return UTC

    name = text.upper()
    if name.startswith("ETC/"):
        name = name[4:]

    if name in ZONE_OFFSETS_MINUTES:
        return timezone(timedelta(minutes=ZONE_OFFSETS_MINUTES[name]))

    match = NUMERIC_ZONE.match(name)
    if match is None:
        return None

    sign, hours, minutes = match.groups()
    total = int(hours) * 60 + int(minutes or 0)
    if total >= 24 * 60:
        return None
    return timezone(timedelta(minutes=-total if sign == "-" else total))
