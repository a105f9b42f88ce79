"""``feeds up``: the whole service on one machine.

Without DATABASE_URL it starts an embedded PostgreSQL with its data in
FEEDS_HOME (default ./.feeds). It applies migrations, starts the API under
gunicorn and one worker process, and prints the API URL and a bearer token
for a local user. Ctrl-C stops everything.
"""

import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from feeds.settings import get_settings

READY_TIMEOUT_SECONDS = 60.0


def run_all(*, bind: str) -> None:
    home = Path(os.environ.get("FEEDS_HOME", ".feeds")).resolve()
    home.mkdir(parents=True, exist_ok=True)
    server = _ensure_database(home)
    os.environ.setdefault("FEEDS_JWT_SECRET", _read_or_create(home / "jwt-secret"))
    get_settings.cache_clear()
    settings = get_settings()

    _migrate(settings)
    children = _start_children(bind)
    try:
        _wait_until_ready(f"http://{bind}/healthz", children)
        _print_welcome(home, bind, settings)
        _wait_for_exit(children)
    finally:
        _stop_children(children)
        del server


def _ensure_database(home: Path):
    if os.environ.get("DATABASE_URL"):
        return None
    from feeds.embedded import start_embedded_postgres

    server, url = start_embedded_postgres(home / "pgdata")
    os.environ["DATABASE_URL"] = url
    print(f"embedded PostgreSQL: {url}", flush=True)
    return server


def _read_or_create(path: Path) -> str:
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _migrate(settings) -> None:
    from feeds.db import connect
    from feeds.migrate import migrate

    with connect(settings) as conn:
        migrate(conn)


def _start_children(bind: str) -> list[subprocess.Popen]:
    feeds = [sys.executable, "-m", "feeds"]
    return [
        subprocess.Popen([*feeds, "api", "--bind", bind]),
        subprocess.Popen([*feeds, "worker"]),
    ]


def _wait_until_ready(url: str, children: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if any(child.poll() is not None for child in children):
            raise SystemExit("feeds up: a child process exited during start")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(
        f"feeds up: the API did not respond at {url}; see the output above"
    )


def _print_welcome(home: Path, bind: str, settings) -> None:
    from feeds.tokens import sign_token

    user_id = uuid.UUID(_read_or_create_user(home / "local-user-id"))
    token = sign_token(
        user_id, secret=settings.jwt_secret, audience=settings.jwt_audience
    )
    print(
        f"\nfeeds is running.\n"
        f"  API:     http://{bind}\n"
        f"  user id: {user_id}\n"
        f"  token:   {token}\n\n"
        f"Try:  curl -H 'Authorization: Bearer {token}' http://{bind}/api/feeds\n"
        f"Press Ctrl-C to stop.\n",
        flush=True,
    )


def _read_or_create_user(path: Path) -> str:
    if not path.exists():
        path.write_text(str(uuid.uuid4()))
    return path.read_text().strip()


def _wait_for_exit(children: list[subprocess.Popen]) -> None:
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    try:
        while not stop and all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass


def _stop_children(children: list[subprocess.Popen]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
