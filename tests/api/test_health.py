from falcon.testing import TestClient

from feeds.api.app import create_app
from feeds.migrate import available_migrations
from tests.api.helpers import UnusablePool


def test_healthz_ok_without_database(settings):
    client = TestClient(create_app(settings, UnusablePool()))

    result = client.simulate_get("/healthz")

    assert result.status_code == 200
    assert result.json == {"status": "ok"}
    assert "X-Request-ID" in result.headers


def test_readyz_ok(client):
    result = client.simulate_get("/readyz")

    assert result.status_code == 200
    assert result.json == {"status": "ok", "reason": None}


def test_readyz_missing_migration_503(client, conn):
    latest = max(migration.version for migration in available_migrations())
    conn.execute("DELETE FROM schema_migrations WHERE version = %s", (latest,))

    result = client.simulate_get("/readyz")

    assert result.status_code == 503
    assert result.json["status"] == "unavailable"
    assert result.json["reason"] == f"migrations not applied: {latest}"


def test_readyz_no_migrations_table_503(client, conn):
    conn.execute("DROP TABLE schema_migrations")

    result = client.simulate_get("/readyz")

    assert result.status_code == 503
    assert result.json["reason"].startswith("migrations not applied: 1, 2")


def test_readyz_database_down_503(settings, unreachable_pool):
    client = TestClient(create_app(settings, unreachable_pool))

    result = client.simulate_get("/readyz")

    assert result.status_code == 503
    assert result.json == {"status": "unavailable", "reason": "database unavailable"}


def test_healthz_ok_with_database_down(settings, unreachable_pool):
    client = TestClient(create_app(settings, unreachable_pool))

    assert client.simulate_get("/healthz").status_code == 200
