"""Bearer token authentication of every /api route.

Tokens are HS256 JWTs that the reader app signs with settings.jwt_secret.
Each carries the configured audience, an ``exp`` claim and the user's UUID as
``sub``.
"""

import logging
import uuid

import falcon
import jwt

from feeds.settings import Settings

logger = logging.getLogger(__name__)

PROTECTED_PREFIX = "/api/"
ALGORITHMS = ["HS256"]
REQUIRED_CLAIMS = ["exp", "sub", "aud"]


class InvalidToken(Exception):
    """The bearer token is missing, malformed or fails verification."""


def user_id_from_token(token: str, settings: Settings) -> uuid.UUID:
    """Verify the token and return its subject, or raise InvalidToken."""
    if not settings.jwt_secret:
        raise InvalidToken("no JWT secret is configured")

    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=ALGORITHMS,
            audience=settings.jwt_audience,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.InvalidTokenError as error:
        raise InvalidToken(type(error).__name__) from None

    try:
        return uuid.UUID(claims["sub"])
    except (AttributeError, TypeError, ValueError):
        raise InvalidToken("sub is not a UUID") from None


class AuthMiddleware:
    """Reject requests under /api/ without a valid bearer token with 401.

    On success ``req.context.user_id`` is the token's user id. The check runs
    before routing, so a request for an unknown /api path without a token
    also gets 401.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        if not settings.jwt_secret:
            logger.warning("no JWT secret is configured, so every /api request fails")

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        if not (req.path + "/").startswith(PROTECTED_PREFIX):
            return

        token = _bearer_token(req)
        try:
            req.context.user_id = user_id_from_token(token, self._settings)
        except InvalidToken as error:
            logger.info(
                "rejected bearer token",
                extra={"request_id": req.context.request_id, "reason": str(error)},
            )
            raise _unauthorized("The bearer token is invalid or expired.") from None


def _bearer_token(req: falcon.Request) -> str:
    header = req.get_header("Authorization")
    if not header:
        raise _unauthorized("Send an Authorization: Bearer <token> header.")

    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("The Authorization header must use the Bearer scheme.")
    return token


def _unauthorized(description: str) -> falcon.HTTPUnauthorized:
    return falcon.HTTPUnauthorized(
        title="Authentication required",
        description=description,
        challenges=["Bearer"],
    )
