"""The soak's checks, computed from the database and the servers' request log."""

import bisect
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from psycopg import Connection


@dataclass(frozen=True)
class Request:
    at: float
    port: int
    feed: int
    status: str


@dataclass
class Check:
    name: str
    passed: bool
    detail: str


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)

    def check(self, name: str, passed: bool, detail: str) -> None:
        self.checks.append(Check(name, passed, detail))

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)


def read_requests(path: Path) -> list[Request]:
    requests = []
    with path.open() as log:
        for line in log:
            parts = line.split()
            if len(parts) == 4:
                at, port, feed, status = parts
                requests.append(Request(float(at), int(port), int(feed), status))
    requests.sort(key=lambda request: request.at)
    return requests


def percentile(values: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile of ``values`` (sorted or not)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


# -- the database ----------------------------------------------------------------


def check_schedule_rows(conn: Connection, report: Report, stuck_after: float) -> None:
    """Every feed has one live schedule row; none is stuck queued or running."""
    row = conn.execute(
        """
        SELECT
            (SELECT count(*) FROM feeds f WHERE NOT EXISTS
                (SELECT 1 FROM feed_schedule s WHERE s.feed_id = f.id)) AS missing,
            (SELECT count(*) FROM feed_schedule WHERE state = 'cancelled')
                AS cancelled,
            (SELECT count(*) FROM feed_schedule
             WHERE state IN ('queued', 'running')
               AND updated_at < now() - make_interval(secs => %(stuck)s)) AS stuck,
            (SELECT count(*) FROM feeds) AS feeds
        """,
        {"stuck": stuck_after},
    ).fetchone()
    missing, cancelled, stuck, feeds = row
    report.check(
        "no lost schedule rows",
        missing == 0 and cancelled == 0 and stuck == 0,
        f"{feeds} feeds: {missing} without a schedule row, {cancelled} cancelled, "
        f"{stuck} queued or running for more than {stuck_after:.0f} s",
    )


def check_duplicate_articles(conn: Connection, report: Report) -> None:
    """No user has an article URL twice, nor a feed's entry twice."""
    row = conn.execute(
        """
        SELECT
            (SELECT count(*) FROM (SELECT 1 FROM articles GROUP BY user_id, url
                                   HAVING count(*) > 1) d) AS by_url,
            (SELECT count(*) FROM (SELECT 1 FROM articles
                                   WHERE entry_id IS NOT NULL
                                   GROUP BY user_id, feed_id, entry_id
                                   HAVING count(*) > 1) d) AS by_entry,
            (SELECT count(*) FROM articles) AS articles
        """
    ).fetchone()
    by_url, by_entry, articles = row
    report.check(
        "no duplicate articles",
        by_url == 0 and by_entry == 0,
        f"{articles} articles: {by_url} (user, URL) pairs and {by_entry} "
        "(user, feed, entry id) triples stored more than once",
    )


def read_dues(
    conn: Connection, initial: dict[str, tuple[int, float, float]]
) -> dict[int, list[tuple[float, float]]]:
    """Return each feed's due times, each with the time its previous run ended.

    ``initial`` maps a feed id to (feed index, first due time, insert time).
    """
    dues: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for index, due, inserted in initial.values():
        dues[index].append((due, inserted))
    rows = conn.execute(
        """
        SELECT feed_id::text, extract(epoch FROM started_at)::float8 AS started,
               duration_ms, extract(epoch FROM next_run_at)::float8 AS next_due
        FROM feed_runs WHERE next_run_at IS NOT NULL
        ORDER BY started_at
        """
    ).fetchall()
    for feed_id, started, duration_ms, next_due in rows:
        index = initial[feed_id][0]
        dues[index].append((next_due, started + duration_ms / 1000))
    return dues


# -- the request log -------------------------------------------------------------


def check_domain_spacing(
    requests: list[Request], report: Report, interval: float, tolerance: float
) -> None:
    """No two requests to one port closer than ``interval`` minus ``tolerance``."""
    last_at: dict[int, float] = {}
    gaps = []
    too_close = 0
    for request in requests:
        previous = last_at.get(request.port)
        last_at[request.port] = request.at
        if previous is None:
            continue
        gap = request.at - previous
        gaps.append(gap)
        if gap < interval - tolerance:
            too_close += 1
    smallest = min(gaps) if gaps else float("nan")
    report.check(
        "domain spacing",
        too_close == 0,
        f"{too_close} of {len(gaps)} consecutive requests to one host:port closer "
        f"than {interval:g} s - {tolerance * 1000:.0f} ms; smallest gap "
        f"{smallest * 1000:.1f} ms over {len(last_at)} ports",
    )


def check_lateness(
    requests: list[Request],
    dues: dict[int, list[tuple[float, float]]],
    report: Report,
    *,
    end: float,
    limit: float,
    on_time: float,
) -> None:
    """Each due refresh must reach its server within ``limit`` seconds.

    A due time is served by the feed's first request after the previous run
    ended. Due times later than ``end - limit`` are not judged, because their
    request may legitimately come after the soak stopped.
    """
    times_by_feed: dict[int, list[float]] = defaultdict(list)
    for request in requests:
        times_by_feed[request.feed].append(request.at)

    lateness = []
    missed = 0
    for feed, feed_dues in dues.items():
        times = times_by_feed.get(feed, [])
        for due, after in feed_dues:
            if due > end - limit:
                continue
            position = bisect.bisect_right(times, after)
            if position == len(times):
                missed += 1
                continue
            lateness.append(times[position] - due)

    if not lateness:
        report.check("refreshes on time", False, "no refresh could be judged")
        return
    late = sum(1 for value in lateness if value > limit)
    punctual = sum(1 for value in lateness if value <= on_time)
    report.check(
        "refreshes on time",
        late == 0 and missed == 0,
        f"{len(lateness)} due refreshes: lateness median "
        f"{percentile(lateness, 0.5):.2f} s, p99 {percentile(lateness, 0.99):.2f} s, "
        f"max {max(lateness):.2f} s, min {min(lateness):.2f} s; "
        f"{punctual / len(lateness):.1%} within {on_time:g} s; {late} later than "
        f"{limit:g} s; {missed} never requested",
    )


def request_figures(requests: list[Request], report: Report, seconds: float) -> None:
    statuses = Counter(request.status for request in requests)
    listed = ", ".join(
        f"{status}: {count}" for status, count in sorted(statuses.items())
    )
    report.figures.append(
        f"requests: {len(requests)} in {seconds:.0f} s "
        f"({len(requests) / seconds:.1f}/s); by status {listed}"
    )


# -- faults ----------------------------------------------------------------------


@dataclass
class Fault:
    kind: str
    at: float
    back_at: float
    detail: str = ""


def check_recovery(
    report: Report,
    faults: list[Fault],
    samples: list,
    requests: list[Request],
    *,
    started: float,
    ended: float,
    limit: float,
    lag_ok: float,
) -> None:
    """Each fault is followed by recovery before the next one, within ``limit``.

    Recovered means every schedule row that was queued or running at the
    fault has changed state since, and no due row waits more than
    ``lag_ok`` seconds. Rows of a killed worker change only when the
    dispatcher recovers them as stale.
    """
    all_recovered = True
    for position, fault in enumerate(faults):
        following = faults[position + 1 :]
        until = following[0].at if following else ended
        window = [
            sample
            for sample in samples
            if sample.fault_at == fault.at and fault.at < sample.at <= until
        ]
        recovered = next(
            (
                sample.at
                for sample in window
                if sample.in_flight_since_fault == 0 and sample.lag_seconds <= lag_ok
            ),
            None,
        )
        parts = [f"{fault.kind} ({fault.detail}) at +{fault.at - started:.0f} s"]
        parts += _fault_details(fault, window, requests)
        if recovered is None or recovered - fault.at > limit:
            all_recovered = False
            parts.append("NOT recovered")
        else:
            parts.append(f"recovered after {recovered - fault.at:.1f} s")
        report.figures.append("; ".join(parts))

    report.check(
        "recovery after every fault",
        all_recovered and bool(faults),
        f"{len(faults)} faults, each recovered within {limit:.0f} s: rows in flight "
        f"at the fault moved on and no due row waited over {lag_ok:g} s",
    )


def _fault_details(fault: Fault, window: list, requests: list[Request]) -> list[str]:
    if fault.kind == "PostgreSQL restart":
        details = [f"database down {fault.back_at - fault.at:.1f} s"]
        first = next((r.at for r in requests if r.at > fault.back_at), None)
        if first is not None:
            details.append(f"next feed request {first - fault.back_at:.1f} s later")
        return details

    heartbeat = next(
        (
            sample.at
            for sample in window
            if sample.newest_worker_started and sample.newest_worker_started > fault.at
        ),
        None,
    )
    if heartbeat is None:
        return ["no new worker heartbeat seen"]
    return [f"new worker heartbeat after {heartbeat - fault.at:.1f} s"]
