"""Fixtures of the fetcher tests: a local feed server and a permissive fetcher."""

import pytest

from feeds.fetch import Fetcher
from feeds.settings import Settings
from tests.feedserver import FeedServer


@pytest.fixture(scope="session")
def shared_server():
    feed_server = FeedServer().start()
    yield feed_server
    feed_server.stop()


@pytest.fixture
def server(shared_server):
    """The session's feed server with no routes and no recorded requests."""
    shared_server.reset()
    return shared_server


@pytest.fixture
def settings() -> Settings:
    """Settings that reach 127.0.0.1 and keep every wait short."""
    return Settings(
        allow_private_addresses=True,
        connect_timeout_seconds=2.0,
        read_timeout_seconds=2.0,
        total_timeout_seconds=5.0,
        max_feed_bytes=1024 * 1024,
    )


@pytest.fixture
def strict_settings(settings) -> Settings:
    """The same settings with the address policy of production."""
    return settings.model_copy(update={"allow_private_addresses": False})


@pytest.fixture
def fetcher(settings):
    with Fetcher(settings) as shared_fetcher:
        yield shared_fetcher
