"""Fixtures of the security tests.

Each test module gets one database, shared by its tests, because most cases
must change nothing and the ones that do change only the attacker's rows.
"""

import pytest
from falcon.testing import TestClient

from feeds.api.app import create_app
from feeds.db import connect, create_pool
from feeds.settings import Settings
from tests import pg
from tests.conftest import JWT_SECRET
from tests.security.live import LiveServer
from tests.security.report import summary_lines
from tests.security.seed import seed_user


@pytest.fixture(scope="module")
def module_settings(pg_server) -> Settings:
    admin_url, template = pg_server
    name = pg.clone(admin_url, template)
    yield Settings(DATABASE_URL=pg.database_url(admin_url, name), jwt_secret=JWT_SECRET)
    pg.drop(admin_url, name)


@pytest.fixture(scope="module")
def module_conn(module_settings):
    """An autocommit connection to the module's database."""
    with connect(module_settings, autocommit=True) as connection:
        yield connection


@pytest.fixture(scope="module")
def module_client(module_settings) -> TestClient:
    db_pool = create_pool(module_settings, name="feeds-security")
    db_pool.wait()
    yield TestClient(create_app(module_settings, db_pool))
    db_pool.close()


@pytest.fixture(scope="module")
def victim(module_conn):
    """A user whose rows no other user may read or change."""
    return seed_user(module_conn, "victim")


@pytest.fixture(scope="module")
def attacker(module_conn):
    """The user whose valid token the tests send."""
    return seed_user(module_conn, "attacker")


@pytest.fixture(scope="module")
def live_server(module_settings, tmp_path_factory):
    """gunicorn serving feeds.api.wsgi:app on a free loopback port."""
    folder = tmp_path_factory.mktemp("gunicorn")
    with LiveServer(module_settings.database_url, JWT_SECRET, folder) as server:
        yield server


def pytest_terminal_summary(terminalreporter, config) -> None:
    lines = summary_lines(config)
    if lines:
        terminalreporter.section("security test figures")
    for line in lines:
        terminalreporter.write_line(line)
