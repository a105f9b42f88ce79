import logging

import psycopg
import pytest
from falcon.testing import TestClient

from feeds import subscriptions
from feeds.api.app import create_app
from feeds.db import create_pool


def test_database_unreachable_503(settings, unreachable_pool, headers, caplog):
    client = TestClient(create_app(settings, unreachable_pool))

    with caplog.at_level(logging.ERROR, logger="feeds.api.errors"):
        result = client.simulate_get("/api/feeds", headers=headers)

    assert result.status_code == 503
    assert result.headers["Retry-After"] == "5"
    assert result.headers["Content-Type"] == "application/json"
    assert result.json == {
        "title": "Database unavailable",
        "description": "The database cannot be reached. Retry later.",
    }
    assert "Traceback" not in result.text
    records = [r for r in caplog.records if r.message == "database unavailable"]
    assert len(records) == 1
    assert records[0].exc_info is not None
    assert records[0].request_id == result.headers["X-Request-ID"]


def test_closed_pool_503(settings, headers):
    closed = create_pool(settings, name="closed")
    closed.close()
    client = TestClient(create_app(settings, closed))

    result = client.simulate_post(
        "/api/feeds", json={"url": "https://example.com/"}, headers=headers
    )

    assert result.status_code == 503
    assert "Retry-After" in result.headers


def test_operational_error_mid_request_503(client, headers, monkeypatch):
    def lose_connection(*args, **kwargs):
        raise psycopg.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(subscriptions, "list_feeds", lose_connection)

    result = client.simulate_get("/api/feeds", headers=headers)

    assert result.status_code == 503


def test_unexpected_error_500(client, headers, monkeypatch, caplog):
    def explode(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(subscriptions, "list_feeds", explode)

    with caplog.at_level(logging.ERROR, logger="feeds.api.errors"):
        result = client.simulate_get("/api/feeds", headers=headers)

    assert result.status_code == 500
    assert result.json["title"] == "Internal server error"
    assert "secret internal detail" not in result.text
    assert "Traceback" not in result.text
    assert "X-Request-ID" in result.headers
    records = [r for r in caplog.records if r.message == "unexpected error"]
    assert len(records) == 1
    assert records[0].exc_info[0] is RuntimeError


def test_write_rolled_back_on_error(client, headers, conn, monkeypatch):
    def fail_after_insert(*args, **kwargs):
        raise RuntimeError("failed after the insert")

    monkeypatch.setattr(subscriptions, "get_feed", fail_after_insert)

    result = client.simulate_post(
        "/api/feeds", json={"url": "https://example.com/"}, headers=headers
    )

    assert result.status_code == 500
    assert conn.execute("SELECT count(*) AS n FROM feeds").fetchone()["n"] == 0


def test_request_id_generated(client):
    first = client.simulate_get("/healthz").headers["X-Request-ID"]
    second = client.simulate_get("/healthz").headers["X-Request-ID"]

    assert first
    assert first != second


def test_request_id_echoed(client, headers):
    result = client.simulate_get(
        "/api/feeds", headers={**headers, "X-Request-ID": "abc-123.def"}
    )

    assert result.headers["X-Request-ID"] == "abc-123.def"


@pytest.mark.parametrize("incoming", ["x" * 129, "two words", "semi;colon", "é"])
def test_request_id_replaced_when_not_sane(client, incoming):
    result = client.simulate_get("/healthz", headers={"X-Request-ID": incoming})

    assert result.headers["X-Request-ID"] != incoming
    assert len(result.headers["X-Request-ID"]) == 32


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nothing"), ("PUT", "/api/feeds"), ("POST", "/healthz")],
)
def test_routing_errors_are_json(client, headers, method, path):
    result = client.simulate_request(method, path, headers=headers)

    assert result.status_code in (404, 405)
    assert result.headers["Content-Type"] == "application/json"
    assert "title" in result.json
    assert "X-Request-ID" in result.headers
