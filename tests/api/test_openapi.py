import pytest

from feeds.api.openapi import build_document

# Every route the application serves, with its methods.
ROUTES = {
    "/api/feeds": {"get", "post"},
    "/api/feeds/{feed_id}": {"get", "patch", "delete"},
    "/api/feeds/{feed_id}/articles": {"get"},
    "/api/feeds/{feed_id}/runs": {"get"},
    "/api/rss/schedule": {"post"},
    "/api/rss/cancel": {"post"},
    "/api/rss/force-refresh": {"post"},
    "/api/rss/init": {"post"},
    "/api/rss/stats": {"get"},
    "/api/opml": {"get", "post"},
    "/healthz": {"get"},
    "/readyz": {"get"},
    "/openapi.json": {"get"},
}
SCHEMAS = {
    "Feed",
    "FeedCreate",
    "FeedUpdate",
    "FeedList",
    "Article",
    "ArticlePage",
    "Run",
    "RunList",
    "ScheduleRequest",
    "ScheduleResult",
    "FeedIdRequest",
    "CancelResult",
    "ForceRefreshResult",
    "InitResult",
    "Stats",
    "Health",
    "Readiness",
    "Error",
    "FieldError",
    "OpmlImportResult",
    "OpmlEntry",
}


@pytest.fixture
def document(client) -> dict:
    result = client.simulate_get("/openapi.json")
    assert result.status_code == 200
    return result.json


def collect_refs(node: object) -> list[str]:
    if isinstance(node, dict):
        refs = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        for value in node.values():
            refs.extend(collect_refs(value))
        return refs
    if isinstance(node, list):
        return [ref for item in node for ref in collect_refs(item)]
    return []


def test_openapi_version(document):
    assert document["openapi"].startswith("3.1")
    assert document["info"]["title"] == "feeds"


def test_openapi_lists_every_route(document):
    paths = {path: set(item) for path, item in document["paths"].items()}

    assert paths == ROUTES


def test_openapi_lists_schemas(document):
    assert SCHEMAS <= set(document["components"]["schemas"])


def test_openapi_refs_resolve(document):
    refs = collect_refs(document)
    names = set(document["components"]["schemas"])

    assert refs
    for ref in refs:
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in names, ref


def test_openapi_security(document):
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert scheme == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": scheme["description"],
    }

    for path, item in document["paths"].items():
        for method, operation in item.items():
            secured = operation["security"] == [{"bearerAuth": []}]
            assert secured == path.startswith("/api/"), (method, path)
            if secured:
                assert "401" in operation["responses"], (method, path)


def test_openapi_error_responses(document):
    error_ref = {"$ref": "#/components/schemas/Error"}
    create = document["paths"]["/api/feeds"]["post"]

    for status in ("400", "401", "409", "415", "422", "503"):
        content = create["responses"][status]["content"]["application/json"]
        assert content["schema"] == error_ref, status
    assert "Retry-After" in create["responses"]["503"]["headers"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/FeedCreate"}
    assert create["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Feed"
    }


def test_openapi_feed_create_constraints(document):
    schema = document["components"]["schemas"]["FeedCreate"]

    assert schema["required"] == ["url"]
    assert schema["additionalProperties"] is False
    interval = schema["properties"]["refresh_interval"]
    assert interval["minimum"] == 1
    assert interval["maximum"] == 10080
    assert interval["default"] == 60
    assert schema["properties"]["url"]["maxLength"] == 2048


def test_openapi_parameters(document):
    articles = document["paths"]["/api/feeds/{feed_id}/articles"]["get"]
    parameters = {(p["in"], p["name"]): p for p in articles["parameters"]}

    assert set(parameters) == {
        ("path", "feed_id"),
        ("query", "limit"),
        ("query", "cursor"),
    }
    assert parameters[("path", "feed_id")]["schema"]["format"] == "uuid"
    assert parameters[("query", "limit")]["schema"]["maximum"] == 200
    assert parameters[("query", "limit")]["schema"]["default"] == 50
    assert "422" in articles["responses"]
    assert "404" in articles["responses"]


def test_openapi_operation_ids_unique(document):
    ids = [
        operation["operationId"]
        for item in document["paths"].values()
        for operation in item.values()
    ]

    assert len(ids) == len(set(ids))


def test_openapi_matches_app_routes(client, headers):
    """Check that the application routes every documented path and method."""
    feed_id = "00000000-0000-4000-8000-000000000000"
    for path, methods in build_document()["paths"].items():
        concrete = path.replace("{feed_id}", feed_id)
        for method in methods:
            result = client.simulate_request(method.upper(), concrete, headers=headers)
            assert result.status_code != 405, (method, path)
            if "{feed_id}" not in path:
                assert result.status_code != 404, (method, path)
