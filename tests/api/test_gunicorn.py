"""The WSGI entry point under a real gunicorn on loopback."""

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.api.helpers import free_port
from tests.api.tokens import auth_headers
from tests.conftest import JWT_SECRET

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_SECONDS = 30


@pytest.fixture
def server(settings, tmp_path):
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "FEEDS_JWT_SECRET": JWT_SECRET,
    }
    log = log_path.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--no-control-socket",
            "feeds.api.wsgi:app",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base_url, process, log_path)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def wait_until_serving(
    base_url: str, process: subprocess.Popen, log_path: Path
) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    with httpx.Client(base_url=base_url, trust_env=False) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                output = log_path.read_text(errors="replace")
                raise AssertionError(f"gunicorn exited early:\n{output}")
            try:
                http.get("/healthz", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.1)
    raise AssertionError(f"gunicorn did not serve {base_url} in time")


def test_gunicorn_serves_api(server, user_id):
    with httpx.Client(base_url=server, trust_env=False, timeout=10) as http:
        health = http.get("/healthz")
        ready = http.get("/readyz")
        created = http.post(
            "/api/feeds",
            json={"url": "https://example.com/feed.xml"},
            headers=auth_headers(user_id),
        )
        listed = http.get("/api/feeds", headers=auth_headers(user_id))
        denied = http.get("/api/feeds")

    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "reason": None}
    assert created.status_code == 201
    assert [feed["id"] for feed in listed.json()["feeds"]] == [created.json()["id"]]
    assert denied.status_code == 401
    assert "x-request-id" in listed.headers


IMPORT_CHECK = """
import feeds.db

calls = []
feeds.db.create_pool = lambda *args, **kwargs: calls.append(args)

from falcon.testing import TestClient
from feeds.api import wsgi

result = TestClient(wsgi.app).simulate_get("/healthz")
assert result.status_code == 200, result.status
assert calls == [], calls
"""


def test_wsgi_import_opens_no_pool():
    env = {
        **os.environ,
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{free_port()}/feeds",
        "FEEDS_JWT_SECRET": JWT_SECRET,
    }

    completed = subprocess.run(
        [sys.executable, "-c", IMPORT_CHECK],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert completed.returncode == 0, completed.stderr
