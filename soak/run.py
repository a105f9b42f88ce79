"""Run the soak: set up, refresh under faults, check, clean up."""

import argparse
import csv
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict
from pathlib import Path

import psycopg

from feeds import scheduler
from feeds.settings import Settings
from soak import analysis
from soak.analysis import Fault
from soak.catalog import feed_path, refresh_minutes
from soak.postgres import SoakPostgres
from soak.sampler import Sampler
from soak.workers import WorkerGroup

# Worker settings of the soak. The timeouts are short, so a timing-out feed
# keeps a worker thread busy for seconds rather than a minute.
WORKER_SETTINGS = {
    "FEEDS_ALLOW_PRIVATE_ADDRESSES": "true",
    "FEEDS_CONNECT_TIMEOUT_SECONDS": "2",
    "FEEDS_READ_TIMEOUT_SECONDS": "3",
    "FEEDS_TOTAL_TIMEOUT_SECONDS": "5",
    "FEEDS_REFRESH_TIME_LIMIT_SECONDS": "15",
    "FEEDS_STALE_MARGIN_SECONDS": "5",
    "FEEDS_WORKER_METRICS_PORT": "0",
    "FEEDS_LOG_LEVEL": "WARNING",
}
# The dispatcher's housekeeping (heartbeat, stale row recovery) runs this
# often; see feeds/actors/dispatcher.py.
HOUSEKEEPING_SECONDS = 10.0
# Time for the workers to reconnect after a database restart and to work off
# the rows that a fault made due all at once.
BACKLOG_ALLOWANCE_SECONDS = 30.0
# The slot is reserved in the database and the request follows after the
# worker thread wakes from its sleep, gets the GIL back from the other threads
# of its process and connects. The server stamps the request when its
# headers arrive. Two consecutive requests can therefore be closer than the
# interval by the difference of those delays. With PostgreSQL, two worker
# processes and the feed servers sharing 2 cores with other jobs, full-size
# runs showed gaps up to 105 ms short, in bursts on several ports at the same
# instant: the whole machine stalled, no slot was taken twice. A slot taken
# twice shows a gap near 0 ms.
SPACING_TOLERANCE_SECONDS = 0.150
ON_TIME_SECONDS = 5.0
RECOVERED_LAG_SECONDS = 5.0
SETUP_TIMEOUT_SECONDS = 60
PROBE_DIR = Path(__file__).resolve().parent / "probe"
PROCESS_STOP_SECONDS = 20


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m soak", description=__doc__)
    default_seconds = float(os.environ.get("SOAK_SECONDS", "600"))
    parser.add_argument(
        "--seconds",
        type=float,
        default=default_seconds,
        help="length of the refresh phase (default SOAK_SECONDS or 600)",
    )
    parser.add_argument("--feeds", type=int, default=5000, help="feeds served")
    parser.add_argument("--ports", type=int, default=200, help="feed server ports")
    parser.add_argument("--users", type=int, default=5, help="users owning the feeds")
    parser.add_argument(
        "--groups", type=int, default=2, help="worker process groups, killed in turn"
    )
    parser.add_argument("--processes", type=int, default=1, help="processes per group")
    parser.add_argument("--threads", type=int, default=16, help="threads per process")
    parser.add_argument(
        "--domain-interval",
        type=float,
        default=1.0,
        help="FEEDS_DOMAIN_INTERVAL_SECONDS of the workers",
    )
    parser.add_argument(
        "--kill-every", type=float, default=120.0, help="seconds between worker kills"
    )
    parser.add_argument("--report-json", help="also write the results to this file")
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary folder with the logs"
    )
    return parser.parse_args(argv)


def fault_plan(seconds: float, kill_every: float, groups: int) -> list[tuple]:
    """Return (offset, kind, group) events: regular kills and one restart.

    Faults start after a warm-up and stop before a cool-down, so the last
    one has time to recover. The restart sits halfway between the two kills
    closest to the middle of the run.
    """
    warmup = min(90.0, 0.15 * seconds)
    cooldown = min(120.0, 0.2 * seconds)
    every = min(kill_every, seconds / 4)
    kills = []
    offset = warmup
    while offset <= seconds - cooldown:
        kills.append(offset)
        offset += every

    restart_at = seconds / 2
    if len(kills) >= 2:
        middles = [(a + b) / 2 for a, b in zip(kills, kills[1:], strict=False)]
        restart_at = min(middles, key=lambda middle: abs(middle - seconds / 2))
    events = [(at, "worker kill", index % groups) for index, at in enumerate(kills)]
    events.append((restart_at, "PostgreSQL restart", None))
    return sorted(events, key=lambda event: event[0])


class Soak:
    """Everything the soak starts, so that close() can stop all of it."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.folder = Path(tempfile.mkdtemp(prefix="feeds-soak-"))
        self.pg: SoakPostgres | None = None
        self.server: subprocess.Popen | None = None
        self.groups: list[WorkerGroup] = []
        self.sampler: Sampler | None = None
        self.faults: list[Fault] = []
        self.ports: list[int] = []
        # feed id -> (feed index, first due time, insert time)
        self.initial: dict[str, tuple[int, float, float]] = {}
        settings = Settings(
            **{k.removeprefix("FEEDS_").lower(): v for k, v in WORKER_SETTINGS.items()}
        )
        self.timeouts = scheduler.stale_timeouts(settings)
        # The maximum wait of a row whose message a fault lost before it is rescheduled.
        self.recovery_window = self.timeouts.queued_seconds + HOUSEKEEPING_SECONDS
        # What any refresh may wait on top: its domain slot, the dispatcher's
        # sleep, and the backlog that a fault leaves behind.
        self.wait_allowance = (
            settings.domain_max_wait_seconds
            + settings.dispatch_interval_seconds
            + BACKLOG_ALLOWANCE_SECONDS
        )
        self.recovery_limit = self.recovery_window + self.wait_allowance

    # -- phases ------------------------------------------------------------------

    def run(self) -> analysis.Report:
        log(f"working folder {self.folder}")
        self.pg = SoakPostgres()
        self.pg.create_database()
        log(f"embedded PostgreSQL ready at {self.pg.url}")
        self.start_feed_servers()
        self.seed()
        self.sampler = Sampler(self.pg.url)
        self.sampler.start()
        self.start_workers()

        started = time.time()
        self.inject_faults(started)
        ended = time.time()
        log("refresh phase over; stopping workers")
        for group in self.groups:
            group.stop()
        self.sampler.stop()
        self.stop_feed_servers()
        return self.analyse(started, ended)

    def start_feed_servers(self) -> None:
        ports_file = self.folder / "ports.json"
        lifetime = self.args.seconds + 900
        self.server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "soak.feedserver",
                "--ports",
                str(self.args.ports),
                "--ports-file",
                str(ports_file),
                "--log",
                str(self.request_log),
                "--max-seconds",
                str(lifetime),
            ],
            stdout=(self.folder / "feedserver.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + SETUP_TIMEOUT_SECONDS
        while not ports_file.exists():
            if self.server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the feed servers did not start")
            time.sleep(0.1)
        time.sleep(0.1)
        self.ports = json.loads(ports_file.read_text())
        first, last = min(self.ports), max(self.ports)
        log(f"{len(self.ports)} feed servers on 127.0.0.1, ports {first} to {last}")

    def seed(self) -> None:
        users = [uuid.uuid4() for _ in range(self.args.users)]
        rng = random.Random(20240501)
        now = time.time()
        feeds, schedules = [], []
        for index in range(self.args.feeds):
            feed_id = uuid.uuid4()
            port = self.ports[index % len(self.ports)]
            url = f"http://127.0.0.1:{port}{feed_path(index)}"
            minutes = refresh_minutes(index)
            due = now + rng.uniform(5.0, minutes * 60.0)
            feeds.append((feed_id, users[index % len(users)], url, minutes))
            schedules.append((feed_id, due))
            self.initial[str(feed_id)] = (index, due, now)

        with psycopg.connect(self.pg.url) as conn:
            with conn.cursor().copy(
                "COPY feeds (id, user_id, url, refresh_interval) FROM STDIN"
            ) as copy:
                for row in feeds:
                    copy.write_row(row)
            conn.execute(
                "INSERT INTO feed_schedule "
                "(feed_id, state, priority, next_run_at, reason, token) "
                "SELECT id, 'scheduled', 2, to_timestamp(due), 'interval', "
                "gen_random_uuid() FROM unnest(%s::uuid[], %s::float8[]) AS t(id, due)",
                ([row[0] for row in schedules], [row[1] for row in schedules]),
            )
        log(
            f"{self.args.feeds} feeds of {self.args.users} users inserted, "
            "first refreshes spread over one interval"
        )

    def start_workers(self) -> None:
        env = {
            **os.environ,
            **WORKER_SETTINGS,
            "DATABASE_URL": self.pg.url,
            "FEEDS_DOMAIN_INTERVAL_SECONDS": str(self.args.domain_interval),
            # soak/probe/sitecustomize.py records each slot and fetch call.
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(PROBE_DIR), os.environ.get("PYTHONPATH")])
            ),
            "SOAK_PROBE_DIR": str(self.folder),
        }
        for number in range(self.args.groups):
            group = WorkerGroup(
                str(number),
                env,
                self.folder,
                processes=self.args.processes,
                threads=self.args.threads,
            )
            group.start()
            self.groups.append(group)
        log(
            f"{self.args.groups} worker groups of {self.args.processes} process(es) "
            f"x {self.args.threads} threads started"
        )

    def inject_faults(self, started: float) -> None:
        plan = fault_plan(self.args.seconds, self.args.kill_every, len(self.groups))
        for offset, kind, group in plan:
            sleep_until(started + offset)
            if kind == "worker kill":
                self.kill_group(self.groups[group])
            else:
                self.restart_postgres()
        sleep_until(started + self.args.seconds)

    def kill_group(self, group: WorkerGroup) -> None:
        at = time.time()
        group.kill()
        group.start()
        self.faults.append(Fault("worker kill", at, time.time(), f"group {group.name}"))
        log(f"killed worker group {group.name} and started it again")

    def restart_postgres(self) -> None:
        at = time.time()
        stopped, back = self.pg.restart()
        self.faults.append(
            Fault("PostgreSQL restart", at, back, "pg_ctl stop -m immediate")
        )
        log(f"PostgreSQL restarted; down for {back - stopped:.1f} s")

    def stop_feed_servers(self) -> None:
        self.server.send_signal(signal.SIGTERM)
        try:
            self.server.wait(timeout=PROCESS_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.server.wait()

    @property
    def request_log(self) -> Path:
        return self.folder / "requests.log"

    # -- checks ------------------------------------------------------------------

    def analyse(self, started: float, ended: float) -> analysis.Report:
        report = analysis.Report()
        requests = analysis.read_requests(self.request_log)
        stuck_after = self.timeouts.queued_seconds + HOUSEKEEPING_SECONDS + 15
        with psycopg.connect(self.pg.url) as conn:
            analysis.check_schedule_rows(conn, report, stuck_after)
            analysis.check_duplicate_articles(conn, report)
            dues = analysis.read_dues(conn, self.initial)
            if self.args.keep:
                self.dump_tables(conn)
        probes = analysis.read_probes(sorted(self.folder.glob("probe-*.log")))
        analysis.check_domain_spacing(
            requests,
            report,
            self.args.domain_interval,
            SPACING_TOLERANCE_SECONDS,
            probes=probes,
            started=started,
        )
        judged = analysis.check_lateness(
            requests,
            dues,
            report,
            started=started,
            end=ended,
            fault_times=[fault.at for fault in self.faults],
            allowance=self.wait_allowance,
            per_fault=self.recovery_window,
            on_time=ON_TIME_SECONDS,
        )
        if self.args.keep:
            self.write_lateness(judged, started)
        analysis.request_figures(requests, report, ended - started)
        analysis.check_recovery(
            report,
            self.faults,
            self.sampler.samples,
            requests,
            started=started,
            ended=ended,
            limit=self.recovery_limit,
            lag_ok=RECOVERED_LAG_SECONDS,
        )
        logs = [self.folder / f"worker-{group.name}.log" for group in self.groups]
        analysis.check_worker_threads(logs, report)
        return report

    def dump_tables(self, conn: psycopg.Connection) -> None:
        """Copy the tables the checks read into CSV files of the working folder."""
        for table in ("feeds", "feed_schedule", "feed_runs"):
            path = self.folder / f"{table}.csv"
            sql = f"COPY {table} TO STDOUT WITH (FORMAT csv, HEADER)"
            with path.open("wb") as output, conn.cursor().copy(sql) as copy:
                for data in copy:
                    output.write(data)

    def write_lateness(self, judged: list, started: float) -> None:
        path = self.folder / "lateness.csv"
        with path.open("w", newline="") as output:
            writer = csv.writer(output)
            writer.writerow(
                [
                    "feed",
                    "due_s",
                    "previous_run_end_s",
                    "request_s",
                    "lateness_s",
                    "set_by",
                ]
            )
            for item in judged:
                due = item.due
                writer.writerow(
                    [
                        due.feed,
                        f"{due.at - started:.3f}",
                        f"{due.after - started:.3f}",
                        f"{item.request_at - started:.3f}",
                        f"{item.seconds:.3f}",
                        due.set_by,
                    ]
                )

    # -- cleanup -----------------------------------------------------------------

    def close(self) -> None:
        for group in self.groups:
            try:
                group.stop()
            except OSError as error:
                log(f"stopping worker group {group.name} failed: {error}")
        if self.sampler is not None:
            self.sampler.stop()
        if self.server is not None and self.server.poll() is None:
            self.stop_feed_servers()
        if self.pg is not None:
            self.pg.stop()
        if self.args.keep:
            log(f"kept {self.folder}")
        else:
            shutil.rmtree(self.folder, ignore_errors=True)


def sleep_until(moment: float) -> None:
    delay = moment - time.time()
    if delay > 0:
        time.sleep(delay)


def log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} soak: {message}", flush=True)


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _raise_deadline(signum, frame) -> None:
    raise TimeoutError("the soak ran past its hard deadline")


def print_report(report: analysis.Report, faults: list[Fault]) -> None:
    print("\n== soak results ==")
    for figure in report.figures:
        print(f"  {figure}")
    for check in report.checks:
        print(f"  [{'PASS' if check.passed else 'FAIL'}] {check.name}: {check.detail}")
    print(f"soak: {'PASS' if report.passed else 'FAIL'}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGALRM, _raise_deadline)
    # Setup, stopping and checking take a few minutes at most.
    signal.alarm(int(args.seconds) + 900)
    soak = Soak(args)
    try:
        report = soak.run()
        print_report(report, soak.faults)
        if args.report_json:
            results = {
                "checks": [asdict(check) for check in report.checks],
                "figures": report.figures,
                "faults": [asdict(fault) for fault in soak.faults],
                "arguments": vars(args),
            }
            Path(args.report_json).write_text(json.dumps(results, indent=2))
        if not report.passed:
            for group in soak.groups:
                print(
                    f"\n-- end of worker group {group.name} log --\n{group.log_tail()}"
                )
        return 0 if report.passed else 1
    finally:
        signal.alarm(0)
        soak.close()
