"""Parse JSON bodies and query strings into the request models of schemas.py."""

import json
from typing import Any, TypeVar

import falcon
from pydantic import BaseModel, ValidationError

from feeds.api.errors import InvalidRequest

MAX_BODY_BYTES = 64 * 1024

Model = TypeVar("Model", bound=BaseModel)


def parse_body(req: falcon.Request, model: type[Model]) -> Model:
    """Validate the request's JSON object body against ``model``.

    Raises 415 unless the Content-Type is JSON, 413 for a body over
    MAX_BODY_BYTES, 400 for a body that is not a JSON object, and 422 listing
    every invalid field.
    """
    _require_json_content_type(req)
    data = _read_json_object(req)
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise InvalidRequest(field_errors(error)) from None


def parse_query(req: falcon.Request, model: type[Model]) -> Model:
    """Validate the query string against ``model``, raising 422 for bad parameters.

    A parameter given more than once arrives as a list and fails validation.
    """
    try:
        return model.model_validate(req.params)
    except ValidationError as error:
        raise InvalidRequest(field_errors(error)) from None


def field_errors(error: ValidationError) -> list[dict[str, str | None]]:
    """Turn pydantic's errors into ``{"field", "message"}`` items."""
    return [_field_error(item) for item in error.errors(include_url=False)]


def _field_error(item: dict[str, Any]) -> dict[str, str | None]:
    field = ".".join(str(part) for part in item["loc"]) or None

    if item["type"] == "extra_forbidden":
        message = "unknown field"
    elif item["type"] == "value_error":
        message = str(item["ctx"]["error"])
    else:
        message = item["msg"]
    return {"field": field, "message": message}


def _require_json_content_type(req: falcon.Request) -> None:
    media_type = (req.content_type or "").split(";")[0].strip().lower()
    if media_type == falcon.MEDIA_JSON or media_type.endswith("+json"):
        return
    raise falcon.HTTPUnsupportedMediaType(
        title="Unsupported media type",
        description="Send the body as JSON with Content-Type: application/json.",
    )


def _read_json_object(req: falcon.Request) -> dict[str, Any]:
    if req.content_length is not None and req.content_length > MAX_BODY_BYTES:
        raise _body_too_large()
    raw = req.bounded_stream.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise _body_too_large()

    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        # ValueError covers syntax errors, undecodable bytes and integers longer
        # than Python's digit limit. RecursionError covers deep nesting.
        raise falcon.HTTPBadRequest(
            title="Malformed JSON", description="The request body is not valid JSON."
        ) from None

    if not isinstance(data, dict):
        raise falcon.HTTPBadRequest(
            title="Invalid body", description="The request body must be a JSON object."
        )
    return data


def _body_too_large() -> falcon.HTTPContentTooLarge:
    return falcon.HTTPContentTooLarge(
        title="Request body too large",
        description=f"The request body must be at most {MAX_BODY_BYTES} bytes.",
    )
