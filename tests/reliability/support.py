"""Helpers of the reliability tests: worker processes, memory, timed feed routes,
a gunicorn API server and the report of measured figures.

Every server here listens on 127.0.0.1 and every loop is bounded in count or
time.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from feeds.settings import Settings
from tests.api.helpers import free_port
from tests.feedserver import RecordedRequest, Response
from tests.workers import stop, wait_for, worker_env

# The folder where each test writes its figures as NAME.json.
REPORT_ENV = "FEEDS_RELIABILITY_REPORT"

RSS_TYPE = "application/rss+xml; charset=utf-8"

# Every worker of these tests runs without its metrics server, so that two
# workers, or another engineer's worker, never compete for the port.
NO_METRICS = {"FEEDS_WORKER_METRICS_PORT": "0"}


# -- report ---------------------------------------------------------------------


def write_report(name: str, figures: dict) -> None:
    """Print measured figures and write them to $FEEDS_RELIABILITY_REPORT/NAME.json."""
    text = json.dumps(figures, indent=2, sort_keys=True, default=str)
    print(f"\n{name}: {text}")
    folder = os.environ.get(REPORT_ENV)
    if not folder:
        return
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    (path / f"{name}.json").write_text(text + "\n")


# -- feeds ----------------------------------------------------------------------


def rss_document(title: str, items: list[tuple[str, str]]) -> bytes:
    """Build an RSS 2.0 document from (title, link) pairs."""
    entries = "".join(
        f"<item><title>{item_title}</title><link>{link}</link>"
        f"<guid>{link}</guid></item>"
        for item_title, link in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0"><channel>'
        f"<title>{title}</title><link>http://127.0.0.1/</link>"
        f"{entries}</channel></rss>"
    ).encode()


@dataclass
class TimedRoute:
    """A route handler that waits ``delay`` seconds, then returns a feed.

    ``body_for(n)`` builds the body of the n-th request (counted from 1). Each
    request's start and end in ``time.monotonic()`` seconds are kept, so a test
    can check that two refreshes of one feed never overlapped.
    """

    body_for: Callable[[int], bytes]
    delay: float = 0.0
    intervals: list[tuple[float, float]] = field(default_factory=list)
    in_flight: int = 0
    _count: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: RecordedRequest) -> Response:
        with self._lock:
            self._count += 1
            number = self._count
            self.in_flight += 1
        started = time.monotonic()
        try:
            time.sleep(self.delay)
            body = self.body_for(number)
        finally:
            with self._lock:
                self.in_flight -= 1
                self.intervals.append((started, time.monotonic()))
        return Response(200, body, {"Content-Type": RSS_TYPE})

    @property
    def requests(self) -> int:
        with self._lock:
            return self._count


def overlapping(intervals: list[tuple[float, float]]) -> list[tuple]:
    """Return the pairs of consecutive intervals that overlap in time."""
    ordered = sorted(intervals)
    return [
        (first, second)
        for first, second in zip(ordered, ordered[1:], strict=False)
        if second[0] < first[1]
    ]


# -- database -------------------------------------------------------------------


def success_runs(conn, feed_id: uuid.UUID, *, after=None) -> int:
    """Count the feed's successful runs, those started after ``after`` if given."""
    row = conn.execute(
        "SELECT count(*) AS runs FROM feed_runs WHERE feed_id = %(id)s "
        "AND status = 'success' "
        "AND (%(after)s::timestamptz IS NULL OR started_at > %(after)s)",
        {"id": feed_id, "after": after},
    ).fetchone()
    return row["runs"]


def run_count(conn, feed_id: uuid.UUID) -> int:
    row = conn.execute(
        "SELECT count(*) AS runs FROM feed_runs WHERE feed_id = %(id)s",
        {"id": feed_id},
    ).fetchone()
    return row["runs"]


def database_now(conn):
    return conn.execute("SELECT now() AS now").fetchone()["now"]


def active_rows(conn) -> list[dict]:
    """Return the queued and running schedule rows with their ages in seconds."""
    return conn.execute(
        "SELECT feed_id, state, "
        "extract(epoch FROM now() - queued_at)::float AS queued_for, "
        "extract(epoch FROM now() - started_at)::float AS running_for "
        "FROM feed_schedule WHERE state IN ('queued', 'running')"
    ).fetchall()


def pending_messages(conn) -> int:
    """Count Dramatiq messages not yet done or rejected."""
    row = conn.execute(
        "SELECT count(*) AS pending FROM dramatiq.queue "
        "WHERE state IN ('queued', 'consumed')"
    ).fetchone()
    return row["pending"]


def other_sessions(conn) -> int:
    """Count the other sessions connected to this connection's database."""
    row = conn.execute(
        "SELECT count(*) AS sessions FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    ).fetchone()
    return row["sessions"]


# -- processes ------------------------------------------------------------------


def group_pids(group_id: int) -> list[int]:
    """Return the ids of the live processes in a process group."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The fields after the command name: state, ppid, pgrp, ...
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == group_id:
            pids.append(int(entry.name))
    return sorted(pids)


def kill_group(process: subprocess.Popen) -> None:
    """Kill a process group started with start_new_session, as an OOM kill would."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def memory_kib(pid: int) -> dict[str, int]:
    """Return VmRSS (resident now) and VmHWM (peak resident) of a process, in KiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


def reset_peak_memory(pid: int) -> bool:
    """Reset VmHWM to the current VmRSS, or return False where Linux forbids it."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def group_memory(group_id: int) -> dict[int, dict[str, int]]:
    """Return memory_kib for every process of a group that is still alive."""
    memory = {}
    for pid in group_pids(group_id):
        try:
            memory[pid] = memory_kib(pid)
        except OSError:
            continue
    return memory


# -- the API under gunicorn -----------------------------------------------------


@contextmanager
def running_api(settings: Settings, *, workers: int = 2) -> Iterator[str]:
    """Serve the API under gunicorn on a loopback port and yield its base URL."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "feeds.api.wsgi:app",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "60",
    ]
    base_url = f"http://127.0.0.1:{port}"
    env = worker_env(settings, **NO_METRICS)
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for(lambda: _serves(base_url, process), timeout=60)
            yield base_url
        finally:
            stop(process)
            log.seek(0)
            sys.stdout.write(log.read().decode(errors="replace")[-20000:])


def _serves(base_url: str, process: subprocess.Popen) -> bool:
    if process.poll() is not None:
        raise AssertionError(f"gunicorn exited with status {process.returncode}")
    try:
        httpx.get(base_url + "/healthz", timeout=2, trust_env=False)
    except httpx.TransportError:
        return False
    return True
