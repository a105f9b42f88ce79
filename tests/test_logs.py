"""Log lines: plain text with k=v fields, or one JSON object per line."""

import ast
import base64
import io
import json
import logging
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from falcon.testing import TestClient
from pydantic import ValidationError

from feeds.api.app import create_app
from feeds.logs import configure_logging
from feeds.settings import Settings
from tests.api.helpers import UnusablePool, free_port
from tests.conftest import JWT_SECRET

logger = logging.getLogger("feeds.test_logs")


@pytest.fixture
def log_stream():
    """Capture the ``feeds`` logger's output, and restore its setup afterwards."""
    root = logging.getLogger("feeds")
    handlers, level, propagate = root.handlers[:], root.level, root.propagate
    yield io.StringIO()
    root.handlers[:] = handlers
    root.setLevel(level)
    root.propagate = propagate


def configure(stream: io.StringIO, **fields: str) -> Settings:
    settings = Settings(DATABASE_URL="", jwt_secret=JWT_SECRET, **fields)
    configure_logging(settings, stream=stream)
    return settings


def json_lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_line_fields(log_stream):
    configure(log_stream, log_format="json")
    feed_id, message_id = uuid.uuid4(), uuid.uuid4()

    logger.info(
        "refreshed feed",
        extra={
            "feed_id": feed_id,
            "url": "https://example.com/feed.xml",
            "message_id": str(message_id),
            "articles_added": 3,
        },
    )

    [entry] = json_lines(log_stream)
    assert entry["message"] == "refreshed feed"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "feeds.test_logs"
    assert datetime.fromisoformat(entry["timestamp"]).utcoffset().total_seconds() == 0
    assert entry["feed_id"] == str(feed_id)
    assert entry["url"] == "https://example.com/feed.xml"
    assert entry["message_id"] == str(message_id)
    assert entry["articles_added"] == 3
    assert "exception" not in entry


def test_json_exception_as_string(log_stream):
    configure(log_stream, log_format="json")

    try:
        raise ValueError("bad value\non two lines")
    except ValueError:
        logger.exception("refresh raised unexpectedly", extra={"feed_id": "f1"})

    lines = log_stream.getvalue().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["level"] == "ERROR"
    assert entry["feed_id"] == "f1"
    assert isinstance(entry["exception"], str)
    assert entry["exception"].startswith("Traceback")
    assert "ValueError: bad value\non two lines" in entry["exception"]


def test_json_field_named_like_key(log_stream):
    configure(log_stream, log_format="json")

    logger.warning("could not read queue metrics", extra={"level": "custom"})

    [entry] = json_lines(log_stream)
    assert entry["level"] == "WARNING"
    assert entry["extra_level"] == "custom"


def test_plain_line_fields(log_stream):
    configure(log_stream)

    logger.info("refreshed feed", extra={"feed_id": "f1", "url": "https://e.com/"})

    line = log_stream.getvalue().strip()
    assert " INFO feeds.test_logs: refreshed feed " in line
    assert line.endswith("feed_id=f1 url=https://e.com/")


def test_log_format_setting(monkeypatch):
    monkeypatch.delenv("FEEDS_LOG_FORMAT", raising=False)

    assert Settings().log_format == "plain"
    assert Settings(log_format=" JSON ").log_format == "json"

    with pytest.raises(ValidationError) as raised:
        Settings(log_format="xml")

    assert "'plain' or 'json'" in str(raised.value)


def test_log_format_from_environment(monkeypatch):
    monkeypatch.setenv("FEEDS_LOG_FORMAT", "json")

    assert Settings().log_format == "json"


def es256_shaped_token() -> str:
    """Build an ES256 token that names a JWKS key and has a fake signature."""
    segments = [
        {"alg": "ES256", "typ": "JWT", "kid": "key-1"},
        {"sub": str(uuid.uuid4()), "aud": "authenticated"},
    ]
    encoded = [
        base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")
        for part in segments
    ]
    return ".".join([*encoded, "c2lnbmF0dXJl"])


def test_request_id_in_request_log_lines(log_stream):
    # The JWKS module logs its failed fetch without passing a request id.
    jwks_url = f"http://127.0.0.1:{free_port()}/jwks.json"
    settings = configure(log_stream, log_format="json", jwks_url=jwks_url)
    client = TestClient(create_app(settings, UnusablePool()))

    result = client.simulate_get(
        "/api/feeds",
        headers={
            "Authorization": f"Bearer {es256_shaped_token()}",
            "X-Request-ID": "req-42",
        },
    )
    logger.info("after the request")

    assert result.status_code == 401
    assert result.headers["X-Request-ID"] == "req-42"
    entries = {entry["message"]: entry for entry in json_lines(log_stream)}
    assert entries["JWKS fetch failed"]["request_id"] == "req-42"
    assert entries["JWKS fetch failed"]["url"] == jwks_url
    assert entries["rejected bearer token"]["request_id"] == "req-42"
    assert "request_id" not in entries["after the request"]


def test_generated_request_id_in_plain_lines(log_stream):
    settings = configure(log_stream)
    client = TestClient(create_app(settings, UnusablePool()))

    result = client.simulate_get("/api/feeds", headers={"Authorization": "Bearer x"})

    request_id = result.headers["X-Request-ID"]
    assert result.status_code == 401
    assert f"request_id={request_id}" in log_stream.getvalue()


def test_no_extra_field_overwrites_log_record():
    """logging raises KeyError for such a field, but only when the line is emitted."""
    reserved = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
    clashes = []
    for path in (Path(__file__).resolve().parent.parent / "feeds").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                if keyword.arg != "extra" or not isinstance(keyword.value, ast.Dict):
                    continue
                for key in keyword.value.keys:
                    if isinstance(key, ast.Constant) and key.value in reserved:
                        clashes.append(f"{path.name}:{node.lineno} {key.value}")

    assert clashes == []
