"""Hostile feeds against a real worker: each affects only its own feed.

One worker serves the whole module with the default 10 MiB body limit. Each
case refreshes its hostile feed together with a well-behaved control feed, then
checks the hostile feed's outcome, that the control feed refreshed, and how
much the worker processes' resident memory grew. Peak memory is reset before
each case where Linux allows it (writing 5 to /proc/PID/clear_refs).
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from feeds import scheduler
from feeds.db import connect
from feeds.scheduler import Delay, Priority
from feeds.settings import Settings
from tests import pg
from tests.conftest import JWT_SECRET
from tests.feedserver import FeedServer
from tests.reliability import hostile
from tests.reliability.support import (
    NO_METRICS,
    TimedRoute,
    group_memory,
    reset_peak_memory,
    rss_document,
    run_count,
    success_runs,
    write_report,
)
from tests.scheduling import articles_of, feed_row, insert_feed, runs_of, schedule_row
from tests.workers import running_worker, wait_for

MEMORY_GROWTH_LIMIT_KIB = 300 * 1024
WORKER_ENV = {
    "FEEDS_REFRESH_TIME_LIMIT_SECONDS": "30",
    "FEEDS_READ_TIMEOUT_SECONDS": "2",
    "FEEDS_TOTAL_TIMEOUT_SECONDS": "3",
    **NO_METRICS,
}


@dataclass
class Module:
    """The worker, servers and feeds that every case of the module shares."""

    conn: object
    worker_group: int
    server: FeedServer
    probe: FeedServer
    user_id: uuid.UUID
    control: uuid.UUID
    figures: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    name: str
    serve: Callable[[FeedServer, FeedServer], str]
    status: str
    code: str | None
    check: Callable[[Module, uuid.UUID], None]


@pytest.fixture(scope="module")
def module_settings(pg_server) -> Settings:
    admin_url, template = pg_server
    name = pg.clone(admin_url, template)
    yield Settings(
        DATABASE_URL=pg.database_url(admin_url, name),
        jwt_secret=JWT_SECRET,
        allow_private_addresses=True,
    )
    pg.drop(admin_url, name)


@pytest.fixture(scope="module")
def module(module_settings):
    server = FeedServer().start()
    probe = FeedServer().start()
    probe.route("/dtd", hostile.probe_response)
    probe.route("/parameter", hostile.probe_response)
    probe.route("/entity", hostile.probe_response)
    # Each control response adds an item, so each control refresh stores one.
    control_url = server.route("/control.xml", TimedRoute(control_feed))
    user_id = uuid.uuid4()
    with connect(module_settings, autocommit=True) as conn:
        control = insert_feed(conn, user_id, control_url)
        scheduler.schedule(conn, control, Delay(0, Priority.NORMAL))
        with running_worker(module_settings, threads=3, **WORKER_ENV) as worker:
            wait_for(lambda: success_runs(conn, control), timeout=60)
            shared = Module(conn, worker.pid, server, probe, user_id, control)
            yield shared
    server.stop()
    probe.stop()
    write_report("hostile_feeds", shared.figures)


def control_feed(number: int) -> bytes:
    items = [(f"item {k}", f"http://127.0.0.1/control/{k}") for k in range(number)]
    return rss_document("control", items)


def refresh_cases(module: Module, cases: list[Case]) -> dict[str, uuid.UUID]:
    """Refresh the cases' feeds with the control feed and record memory figures."""
    conn = module.conn
    feed_ids = {}
    for case in cases:
        url = case.serve(module.server, module.probe)
        feed_ids[case.name] = insert_feed(conn, module.user_id, url)

    before = group_memory(module.worker_group)
    peaks_reset = all(reset_peak_memory(pid) for pid in before)
    control_runs = success_runs(conn, module.control)
    for feed_id in feed_ids.values():
        scheduler.force(conn, feed_id)
    scheduler.force(conn, module.control)

    wait_for(lambda: all(run_count(conn, f) for f in feed_ids.values()), timeout=120)
    wait_for(lambda: success_runs(conn, module.control) > control_runs, timeout=60)
    control = feed_row(conn, module.control)
    assert control["last_fetch_status"] == "success", control
    after = group_memory(module.worker_group)

    name = "+".join(case.name for case in cases)
    module.figures[name] = memory_figures(before, after, peaks_reset)
    check_memory(before, after)
    return feed_ids


def memory_figures(before: dict, after: dict, peaks_reset: bool) -> dict:
    """Summarise the process whose peak was highest, in MiB."""
    pid = max(after, key=lambda p: after[p]["VmHWM"])
    return {
        "pid": pid,
        "rss_before_mib": round(before[pid]["VmRSS"] / 1024, 1),
        "rss_after_mib": round(after[pid]["VmRSS"] / 1024, 1),
        "peak_mib": round(after[pid]["VmHWM"] / 1024, 1),
        "peak_is_per_case": peaks_reset,
    }


def check_memory(before: dict, after: dict) -> None:
    assert set(after) == set(before), "a worker process exited or started"
    for pid, memory in after.items():
        baseline = before[pid]["VmRSS"]
        assert memory["VmRSS"] - baseline < MEMORY_GROWTH_LIMIT_KIB, (pid, memory)
        assert memory["VmHWM"] - baseline < MEMORY_GROWTH_LIMIT_KIB, (pid, memory)


def stored_text(conn, feed_id) -> str:
    """Return every text column the refresh could have filled, joined."""
    texts = [
        " ".join(str(row[column] or "") for column in ("title", "content", "summary"))
        for row in articles_of(conn, feed_id)
    ]
    feed = feed_row(conn, feed_id)
    texts.append(f"{feed['title'] or ''} {feed['last_fetch_error'] or ''}")
    return "\n".join(texts)


def check_outcome(conn, feed_id, case: Case) -> None:
    feed = feed_row(conn, feed_id)
    assert feed["last_fetch_status"] == case.status, feed
    assert feed["last_error_code"] == case.code, feed
    assert runs_of(conn, feed_id)[-1]["error_code"] == case.code
    row = schedule_row(conn, feed_id)
    assert row["state"] == "scheduled", row
    assert row["started_at"] is None, row


def route(path: str, body_or_handler, **options) -> Callable:
    def serve(server: FeedServer, probe: FeedServer) -> str:
        return server.route(path, body_or_handler, **options)

    return serve


def serve_external_http(server: FeedServer, probe: FeedServer) -> str:
    body = hostile.external_http_entities(probe.base_url)
    return server.route("/xxe-http.xml", body)


def serve_redirect_loop(server: FeedServer, probe: FeedServer) -> str:
    server.route("/loop-b.xml", hostile.redirect_to(server.url("/loop-a.xml")))
    return server.route("/loop-a.xml", hostile.redirect_to(server.url("/loop-b.xml")))


def titles_are(*expected: str) -> Callable:
    def check(module: Module, feed_id) -> None:
        titles = [article["title"] for article in articles_of(module.conn, feed_id)]
        assert titles == list(expected)

    return check


def no_articles(module: Module, feed_id) -> None:
    assert articles_of(module.conn, feed_id) == []


def loop_stopped(module: Module, feed_id) -> None:
    no_articles(module, feed_id)
    # The second visit to the first URL is never requested.
    assert len(module.server.requests_for("/loop-a.xml")) == 1
    assert len(module.server.requests_for("/loop-b.xml")) == 1


def nesting_flattened(module: Module, feed_id) -> None:
    [article] = articles_of(module.conn, feed_id)
    assert article["title"] == "nested"
    assert "deep" in article["content"]
    assert len(article["content"]) < 1000


def mojibake_stored(module: Module, feed_id) -> None:
    # Too many invalid sequences for UTF-8, so the body is read as windows-1252.
    [article] = articles_of(module.conn, feed_id)
    assert article["title"].startswith("café ÿþ")
    assert feed_row(module.conn, feed_id)["title"].startswith("bad ÿþ")


ZEROS_1_GIB = hostile.gzip_zeros(1024 * hostile.MIB)
GZIP = {"Content-Encoding": "gzip"}
GZIP_TWICE = {"Content-Encoding": "gzip, gzip"}

# The parser rejects external, parameter and nested entity declarations
# before any XML parser sees the document.
CASES = [
    Case(
        "billion_laughs",
        route("/laughs.xml", hostile.billion_laughs()),
        "failed",
        "parse",
        no_articles,
    ),
    Case(
        "external_file_entity",
        route("/xxe-file.xml", hostile.external_file_entity()),
        "failed",
        "parse",
        no_articles,
    ),
    Case(
        "external_http_entities",
        serve_external_http,
        "failed",
        "parse",
        no_articles,
    ),
    Case(
        "gzip_bomb",
        route("/gzip.xml", ZEROS_1_GIB, headers=GZIP),
        "failed",
        "too_large",
        no_articles,
    ),
    Case(
        "nested_gzip_bomb",
        route("/gzip2.xml", hostile.gzip_bytes(ZEROS_1_GIB), headers=GZIP_TWICE),
        "failed",
        "too_large",
        no_articles,
    ),
    Case(
        "endless_body",
        route("/endless.xml", hostile.streamed(hostile.endless_body)),
        "failed",
        "too_large",
        no_articles,
    ),
    Case(
        "short_content_length",
        route("/short.xml", hostile.fixed(hostile.short_content_length())),
        "success",
        None,
        titles_are("kept"),
    ),
    Case("redirect_loop", serve_redirect_loop, "failed", "redirects", loop_stopped),
    Case(
        "deep_nesting",
        route("/deep.xml", hostile.deep_nesting()),
        "success",
        None,
        nesting_flattened,
    ),
    Case(
        "invalid_utf8",
        route("/utf8.xml", hostile.invalid_utf8()),
        "success",
        None,
        mojibake_stored,
    ),
    Case(
        "line_50_mib",
        route("/line.xml", hostile.streamed(hostile.huge_line)),
        "failed",
        "too_large",
        no_articles,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_feed(module, case):
    feed_id = refresh_cases(module, [case])[case.name]
    check_outcome(module.conn, feed_id, case)
    case.check(module, feed_id)

    text = stored_text(module.conn, feed_id)
    assert "root:" not in text
    assert hostile.PROBE_SECRET not in text
    assert "lollol" not in text
    assert "\x00" not in text
    assert module.probe.requests == []


def test_slow_bodies_fail_after_retries(module):
    """A body trickled a byte a second and one cut short of its Content-Length.

    Both failures are retried, so each feed fails after its fourth attempt.
    """
    trickle = Case(
        "trickle",
        route("/trickle.xml", hostile.streamed(hostile.trickle)),
        "failed",
        "timeout",
        no_articles,
    )
    cut = Case(
        "long_content_length",
        route("/long.xml", hostile.fixed(hostile.long_content_length())),
        "failed",
        "connect",
        no_articles,
    )
    feed_ids = refresh_cases(module, [trickle, cut])
    for case in (trickle, cut):
        check_outcome(module.conn, feed_ids[case.name], case)
        case.check(module, feed_ids[case.name])
    assert len(module.server.requests_for("/trickle.xml")) == 4
    assert len(module.server.requests_for("/long.xml")) == 4
