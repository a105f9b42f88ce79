"""compose.yaml cannot run here (no container engine), so check it statically."""

from pathlib import Path

import pytest
import yaml

from feeds.cli import _build_parser

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_has_the_four_services(compose):
    assert set(compose["services"]) == {"postgres", "migrate", "api", "worker"}


def test_postgres_has_health_check(compose):
    health = compose["services"]["postgres"]["healthcheck"]
    assert "pg_isready" in " ".join(health["test"])


def test_migrate_waits_for_healthy_postgres(compose):
    migrate = compose["services"]["migrate"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert migrate["command"] == ["feeds", "migrate"]


@pytest.mark.parametrize("service", ["api", "worker"])
def test_services_start_after_migration(compose, service):
    depends = compose["services"][service]["depends_on"]
    assert depends["migrate"]["condition"] == "service_completed_successfully"


@pytest.mark.parametrize("service", ["migrate", "api", "worker"])
def test_service_commands_parse(compose, service):
    command = compose["services"][service]["command"]
    assert command[0] == "feeds"
    _build_parser().parse_args(command[1:])


@pytest.mark.parametrize("service", ["migrate", "api", "worker"])
def test_services_configured_by_environment(compose, service):
    environment = compose["services"][service]["environment"]
    assert environment["DATABASE_URL"].startswith("postgresql://")
    assert "FEEDS_JWT_SECRET" in environment


def test_dockerfile_installs_the_project():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "COPY migrations" in dockerfile
    assert "pip install" in dockerfile
