"""Shares of worker samples by component, from py-spy's collapsed stacks.

py-spy writes them with ``--format raw``.

Each line is ``frame;frame;... count`` with frames as ``function (file:line)``.
A sample with a feedparser frame anywhere counts as feedparser. Any other
sample counts for the bucket of its innermost frame that belongs to one, so
a regular expression run by the service's parser counts as the service's own
code and a socket read by httpcore counts as HTTP.
"""

from collections import Counter
from pathlib import Path

# py-spy writes paths relative to their sys.path entry, such as
# ``feedparser/api.py``, and absolute paths for the rest.
BUCKETS = (
    ("feedparser", ("feedparser/", "feedparser_sgmllib/", "sgmllib")),
    ("database (psycopg, dramatiq-pg)", ("psycopg", "dramatiq_pg/")),
    ("HTTP (httpx, httpcore)", ("httpx/", "httpcore/", "h11/")),
    ("logging", ("logging/",)),
    ("dramatiq", ("dramatiq/",)),
    ("the service's own code", ("feeds/",)),
)
OTHER = "other (stdlib, threads)"

# Innermost frames of threads that wait (for PostgreSQL, a socket, a lock or a
# timer): py-spy samples them although they use no CPU, so they are dropped.
WAITING_FRAMES = (
    "Connection.wait (psycopg/",
    "Condition.wait (threading.py",
    "Event.wait (threading.py",
    "wait_for_notifies (dramatiq_pg/",
    "worker_process (dramatiq/cli.py",
    "_CtypesTimeoutManager.run (dramatiq/",
    "select (selectors.py",
    "SyncStream.read (httpcore/",
    "sleep (",
)


def stack_shares(raw_file: Path) -> tuple[int, dict[str, float]]:
    """Return the count of busy samples and each bucket's share of them."""
    counts: Counter[str] = Counter()
    total = 0
    for line in raw_file.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit() or _waiting(stack):
            continue
        total += int(count)
        counts[_bucket(stack)] += int(count)
    shares = {name: counts[name] / total for name, _ in BUCKETS} if total else {}
    if total:
        shares[OTHER] = counts[OTHER] / total
    return total, shares


def _waiting(stack: str) -> bool:
    innermost = stack.rsplit(";", 1)[-1]
    return any(innermost.startswith(frame) for frame in WAITING_FRAMES)


def _bucket(stack: str) -> str:
    feedparser_name, feedparser_markers = BUCKETS[0]
    if any(marker in stack for marker in feedparser_markers):
        return feedparser_name
    for frame in reversed(stack.split(";")):
        for name, markers in BUCKETS[1:]:
            if any(marker in frame for marker in markers):
                return name
    return OTHER
