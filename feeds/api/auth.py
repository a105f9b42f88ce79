"""Bearer token authentication of every /api route.

Tokens are JWTs that the reader app signs either with HS256 and
settings.jwt_secret, or with ES256 or RS256 and a key published at
settings.jwks_url (the header's ``kid`` names it). Each carries the configured
audience, an ``exp`` claim and the user's UUID as ``sub``.

The header's ``alg`` picks the key, and the key accepts only its own
algorithm: HS256 is verified with the secret alone, never with a JWKS key,
and ES256 or RS256 only with a public key of that algorithm. Any other
``alg``, ``none`` included, is rejected.
"""

import logging
import uuid

import falcon
import jwt

from feeds.api.jwks import JwksKeys
from feeds.settings import Settings

logger = logging.getLogger(__name__)

PROTECTED_PREFIX = "/api/"
SECRET_ALGORITHM = "HS256"
JWKS_ALGORITHMS = ("ES256", "RS256")
REQUIRED_CLAIMS = ["exp", "sub", "aud"]


class InvalidToken(Exception):
    """The bearer token is missing, malformed or fails verification."""


def user_id_from_token(
    token: str, settings: Settings, jwks: JwksKeys | None = None
) -> uuid.UUID:
    """Verify the token and return its subject, or raise InvalidToken.

    ``jwks`` contains the keys of settings.jwks_url. Without it only HS256
    tokens can pass.
    """
    algorithm, key = _verification_key(token, settings, jwks)

    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=settings.jwt_audience,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.InvalidTokenError as error:
        raise InvalidToken(type(error).__name__) from None

    try:
        return uuid.UUID(claims["sub"])
    except (AttributeError, TypeError, ValueError):
        raise InvalidToken("sub is not a UUID") from None


def _verification_key(
    token: str, settings: Settings, jwks: JwksKeys | None
) -> tuple[str, str | jwt.PyJWK]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as error:
        raise InvalidToken(type(error).__name__) from None

    algorithm = header.get("alg")
    if algorithm == SECRET_ALGORITHM:
        if not settings.jwt_secret:
            raise InvalidToken("no JWT secret is configured")
        return algorithm, settings.jwt_secret

    if algorithm not in JWKS_ALGORITHMS:
        raise InvalidToken("unsupported alg")
    if jwks is None:
        raise InvalidToken("no JWKS URL is configured")

    kid = header.get("kid")
    key = jwks.key_for(kid, algorithm) if isinstance(kid, str) else None
    if key is None:
        raise InvalidToken("no JWKS key for this kid and alg")
    return algorithm, key


class AuthMiddleware:
    """Reject requests under /api/ without a valid bearer token with 401.

    On success ``req.context.user_id`` is the token's user id. The check runs
    before routing, so a request for an unknown /api path without a token
    also gets 401.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._jwks = JwksKeys(settings.jwks_url) if settings.jwks_url else None
        if not (settings.jwt_secret or settings.jwks_url):
            logger.warning(
                "no JWT secret or JWKS URL is configured, so every /api request fails"
            )

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        if not (req.path + "/").startswith(PROTECTED_PREFIX):
            return

        token = _bearer_token(req)
        try:
            req.context.user_id = user_id_from_token(token, self._settings, self._jwks)
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
