"""The feeds command line, run as a real process."""

import json
import os
import subprocess
import sys
import uuid

import jwt

from tests.conftest import JWT_SECRET, SHARED_FEEDS


def run_feeds(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "feeds", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_token_is_a_valid_bearer_token():
    user_id = uuid.uuid4()
    result = run_feeds("token", str(user_id), FEEDS_JWT_SECRET=JWT_SECRET)

    claims = jwt.decode(
        result.stdout.strip(),
        JWT_SECRET,
        algorithms=["HS256"],
        audience="authenticated",
    )
    assert result.returncode == 0
    assert claims["sub"] == str(user_id)
    assert claims["exp"] > claims["iat"]


def test_token_without_secret_fails_clearly():
    result = run_feeds("token", str(uuid.uuid4()), FEEDS_JWT_SECRET="")
    assert result.returncode != 0
    assert "FEEDS_JWT_SECRET" in result.stderr


def test_fetch_prints_articles_as_json_lines(feed_server):
    body = (SHARED_FEEDS / "cases" / "01-no-guid-stable-links.xml").read_bytes()
    url = feed_server.route("/news.xml", body)

    result = run_feeds("fetch", url, FEEDS_ALLOW_PRIVATE_ADDRESSES="true")

    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 0, result.stderr
    assert [line["title"] for line in lines] == [
        "Tide tables updated",
        "Pier 4 reopens",
        "Ferry timetable",
    ]
    assert lines[0]["published_at"] == "2024-01-02T03:04:05+00:00"


def test_fetch_rejects_loopback_by_default(feed_server):
    url = feed_server.route("/news.xml", b"")

    result = run_feeds("fetch", url, FEEDS_ALLOW_PRIVATE_ADDRESSES="false")

    assert result.returncode != 0
    assert "blocked_address" in result.stderr
    assert feed_server.requests == []


def test_migrate_reports_current_database(settings):
    result = run_feeds("migrate", DATABASE_URL=settings.database_url)
    assert result.returncode == 0, result.stderr
    assert "database is current (0 applied)" in result.stdout


def test_worker_without_database_fails_clearly():
    result = run_feeds("worker", DATABASE_URL="")
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr
