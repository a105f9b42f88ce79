"""The WSGI entry point under a real gunicorn on loopback."""

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.api.helpers import free_port
from tests.api.tokens import auth_headers
from tests.apiserver import running_api
from tests.conftest import JWT_SECRET

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server(settings, tmp_path):
    env = {"DATABASE_URL": settings.database_url, "FEEDS_JWT_SECRET": JWT_SECRET}
    with running_api(env, tmp_path / "gunicorn.log") as base_url:
        yield base_url


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
