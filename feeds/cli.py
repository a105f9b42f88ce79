"""The ``feeds`` command line."""

import argparse
import json
import os
import sys
import uuid
from dataclasses import asdict
from datetime import UTC, datetime

from feeds.settings import get_settings

DEFAULT_BIND = "127.0.0.1:8000"


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
    _require_database(get_settings())
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "feeds.api.wsgi:app",
        "--bind",
        args.bind,
        "--workers",
        str(args.workers),
        "--access-logfile",
        "-",
        "--no-control-socket",
    ]
    os.execv(sys.executable, command)


def _worker(args: argparse.Namespace) -> None:
    settings = _require_database(get_settings())
    processes = args.processes or settings.worker_processes
    threads = args.threads or settings.worker_threads
    command = [
        sys.executable,
        "-m",
        "dramatiq",
        "feeds.actors",
        "--processes",
        str(processes),
        "--threads",
        str(threads),
    ]
    os.execv(sys.executable, command)


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
