import importlib
import os
import uuid
from pathlib import Path

import pytest

from feeds.db import connect, create_pool
from feeds.fetch import Fetcher
from feeds.refresh import Refresher
from feeds.settings import Settings, get_settings
from tests import pg
from tests.feedserver import FeedServer

REPO_ROOT = Path(__file__).resolve().parent.parent
# Feed test data (a corpus of real feeds and small cases) lives beside the
# checkout; FEEDS_TEST_DATA names another place.
SHARED_FEEDS = Path(
    os.environ.get("FEEDS_TEST_DATA", REPO_ROOT.parent / "shared" / "feeds")
)
JWT_SECRET = "test-secret-at-least-32-bytes-long-0123456789"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Stop at once when the feed test data is missing, instead of skipping."""
    if not (SHARED_FEEDS / "corpus").is_dir() or not (SHARED_FEEDS / "cases").is_dir():
        raise pytest.UsageError(
            f"feed test data not found at {SHARED_FEEDS}: put the shared feeds "
            "folder beside the checkout or set FEEDS_TEST_DATA"
        )


@pytest.fixture(scope="session")
def pg_server():
    admin_url, server = pg.server_url()
    template = pg.create_template(admin_url)
    yield admin_url, template
    pg.drop(admin_url, template)
    del server


@pytest.fixture
def database_url(pg_server):
    """A freshly migrated database of its own for one test."""
    admin_url, template = pg_server
    name = pg.clone(admin_url, template)
    yield pg.database_url(admin_url, name)
    pg.drop(admin_url, name)


@pytest.fixture
def settings(database_url) -> Settings:
    return Settings(
        DATABASE_URL=database_url,
        jwt_secret=JWT_SECRET,
        allow_private_addresses=True,
        domain_interval_seconds=0.0,
        connect_timeout_seconds=2.0,
        read_timeout_seconds=3.0,
        total_timeout_seconds=5.0,
        refresh_time_limit_seconds=15.0,
    )


@pytest.fixture
def conn(settings):
    """An autocommit connection to the test database."""
    with connect(settings, autocommit=True) as connection:
        yield connection


@pytest.fixture
def pool(settings):
    db_pool = create_pool(settings, name="feeds-test")
    db_pool.wait()
    yield db_pool
    db_pool.close()


@pytest.fixture
def refresher(settings, pool):
    """The refresh pipeline of a worker, without Dramatiq."""
    with Fetcher(settings) as fetcher:
        yield Refresher(settings, pool, fetcher)


@pytest.fixture
def feed_server():
    server = FeedServer().start()
    yield server
    server.stop()


@pytest.fixture
def user_id() -> uuid.UUID:
    return uuid.uuid4()


@pytest.fixture
def actors_environment(settings, monkeypatch):
    """Let feeds.actors be imported: importing it builds a broker from the env."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def broker(settings, actors_environment):
    module = importlib.import_module("feeds.actors.broker")
    broker = module.build_broker(settings)
    yield broker
    broker.close()
