"""Bearer tokens for the API tests, signed like the reader app signs them."""

import base64
import json
import time
import uuid

import jwt

from tests.conftest import JWT_SECRET

AUDIENCE = "authenticated"


def make_token(
    subject: object | None,
    *,
    secret: str = JWT_SECRET,
    audience: str | None = AUDIENCE,
    expires_in: float | None = 3600,
    algorithm: str = "HS256",
    **claims: object,
) -> str:
    """Sign a JWT. A None subject, audience or expires_in leaves that claim out."""
    payload = {"iat": int(time.time()), **claims}
    if subject is not None:
        payload["sub"] = str(subject)
    if audience is not None:
        payload["aud"] = audience
    if expires_in is not None:
        payload["exp"] = int(time.time() + expires_in)
    return jwt.encode(payload, secret, algorithm=algorithm)


def unsigned_token(subject: object) -> str:
    """Build a token with ``alg: none`` and an empty signature."""
    header = {"alg": "none", "typ": "JWT"}
    payload = {"sub": str(subject), "aud": AUDIENCE, "exp": int(time.time() + 3600)}
    return f"{_encode_segment(header)}.{_encode_segment(payload)}."


def auth_headers(user_id: uuid.UUID) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(user_id)}"}


def _encode_segment(data: dict) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
