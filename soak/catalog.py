"""Which feed the servers serve at which path, and how each one behaves.

Feed ``k`` lives at ``/feeds/k.xml`` on port number ``k % port_count``. The
orchestrator and the feed servers share these rules, so both agree on which
feeds fail without talking to each other.
"""

import enum
import re

FEED_PATH = re.compile(r"^/feeds/(\d+)\.xml$")
# A feed's items change every CHANGE_PERIOD_SECONDS, at a phase of its own.
CHANGE_PERIOD_SECONDS = 150
ITEMS_PER_FEED = 3
# A timing-out feed holds the request this long, well past the workers'
# read timeout in the soak (3 s).
SLOW_RESPONSE_SECONDS = 8.0


class Behaviour(enum.Enum):
    RSS = "rss"
    SERVER_ERROR = "500"
    NOT_FOUND = "404"
    TIMEOUT = "timeout"
    FLAKY = "flaky"  # 500 on every other request, so retries succeed


def behaviour(feed_index: int) -> Behaviour:
    """Return the feed's behaviour: 3 % 500, 2 % 404, 1 % timeout, 1 % flaky."""
    bucket = feed_index % 100
    if bucket < 3:
        return Behaviour.SERVER_ERROR
    if bucket < 5:
        return Behaviour.NOT_FOUND
    if bucket == 5:
        return Behaviour.TIMEOUT
    if bucket == 6:
        return Behaviour.FLAKY
    return Behaviour.RSS


def feed_path(feed_index: int) -> str:
    return f"/feeds/{feed_index}.xml"


def feed_index_of(path: str) -> int | None:
    match = FEED_PATH.match(path.split("?", 1)[0])
    return int(match.group(1)) if match else None


def feed_version(feed_index: int, now: float) -> int:
    """Return the number of the feed's current set of items."""
    phase = (feed_index * 7919) % CHANGE_PERIOD_SECONDS
    return int((now + phase) // CHANGE_PERIOD_SECONDS)
