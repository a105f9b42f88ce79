"""compose.yaml cannot run here (no container engine), so check it statically."""

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from feeds.cli import _build_parser

ROOT = Path(__file__).resolve().parent.parent
# The Compose Specification's JSON schema (draft-07), as the pinned npm package
# dclint ships it. `npm ci` in clients/typescript installs it.
COMPOSE_SCHEMA = (
    ROOT / "clients/typescript/node_modules/dclint/schemas/compose.schema.json"
)


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


@pytest.fixture(scope="module")
def compose_validator() -> jsonschema.Draft7Validator:
    if not COMPOSE_SCHEMA.is_file():
        pytest.fail(
            f"the Compose schema is missing at {COMPOSE_SCHEMA}: run `npm ci` in "
            "clients/typescript (make test-deps does it)",
            pytrace=False,
        )
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    assert "draft-07" in schema["$schema"]
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_compose_matches_compose_schema(compose, compose_validator):
    errors = [
        f"{error.json_path}: {error.message}"
        for error in compose_validator.iter_errors(compose)
    ]

    assert errors == []


def test_compose_schema_rejects_unknown_condition(compose, compose_validator):
    broken = yaml.safe_load((ROOT / "compose.yaml").read_text())
    broken["services"]["api"]["depends_on"]["migrate"]["condition"] = "finished"

    assert not compose_validator.is_valid(broken)
