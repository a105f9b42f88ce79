"""The scheduler at scale: dispatch cost, refresh cost, lag and /api/rss/init."""

import http.client
import json
import statistics
import time
import uuid
from dataclasses import dataclass

from bench.database import Server, connect, insert_feeds, schedule_rows
from bench.processes import JWT_SECRET, FeedServer, api_server, free_port, workers
from bench.rounds import run_round
from feeds import scheduler
from feeds.settings import Settings
from feeds.tokens import sign_token

HOUR_SECONDS = 3600.0
DUE_ROWS = 1000
DISPATCH_THREADS = 16


@dataclass(frozen=True)
class DispatchCost:
    rows: int
    messages: int
    calls: int
    seconds_per_message: float
    idle_call_seconds: float


def seed_rows(conn, server: FeedServer, rows: int, offsets: list[float]) -> list:
    """Insert ``rows`` feeds with schedule rows due at ``offsets`` seconds."""
    ids = insert_feeds(conn, [server.url(i) for i in range(rows)])
    schedule_rows(conn, ids, offsets)
    conn.execute("ANALYZE")
    return ids


def hour_offsets(rows: int, *, due: int, start: float = 0.0) -> list[float]:
    """Spread ``rows`` due times evenly over an hour, the first ``due`` past."""
    step = HOUR_SECONDS / rows
    return [start + (i - due) * step for i in range(rows)]


def measure_dispatch(
    database: Server, server: FeedServer, sizes: tuple[int, ...], *, repeats: int
) -> dict[int, DispatchCost]:
    """Time ``scheduler.dispatch`` until 1,000 due rows of each size are queued.

    A heartbeat row stands for 16 worker threads, so each call may queue 32
    messages. Between calls the queued rows are marked running, as workers
    would, outside the timed part. Each repeat uses a fresh database. The sizes
    take turns within each repeat, so a machine that slows down during the
    run weighs on every size alike, and the medians of the repeats are
    returned.
    """
    costs: dict[int, list[DispatchCost]] = {rows: [] for rows in sizes}
    for _ in range(repeats):
        for rows in sizes:
            costs[rows].append(_measure_dispatch_once(database, server, rows))
    return {rows: _median_cost(rows, measured) for rows, measured in costs.items()}


def _median_cost(rows: int, costs: list[DispatchCost]) -> DispatchCost:
    return DispatchCost(
        rows=rows,
        messages=costs[0].messages,
        calls=costs[0].calls,
        seconds_per_message=statistics.median(c.seconds_per_message for c in costs),
        idle_call_seconds=statistics.median(c.idle_call_seconds for c in costs),
    )


def _measure_dispatch_once(
    database: Server, server: FeedServer, rows: int
) -> DispatchCost:
    url = database.new_database()
    try:
        with connect(url) as conn:
            seed_rows(conn, server, rows, hour_offsets(rows, due=DUE_ROWS))
            scheduler.heartbeat(
                conn,
                worker_id="bench",
                hostname="bench",
                pid=0,
                threads=DISPATCH_THREADS,
            )
            return _dispatch_until_drained(conn, rows)
    finally:
        database.drop(url)


def _dispatch_until_drained(conn, rows: int) -> DispatchCost:
    timeouts = scheduler.stale_timeouts(Settings())
    sent, calls, spent = 0, 0, 0.0
    while sent < DUE_ROWS and calls < 10 * DUE_ROWS:
        started = time.perf_counter()
        sent += scheduler.dispatch(conn, timeouts, depth_per_thread=2)
        spent += time.perf_counter() - started
        calls += 1
        _start_queued(conn)

    idle = []
    for _ in range(50):
        started = time.perf_counter()
        scheduler.dispatch(conn, timeouts, depth_per_thread=2)
        idle.append(time.perf_counter() - started)
    return DispatchCost(
        rows, sent, calls, spent / max(sent, 1), statistics.median(idle)
    )


def _start_queued(conn) -> None:
    conn.execute(
        "UPDATE feed_schedule SET state = 'running', started_at = now(), "
        "run_token = token WHERE state = 'queued'"
    )


@dataclass(frozen=True)
class RefreshCost:
    rows: int
    cpu_per_refresh: float
    database_cpu_per_refresh: float | None
    feeds_per_second: float


def measure_refresh_cost(
    database: Server,
    server: FeedServer,
    rows: int,
    *,
    rounds: int,
    env: dict[str, str],
) -> RefreshCost:
    """Refresh 1,000 feeds (304 responses) in a table of ``rows`` schedule rows."""
    url = database.new_database()
    try:
        with connect(url) as conn:
            ids = seed_rows(conn, server, rows, hour_offsets(rows, due=0, start=600))
        measured_ids = ids[:DUE_ROWS]
        server.set_mode("etag")
        with workers(url, processes=2, threads=8, **env) as root:
            run_round(url, measured_ids, root, database, timeout=300)
            measured = [
                run_round(url, measured_ids, root, database, timeout=300)
                for _ in range(rounds)
            ]
        database_cpu = [r.database_cpu_per_refresh for r in measured]
        return RefreshCost(
            rows=rows,
            cpu_per_refresh=statistics.median(r.cpu_per_refresh for r in measured),
            database_cpu_per_refresh=None
            if None in database_cpu
            else statistics.median(database_cpu),
            feeds_per_second=statistics.median(r.feeds_per_second for r in measured),
        )
    finally:
        database.drop(url)


@dataclass(frozen=True)
class Lag:
    rows: int
    window_seconds: float
    due: int
    started: int
    median_seconds: float | None
    p99_seconds: float | None
    max_seconds: float | None
    init_seconds: list[float]
    init_scheduled: int


_LAG = """
SELECT count(*) AS due,
       count(r.feed_id) AS started,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY r.lag) AS median,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY r.lag) AS p99,
       max(r.lag) AS max
FROM bench_due d
LEFT JOIN LATERAL (
    SELECT feed_id, extract(epoch FROM min(started_at) - d.due_at) AS lag
    FROM feed_runs WHERE feed_id = d.feed_id GROUP BY feed_id
) r ON true
WHERE d.due_at < %(until)s
"""


def measure_lag(
    database: Server,
    server: FeedServer,
    rows: int,
    *,
    window_seconds: float,
    init_feeds: int,
    init_repeats: int,
    env: dict[str, str],
) -> Lag:
    """Run idle workers over an hour of due rows; then time /api/rss/init.

    Rows are due from 5 s after they are inserted on. Only rows due at least
    5 s before the window closes are counted, so each had time to start.
    """
    url = database.new_database()
    try:
        with connect(url) as conn:
            ids = insert_feeds(conn, [server.url(i) for i in range(rows)])
        server.set_mode("etag")
        with workers(url, processes=2, threads=8, **env):
            time.sleep(3)
            with connect(url) as conn:
                _schedule_recorded(conn, ids)
                time.sleep(window_seconds)
                lag = conn.execute(_LAG, {"until": _db_time(conn, -5.0)}).fetchone()
        init_times, scheduled = time_init(
            database, url, server, feeds=init_feeds, repeats=init_repeats
        )
        return Lag(
            rows=rows,
            window_seconds=window_seconds,
            due=lag["due"],
            started=lag["started"],
            median_seconds=_float(lag["median"]),
            p99_seconds=_float(lag["p99"]),
            max_seconds=_float(lag["max"]),
            init_seconds=init_times,
            init_scheduled=scheduled,
        )
    finally:
        database.drop(url)


def _schedule_recorded(conn, ids: list) -> None:
    """Insert the schedule rows and record each row's due time in bench_due."""
    with conn.transaction():
        schedule_rows(conn, ids, hour_offsets(len(ids), due=0, start=5.0))
        conn.execute(
            "CREATE TABLE bench_due AS "
            "SELECT feed_id, next_run_at AS due_at FROM feed_schedule"
        )
        conn.execute("CREATE INDEX ON bench_due (due_at)")
    conn.execute("ANALYZE")


def _db_time(conn, offset_seconds: float):
    return conn.execute(
        "SELECT now() + make_interval(secs => %(s)s) AS t", {"s": offset_seconds}
    ).fetchone()["t"]


def _float(value) -> float | None:
    return None if value is None else float(value)


def time_init(
    database: Server, url: str, server: FeedServer, *, feeds: int, repeats: int
) -> tuple[list[float], int]:
    """Time POST /api/rss/init for users with ``feeds`` feeds and no schedule."""
    users = [uuid.uuid4() for _ in range(repeats)]
    with connect(url) as conn:
        for user in users:
            urls = [f"{server.url(i)}?user={user}" for i in range(feeds)]
            insert_feeds(conn, urls, users=[user] * feeds)
        conn.execute("ANALYZE")

    times, scheduled = [], 0
    port = free_port()
    with api_server(url, bind=f"127.0.0.1:{port}", workers=2):
        for user in users:
            seconds, count = _post_init(port, user)
            times.append(seconds)
            scheduled = count
    return times, scheduled


def _post_init(port: int, user: uuid.UUID) -> tuple[float, int]:
    token = sign_token(user, secret=JWT_SECRET, audience="authenticated")
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.perf_counter()
    connection.request(
        "POST",
        "/api/rss/init",
        body=b"{}",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
        },
    )
    response = connection.getresponse()
    body = response.read()
    seconds = time.perf_counter() - started
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"POST /api/rss/init returned {response.status}: {body!r}")
    return seconds, json.loads(body)["scheduled_count"]
