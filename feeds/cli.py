"""The ``feeds`` command line."""

import argparse
import json
import os
import sys
import uuid
from dataclasses import asdict
from datetime import UTC, datetime

from feeds import opml_cli, queue_cli
from feeds.settings import get_settings

DEFAULT_BIND = "127.0.0.1:8000"
# gunicorn's default format without the query string (%(U)s is the path
# alone), so a status page token passed as ?token= never reaches the log.
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s'


def main(argv: list[str] | None = None) -> None:
    parser = _build_parser()
    args = parser.parse_args(argv)
    args.run(args)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="feeds", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    up = commands.add_parser("up", help="run API, worker and (if needed) PostgreSQL")
    up.add_argument("--bind", default=DEFAULT_BIND, help="API address HOST:PORT")
    up.set_defaults(run=_up)

    migrate = commands.add_parser("migrate", help="apply pending database migrations")
    migrate.set_defaults(run=_migrate)

    api = commands.add_parser("api", help="serve the REST API under gunicorn")
    api.add_argument("--bind", default=DEFAULT_BIND, help="address HOST:PORT")
    api.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    api.set_defaults(run=_api)

    worker = commands.add_parser("worker", help="run refresh workers (Dramatiq)")
    worker.add_argument("--processes", type=int, help="worker processes")
    worker.add_argument("--threads", type=int, help="threads per process")
    worker.set_defaults(run=_worker)

    token = commands.add_parser("token", help="sign a bearer token for a user id")
    token.add_argument("user_id", type=uuid.UUID, help="the user's UUID")
    token.set_defaults(run=_token)

    fetch = commands.add_parser("fetch", help="fetch and parse one feed, no database")
    fetch.add_argument("url", help="feed URL (http or https)")
    fetch.set_defaults(run=_fetch)

    queue_cli.add_parser(commands)
    opml_cli.add_parser(commands)
    return parser


def _migrate(args: argparse.Namespace) -> None:
    from feeds.db import connect
    from feeds.migrate import migrate

    settings = _require_database(get_settings())
    with connect(settings) as conn:
        applied = migrate(conn)
    for migration in applied:
        print(f"applied {migration.version:04d}_{migration.name}")
    print(f"database is current ({len(applied)} applied)")


def _api(args: argparse.Namespace) -> None:
    from feeds.metrics_dir import ensure_multiprocess_dir

    _require_database(get_settings())
    # Every gunicorn worker writes its metrics there, so /metrics adds them up.
    ensure_multiprocess_dir("feeds-api-metrics-")
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "feeds.api.wsgi:app",
        "--config",
        "python:feeds.api.gunicorn_conf",
        "--bind",
        args.bind,
        "--workers",
        str(args.workers),
        "--access-logfile",
        "-",
        "--access-logformat",
        ACCESS_LOG_FORMAT,
        "--no-control-socket",
    ]
    os.execv(sys.executable, command)


def _worker(args: argparse.Namespace) -> None:
    from feeds.metrics_dir import ensure_multiprocess_dir

    settings = _require_database(get_settings())
    # Every worker process writes its metrics there, so one endpoint serves all.
    ensure_multiprocess_dir("feeds-worker-metrics-")
    processes = args.processes or settings.worker_processes
    threads = args.threads or settings.worker_threads
    os.execv(sys.executable, worker_command(processes, threads))


def worker_command(processes: int, threads: int) -> list[str]:
    """Return the Dramatiq command line that runs the refresh workers."""
    return [
        sys.executable,
        "-m",
        "dramatiq",
        "feeds.actors",
        "--processes",
        str(processes),
        "--threads",
        str(threads),
    ]


def _token(args: argparse.Namespace) -> None:
    from feeds.tokens import sign_token

    settings = get_settings()
    if not settings.jwt_secret:
        raise SystemExit("FEEDS_JWT_SECRET is not set: there is no key to sign with")
    print(
        sign_token(
            args.user_id, secret=settings.jwt_secret, audience=settings.jwt_audience
        )
    )


def _fetch(args: argparse.Namespace) -> None:
    from feeds.errors import FeedsError
    from feeds.fetch import Fetcher
    from feeds.parse import parse_feed

    settings = get_settings()
    try:
        with Fetcher(settings) as fetcher:
            fetched = fetcher.fetch(args.url)
        parsed = parse_feed(
            fetched.body,
            fetched.url,
            content_type=fetched.content_type,
            fetched_at=fetched.started_at,
        )
    except FeedsError as error:
        raise SystemExit(f"feeds fetch: {error}") from None

    for entry in parsed.entries:
        print(json.dumps(asdict(entry), default=_json_default, ensure_ascii=False))


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return str(value)


def _up(args: argparse.Namespace) -> None:
    from feeds.up import run_all

    run_all(bind=args.bind)


def _require_database(settings):
    if not settings.database_url:
        raise SystemExit("DATABASE_URL is not set (a libpq URL of PostgreSQL)")
    return settings
