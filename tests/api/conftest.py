import uuid

import pytest
from falcon.testing import TestClient

from feeds.api import database, health
from feeds.api.app import create_app
from feeds.db import create_pool
from tests.api.helpers import free_port
from tests.api.tokens import auth_headers


@pytest.fixture
def client(settings, pool) -> TestClient:
    return TestClient(create_app(settings, pool))


@pytest.fixture
def unreachable_pool(settings, monkeypatch):
    """A real pool for a loopback port with no server, and a short wait."""
    monkeypatch.setattr(database, "POOL_TIMEOUT_SECONDS", 0.5)
    monkeypatch.setattr(health, "READINESS_TIMEOUT_SECONDS", 0.5)
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/feeds"
    db_pool = create_pool(settings.model_copy(update={"database_url": url}), name="t")
    yield db_pool
    db_pool.close()


@pytest.fixture
def headers(user_id) -> dict[str, str]:
    return auth_headers(user_id)


@pytest.fixture
def other_user_id() -> uuid.UUID:
    return uuid.uuid4()


@pytest.fixture
def other_headers(other_user_id) -> dict[str, str]:
    return auth_headers(other_user_id)


@pytest.fixture
def feed(client, headers) -> dict:
    """A feed of ``user_id``, created through the API."""
    result = client.simulate_post(
        "/api/feeds",
        json={"url": "https://example.com/feed.xml", "title": "Example"},
        headers=headers,
    )
    assert result.status_code == 201, result.json
    return result.json
