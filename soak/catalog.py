"""The feeds of the soak: the path and port of each, and how each behaves.

Feed ``k`` lives at ``/feeds/k.xml`` on port number ``k % port_count``. The
orchestrator and the feed servers share these rules, so both agree on which
feeds fail without talking to each other.
"""

import enum
import re
import zlib

FEED_PATH = re.compile(r"^/feeds/(\d+)\.xml$")
# A feed's items change every CHANGE_PERIOD_SECONDS, at a phase of its own.
CHANGE_PERIOD_SECONDS = 150
ITEMS_PER_FEED = 3
# A timing-out feed keeps the request waiting this long, well past the
# workers' read timeout in the soak (3 s).
SLOW_RESPONSE_SECONDS = 8.0


class Behaviour(enum.Enum):
    RSS = "rss"
    SERVER_ERROR = "500"
    NOT_FOUND = "404"
    TIMEOUT = "timeout"
    FLAKY = "flaky"  # 500 on every other request, so retries succeed


def behaviour(feed_index: int) -> Behaviour:
    """Return the feed's behaviour: 3 % 500, 2 % 404, 1 % timeout, 1 % flaky.

    The bucket comes from a hash of the index rather than the index itself,
    because ports are assigned by index too: ``index % 100`` would put every
    failing feed on the same few ports.
    """
    bucket = zlib.crc32(str(feed_index).encode()) % 100
    if bucket < 3:
        return Behaviour.SERVER_ERROR
    if bucket < 5:
        return Behaviour.NOT_FOUND
    if bucket == 5:
        return Behaviour.TIMEOUT
    if bucket == 6:
        return Behaviour.FLAKY
    return Behaviour.RSS


def refresh_minutes(feed_index: int) -> int:
    """Return the feed's refresh interval: 1 minute for 10 % of feeds, else 2."""
    return 1 if zlib.crc32(f"interval {feed_index}".encode()) % 10 == 0 else 2


def feed_path(feed_index: int) -> str:
    return f"/feeds/{feed_index}.xml"


def feed_index_of(path: str) -> int | None:
    match = FEED_PATH.match(path.split("?", 1)[0])
    return int(match.group(1)) if match else None


def feed_version(feed_index: int, now: float) -> int:
    """Return the number of the feed's current set of items."""
    phase = (feed_index * 7919) % CHANGE_PERIOD_SECONDS
    return int((now + phase) // CHANGE_PERIOD_SECONDS)
