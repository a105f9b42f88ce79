"""Error responses: every error is a JSON ``Error`` body, never a traceback."""

import logging

import falcon
import psycopg

from feeds.errors import FeedExists, FeedNotFound

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


class InvalidRequest(falcon.HTTPUnprocessableEntity):
    """A 422 response that lists every invalid field."""

    def __init__(self, errors: list[dict[str, str | None]]) -> None:
        super().__init__(
            title="Invalid request",
            description="One or more fields are invalid. The errors list names each.",
        )
        self.errors = errors

    def to_dict(self, obj_type: type = dict) -> dict:
        body = super().to_dict(obj_type)
        body["errors"] = self.errors
        return body


def register_error_handlers(app: falcon.App) -> None:
    """Map the service's exceptions to status codes and render errors as JSON."""
    app.set_error_serializer(_serialize_error)
    app.add_error_handler(FeedNotFound, _feed_not_found)
    app.add_error_handler(FeedExists, _feed_exists)
    app.add_error_handler(psycopg.OperationalError, _database_unavailable)
    app.add_error_handler(Exception, _unexpected_error)


def request_id_of(req: falcon.Request) -> str | None:
    return getattr(req.context, "request_id", None)


def _serialize_error(
    req: falcon.Request, resp: falcon.Response, error: falcon.HTTPError
) -> None:
    resp.media = error.to_dict()
    resp.content_type = falcon.MEDIA_JSON


def _feed_not_found(
    req: falcon.Request, resp: falcon.Response, error: FeedNotFound, params: dict
) -> None:
    raise falcon.HTTPNotFound(
        title="Feed not found", description=f"No feed with id {error.feed_id}."
    )


def _feed_exists(
    req: falcon.Request, resp: falcon.Response, error: FeedExists, params: dict
) -> None:
    raise falcon.HTTPConflict(
        title="Feed already exists",
        description=f"You already subscribe to {error.url}.",
    )


def _database_unavailable(
    req: falcon.Request,
    resp: falcon.Response,
    error: psycopg.OperationalError,
    params: dict,
) -> None:
    # Covers lost connections, a server that refuses connections, and the
    # pool's PoolTimeout and PoolClosed, which subclass OperationalError.
    logger.error(
        "database unavailable",
        exc_info=error,
        extra={"request_id": request_id_of(req), "path": req.path},
    )
    raise falcon.HTTPServiceUnavailable(
        title="Database unavailable",
        description="The database cannot be reached. Retry later.",
        retry_after=RETRY_AFTER_SECONDS,
    )


def _unexpected_error(
    req: falcon.Request, resp: falcon.Response, error: Exception, params: dict
) -> None:
    logger.error(
        "unexpected error",
        exc_info=error,
        extra={"request_id": request_id_of(req), "path": req.path},
    )
    raise falcon.HTTPInternalServerError(
        title="Internal server error",
        description="The request failed because of an error in the service.",
    )
