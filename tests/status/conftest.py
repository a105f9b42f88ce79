import pytest
from falcon.testing import TestClient

from feeds.api.app import create_app

ADMIN_TOKEN = "status-admin-token-0123456789abcdef"


@pytest.fixture
def admin_settings(settings):
    return settings.model_copy(update={"admin_token": ADMIN_TOKEN})


@pytest.fixture
def client(admin_settings, pool) -> TestClient:
    return TestClient(create_app(admin_settings, pool))


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
