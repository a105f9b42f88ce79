"""The soak's checks, computed from the database and the servers' request log."""

import bisect
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from psycopg import Connection

from soak.catalog import behaviour, feed_index_of

SHORTFALL_STEPS_MS = (10, 50, 100, 250)
# The latest and the earliest refreshes listed in the report.
WORST_SHOWN = 3
# A request belongs to the feed's last fetch call at most this long before it.
PROBE_MATCH_SECONDS = 5.0


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
    """Check that every feed has a live schedule row and none is stuck in flight."""
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
    """Check that no user has an article URL, or a feed's entry, stored twice."""
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


@dataclass(frozen=True)
class Due:
    """A time a feed was due, the end of the run that set it, and that run."""

    feed: int
    at: float
    after: float
    set_by: str


def read_dues(
    conn: Connection, initial: dict[str, tuple[int, float, float]]
) -> dict[int, list[Due]]:
    """Return each feed's due times, from the seeding and from every run.

    ``initial`` maps a feed id to (feed index, first due time, insert time).
    """
    dues: dict[int, list[Due]] = defaultdict(list)
    for index, due, inserted in initial.values():
        dues[index].append(Due(index, due, inserted, "insertion"))
    rows = conn.execute(
        """
        SELECT feed_id::text, extract(epoch FROM started_at)::float8 AS started,
               duration_ms, extract(epoch FROM next_run_at)::float8 AS next_due,
               status, coalesce(error_code, '-'), next_run_reason
        FROM feed_runs WHERE next_run_at IS NOT NULL
        ORDER BY started_at
        """
    ).fetchall()
    for feed_id, started, duration_ms, next_due, status, code, reason in rows:
        index = initial[feed_id][0]
        ended = started + duration_ms / 1000
        set_by = f"{status} run ({code}, next run: {reason})"
        dues[index].append(Due(index, next_due, ended, set_by))
    return dues


# -- the request log -------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """A worker's record of one fetch: its slot's start and the fetch call."""

    slot_start: float
    called_at: float


def read_probes(paths: list[Path]) -> dict[int, list[Probe]]:
    """Read the workers' probe logs into each feed's probes, in call order."""
    probes: dict[int, list[Probe]] = defaultdict(list)
    for path in paths:
        with path.open() as log:
            for line in log:
                parts = line.split()
                if len(parts) != 3:
                    continue
                feed = feed_index_of(urlsplit(parts[2]).path)
                if feed is not None:
                    probes[feed].append(Probe(float(parts[0]), float(parts[1])))
    for feed_probes in probes.values():
        feed_probes.sort(key=lambda probe: probe.called_at)
    return probes


def probe_of(request: Request, probes: dict[int, list[Probe]]) -> Probe | None:
    """Return the fetch call that sent ``request``: the feed's last one before it."""
    feed_probes = probes.get(request.feed, [])
    calls = [probe.called_at for probe in feed_probes]
    position = bisect.bisect_right(calls, request.at)
    if position == 0:
        return None
    probe = feed_probes[position - 1]
    return probe if request.at - probe.called_at < PROBE_MATCH_SECONDS else None


def check_domain_spacing(
    requests: list[Request],
    report: Report,
    interval: float,
    tolerance: float,
    *,
    probes: dict[int, list[Probe]],
    started: float,
) -> None:
    """Check that no two requests to one port are closer than the interval.

    ``tolerance`` is the jitter allowed below ``interval``. Each gap that is
    too short is listed with both requests' delays from their slot.
    """
    previous_of: dict[int, Request] = {}
    shortfalls = []
    too_close = []
    for request in requests:
        previous = previous_of.get(request.port)
        previous_of[request.port] = request
        if previous is None:
            continue
        shortfall = interval - (request.at - previous.at)
        shortfalls.append(shortfall)
        if shortfall > tolerance:
            too_close.append((previous, request))

    largest = max(shortfalls, default=float("nan"))
    report.check(
        "domain spacing",
        not too_close,
        f"{len(too_close)} of {len(shortfalls)} consecutive requests to one "
        f"host:port closer than {interval:g} s - {tolerance * 1000:.0f} ms; "
        f"smallest gap {(interval - largest) * 1000:.1f} ms over "
        f"{len(previous_of)} ports",
    )
    counts = [
        f"{sum(1 for s in shortfalls if s > limit / 1000)} by over {limit} ms"
        for limit in SHORTFALL_STEPS_MS
    ]
    report.figures.append("gaps shorter than the domain interval: " + ", ".join(counts))
    _delay_figures(requests, probes, report)
    for previous, request in too_close[: WORST_SHOWN * 3]:
        report.figures.append(
            f"short gap at {request.at - started:+.1f} s on port {request.port}: "
            f"{_delays(previous, probes)}, then {_delays(request, probes)}"
        )


def _delays(request: Request, probes: dict[int, list[Probe]]) -> str:
    probe = probe_of(request, probes)
    if probe is None:
        return f"feed {request.feed} (no probe record)"
    return (
        f"feed {request.feed} called fetch {_ms(probe.called_at - probe.slot_start)} "
        f"after its slot, reached the server {_ms(request.at - probe.called_at)} later"
    )


def _delay_figures(requests, probes, report: Report) -> None:
    """Summarise how long requests took from their slot to the server."""
    to_call, to_server = [], []
    for request in requests:
        probe = probe_of(request, probes)
        if probe is not None:
            to_call.append(probe.called_at - probe.slot_start)
            to_server.append(request.at - probe.called_at)
    if not to_call:
        report.figures.append("slot delays: no probe records")
        return
    report.figures.append(
        f"slot delays of {len(to_call)} requests: slot to fetch call median "
        f"{_ms(percentile(to_call, 0.5))}, p99 {_ms(percentile(to_call, 0.99))}, "
        f"max {_ms(max(to_call))}; fetch call to server median "
        f"{_ms(percentile(to_server, 0.5))}, p99 {_ms(percentile(to_server, 0.99))}, "
        f"max {_ms(max(to_server))}"
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


@dataclass(frozen=True)
class Lateness:
    due: Due
    request_at: float

    @property
    def seconds(self) -> float:
        return self.request_at - self.due.at

    def describe(self, started: float) -> str:
        return (
            f"feed {self.due.feed} ({behaviour(self.due.feed).value}) due at "
            f"{self.due.at - started:+.1f} s, set by the {self.due.set_by} ending "
            f"at {self.due.after - started:+.1f} s, requested {self.seconds:+.1f} s "
            "after the due time"
        )


def check_lateness(
    requests: list[Request],
    dues: dict[int, list[Due]],
    report: Report,
    *,
    started: float,
    end: float,
    fault_times: list[float],
    allowance: float,
    per_fault: float,
    on_time: float,
) -> list[Lateness]:
    """Check that each due refresh reaches its server in time.

    A due time is served by the feed's first request after the run that set
    it ended. A refresh may be ``allowance`` seconds late, plus ``per_fault``
    seconds for each fault that happened while it waited, because a fault can
    lose its message again. Due times too close to ``end`` to have been
    judged with one fault are skipped. Returns every judged refresh.
    """
    times_by_feed: dict[int, list[float]] = defaultdict(list)
    for request in requests:
        times_by_feed[request.feed].append(request.at)

    judged = []
    missed = 0
    for feed, feed_dues in dues.items():
        times = times_by_feed.get(feed, [])
        for due in feed_dues:
            if due.at > end - allowance - per_fault:
                continue
            # duration_ms is truncated to whole milliseconds, so the run's own
            # request can be stamped up to 1 ms after started_at + duration.
            position = bisect.bisect_right(times, due.after + 0.001)
            if position == len(times):
                missed += 1
                continue
            judged.append(Lateness(due, times[position]))

    if not judged:
        report.check("refreshes on time", False, "no refresh could be judged")
        return judged
    lateness = [item.seconds for item in judged]
    faults_waited = [
        sum(1 for at in fault_times if item.due.at < at <= item.request_at)
        for item in judged
    ]
    late = sum(
        1
        for item, faults in zip(judged, faults_waited, strict=True)
        if item.seconds > allowance + per_fault * faults
    )
    through_fault = sum(1 for faults in faults_waited if faults)
    punctual = sum(1 for value in lateness if value <= on_time)
    report.check(
        "refreshes on time",
        late == 0 and missed == 0,
        f"{len(lateness)} due refreshes, {through_fault} of them waiting through "
        f"a fault: lateness median {percentile(lateness, 0.5):.2f} s, p99 "
        f"{percentile(lateness, 0.99):.2f} s, max {max(lateness):.2f} s, min "
        f"{min(lateness):.2f} s; {punctual / len(lateness):.2%} within "
        f"{on_time:g} s; {late} later than {allowance:g} s plus {per_fault:g} s "
        f"per fault during the wait; {missed} never requested",
    )
    ordered = sorted(judged, key=lambda item: item.seconds)
    for item in ordered[-WORST_SHOWN:][::-1] + ordered[:WORST_SHOWN]:
        report.figures.append("lateness case: " + item.describe(started))
    return judged


def request_figures(requests: list[Request], report: Report, seconds: float) -> None:
    statuses = Counter(request.status for request in requests)
    listed = ", ".join(
        f"{status}: {count}" for status, count in sorted(statuses.items())
    )
    report.figures.append(
        f"requests: {len(requests)} in {seconds:.0f} s "
        f"({len(requests) / seconds:.1f}/s); by status {listed}"
    )


def check_worker_threads(log_paths: list[Path], report: Report) -> None:
    """Check that no worker thread ended on an exception.

    Python's threading module logs "Exception in thread" for each such end.
    """
    ended = 0
    tracebacks = 0
    for path in log_paths:
        text = path.read_text(errors="replace")
        ended += text.count("Exception in thread")
        tracebacks += text.count("Traceback")
    report.check(
        "no worker thread died",
        ended == 0,
        f"{ended} threads ended by an exception; {tracebacks} tracebacks logged",
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
    """Check that the service recovers from each fault within ``limit`` seconds.

    Recovered means every schedule row that was queued or running at the
    fault has changed state since, and no due row waits more than
    ``lag_ok`` seconds. Rows of a killed worker change only when the
    dispatcher recovers them as stale.
    """
    all_recovered = True
    for fault in faults:
        window = [sample for sample in samples if fault.at < sample.at <= ended]
        recovered = next(
            (sample.at for sample in window if _recovered(sample, fault, lag_ok)),
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


def _recovered(sample, fault: Fault, lag_ok: float) -> bool:
    moved_on = sample.oldest_in_flight is None or sample.oldest_in_flight >= fault.at
    return moved_on and sample.lag_seconds <= lag_ok


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
