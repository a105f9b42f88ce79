"""The OpenAPI 3.1 document of the API, generated from the models in schemas.py.

OPERATIONS lists every route once, and app.py registers the same paths. The
document is built once per application and served at GET /openapi.json.
"""

from dataclasses import dataclass
from typing import Any, Literal

import falcon
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from feeds.api import schemas
from feeds.api.opml import MAX_OPML_BYTES, OPML_MEDIA_TYPES

OPENAPI_VERSION = "3.1.0"
REF_TEMPLATE = "#/components/schemas/{model}"
SECURITY_SCHEME = "bearerAuth"
REQUEST_ID_HEADER = {
    "description": "The client's X-Request-ID if it was sane, else a new id",
    "schema": {"type": "string"},
}

ERROR_DESCRIPTIONS = {
    400: "Malformed JSON, or a body that is not a JSON object",
    401: "Missing, malformed, expired or otherwise invalid bearer token",
    404: "The user has no feed with this id",
    409: "The user already subscribes to this URL",
    413: "Request body too large",
    415: "Content-Type is not application/json",
    422: "Invalid fields or query parameters, each named in errors",
    500: "Unexpected error in the service",
    503: "Database unavailable. Retry after Retry-After seconds",
}


@dataclass(frozen=True)
class Operation:
    method: Literal["get", "post", "patch", "delete"]
    path: str
    operation_id: str
    summary: str
    response: type[BaseModel] | None
    status: int = 200
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()
    secured: bool = True
    # A request body that is a document in one of these media types (such as
    # OPML) rather than a JSON ``body`` model.
    document_body: tuple[str, ...] = ()
    # Media type of a success body that is a document rather than JSON.
    document_response: str | None = None
    # Descriptions that replace ERROR_DESCRIPTIONS for this operation.
    error_descriptions: tuple[tuple[int, str], ...] = ()


FEED_PATH = "/api/feeds/{feed_id}"

OPERATIONS = (
    Operation(
        "get", "/api/feeds", "listFeeds", "List the user's feeds", schemas.FeedList
    ),
    Operation(
        "post",
        "/api/feeds",
        "createFeed",
        "Subscribe to a feed and schedule its first refresh now",
        schemas.Feed,
        status=201,
        body=schemas.FeedCreate,
        errors=(409,),
    ),
    Operation("get", FEED_PATH, "getFeed", "Get a feed", schemas.Feed, errors=(404,)),
    Operation(
        "patch",
        FEED_PATH,
        "updateFeed",
        "Change a feed's url, title or refresh interval",
        schemas.Feed,
        body=schemas.FeedUpdate,
        errors=(404, 409),
    ),
    Operation(
        "delete",
        FEED_PATH,
        "deleteFeed",
        "Unsubscribe, deleting the feed's articles and history",
        None,
        status=204,
        errors=(404,),
    ),
    Operation(
        "get",
        FEED_PATH + "/articles",
        "listArticles",
        "List a feed's articles, newest first, one page at a time",
        schemas.ArticlePage,
        query=schemas.ArticlesQuery,
        errors=(404,),
    ),
    Operation(
        "get",
        FEED_PATH + "/runs",
        "listRuns",
        "List a feed's most recent refreshes, newest first",
        schemas.RunList,
        query=schemas.RunsQuery,
        errors=(404,),
    ),
    Operation(
        "post",
        "/api/rss/schedule",
        "scheduleFeed",
        "Schedule a feed's next refresh, creating the feed from feed_url if needed",
        schemas.ScheduleResult,
        body=schemas.ScheduleRequest,
        errors=(404, 409),
    ),
    Operation(
        "post",
        "/api/rss/cancel",
        "cancelFeed",
        "Cancel a feed's scheduled refreshes",
        schemas.CancelResult,
        body=schemas.FeedIdRequest,
        errors=(404,),
    ),
    Operation(
        "post",
        "/api/rss/force-refresh",
        "forceRefresh",
        "Refresh a feed now with manual priority",
        schemas.ForceRefreshResult,
        body=schemas.FeedIdRequest,
        errors=(404,),
    ),
    Operation(
        "post",
        "/api/rss/init",
        "initSchedules",
        "Schedule every feed of the user that has no schedule yet",
        schemas.InitResult,
    ),
    Operation(
        "get",
        "/api/rss/stats",
        "getStats",
        "Count pending and running refreshes and the last 24 hours' results",
        schemas.Stats,
    ),
    Operation(
        "get",
        "/api/opml",
        "exportOpml",
        "Export the user's feeds as an OPML 2.0 document",
        None,
        document_response=OPML_MEDIA_TYPES[0],
    ),
    Operation(
        "post",
        "/api/opml",
        "importOpml",
        "Subscribe to every feed of an OPML 1.0 or 2.0 document in one "
        "transaction, reporting each outline with its line",
        schemas.OpmlImportResult,
        document_body=OPML_MEDIA_TYPES,
        error_descriptions=(
            (400, "The document is not well-formed OPML or has a DOCTYPE"),
            (413, f"The document is larger than {MAX_OPML_BYTES} bytes"),
            (415, f"Content-Type is not one of {', '.join(OPML_MEDIA_TYPES)}"),
        ),
    ),
    Operation(
        "get",
        "/healthz",
        "getHealth",
        "Liveness probe; does not touch the database",
        schemas.Health,
        secured=False,
    ),
    Operation(
        "get",
        "/readyz",
        "getReadiness",
        "Readiness probe: the database answers and every migration is applied",
        schemas.Readiness,
        secured=False,
    ),
    Operation(
        "get",
        "/openapi.json",
        "getOpenApi",
        "This OpenAPI document",
        None,
        secured=False,
    ),
)

REQUEST_MODELS = (
    schemas.FeedCreate,
    schemas.FeedUpdate,
    schemas.ScheduleRequest,
    schemas.FeedIdRequest,
)
RESPONSE_MODELS = (
    schemas.Feed,
    schemas.FeedList,
    schemas.ArticlePage,
    schemas.RunList,
    schemas.ScheduleResult,
    schemas.CancelResult,
    schemas.ForceRefreshResult,
    schemas.InitResult,
    schemas.Stats,
    schemas.Health,
    schemas.Readiness,
    schemas.Error,
    schemas.OpmlImportResult,
)


def build_document() -> dict[str, Any]:
    """Build the OpenAPI document from OPERATIONS and the pydantic models."""
    refs, component_schemas = _component_schemas()

    paths: dict[str, dict[str, Any]] = {}
    for operation in OPERATIONS:
        item = paths.setdefault(operation.path, {})
        item[operation.method] = _operation(operation, refs)

    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "feeds",
            "version": "0.1.0",
            "description": "Manage RSS and Atom subscriptions and schedule their "
            "refreshes. A user only sees their own feeds: another user's feed id "
            "answers 404 like an unknown id.",
        },
        "paths": paths,
        "components": {
            "schemas": component_schemas,
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "HS256 JWT with exp, the configured aud, and "
                    "the user's UUID as sub",
                }
            },
        },
    }


def _component_schemas() -> tuple[dict[type[BaseModel], dict], dict[str, Any]]:
    """Return a $ref per model, and every model's schema keyed by name."""
    inputs = [(model, "validation") for model in REQUEST_MODELS]
    outputs = [(model, "serialization") for model in RESPONSE_MODELS]
    keyed, top = models_json_schema(inputs + outputs, ref_template=REF_TEMPLATE)

    refs = {model: schema for (model, _mode), schema in keyed.items()}
    return refs, top["$defs"]


def _operation(operation: Operation, refs: dict) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "parameters": _parameters(operation),
        "responses": _responses(operation, refs),
    }
    if operation.body is not None:
        spec["requestBody"] = {
            "required": True,
            "content": {falcon.MEDIA_JSON: {"schema": refs[operation.body]}},
        }
    if operation.document_body:
        document = {"schema": {"type": "string"}}
        spec["requestBody"] = {
            "required": True,
            "content": {media: document for media in operation.document_body},
        }
    if operation.secured:
        spec["security"] = [{SECURITY_SCHEME: []}]
    else:
        spec["security"] = []
    return spec


def _parameters(operation: Operation) -> list[dict[str, Any]]:
    parameters = []
    if "{feed_id}" in operation.path:
        parameters.append(
            {
                "name": "feed_id",
                "in": "path",
                "required": True,
                "description": "Feed id. A value that is not a UUID gets 404",
                "schema": {"type": "string", "format": "uuid"},
            }
        )

    if operation.query is not None:
        query_schema = operation.query.model_json_schema(ref_template=REF_TEMPLATE)
        required = set(query_schema.get("required", ()))
        for name, schema in query_schema["properties"].items():
            parameters.append(
                {
                    "name": name,
                    "in": "query",
                    "required": name in required,
                    "description": schema.get("description", ""),
                    "schema": schema,
                }
            )
    return parameters


def _responses(operation: Operation, refs: dict) -> dict[str, Any]:
    responses: dict[str, Any] = {str(operation.status): _success(operation, refs)}

    for status in _error_statuses(operation):
        responses[str(status)] = _error_response(status, refs)

    if operation.path == "/readyz":
        responses["503"] = {
            "description": "Not ready, and reason gives the cause",
            "content": {falcon.MEDIA_JSON: {"schema": refs[schemas.Readiness]}},
        }

    for status, description in operation.error_descriptions:
        responses[str(status)]["description"] = description

    for response in responses.values():
        response.setdefault("headers", {})["X-Request-ID"] = REQUEST_ID_HEADER
    return responses


def _success(operation: Operation, refs: dict) -> dict[str, Any]:
    if operation.status == 204:
        return {"description": "Done; no content"}
    if operation.document_response is not None:
        document = {"schema": {"type": "string"}}
        return {
            "description": operation.summary,
            "content": {operation.document_response: document},
        }

    if operation.response is None:
        schema: dict[str, Any] = {"type": "object"}
    else:
        schema = refs[operation.response]
    return {
        "description": operation.summary,
        "content": {falcon.MEDIA_JSON: {"schema": schema}},
    }


def _error_statuses(operation: Operation) -> list[int]:
    statuses = set(operation.errors)
    if operation.secured:
        statuses.update((401, 500, 503))
    if operation.body is not None:
        statuses.update((400, 413, 415, 422))
    if operation.document_body:
        statuses.update((400, 413, 415))
    if operation.query is not None:
        statuses.add(422)
    return sorted(statuses)


def _error_response(status: int, refs: dict) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": ERROR_DESCRIPTIONS[status],
        "content": {falcon.MEDIA_JSON: {"schema": refs[schemas.Error]}},
    }
    if status == 401:
        response["headers"] = {
            "WWW-Authenticate": {
                "description": "Bearer challenge",
                "schema": {"type": "string"},
            }
        }
    if status == 503:
        response["headers"] = {
            "Retry-After": {
                "description": "Seconds to wait before retrying",
                "schema": {"type": "integer"},
            }
        }
    return response


class OpenApiDocument:
    """GET /openapi.json"""

    def __init__(self) -> None:
        self._document = build_document()

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._document
