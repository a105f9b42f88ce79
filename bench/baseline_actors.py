"""The worker as it was before the benchmarks' fixes, for before/after figures.

``dramatiq bench.baseline_actors`` registers the service's actors, then puts
back dramatiq-pg's own consumer and the next-due query that scans every
scheduled row. That consumer never resets its prefetch backoff and keeps the
advisory lock of each message until it finds the queue empty.
"""

from dramatiq_pg import PostgresBroker

from feeds import scheduler
from feeds.actors import broker


def _seconds_until_next_due_by_scan(conn) -> float | None:
    row = conn.execute(
        "SELECT extract(epoch FROM min(next_run_at) - now()) AS wait "
        "FROM feed_schedule WHERE state = 'scheduled'"
    ).fetchone()
    return None if row["wait"] is None else float(row["wait"])


broker.consume = PostgresBroker.consume.__get__(broker)
scheduler.seconds_until_next_due = _seconds_until_next_due_by_scan
