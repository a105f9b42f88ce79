"""Bearer tokens in the reader app's format (Supabase-style HS256 JWTs)."""

import time
import uuid

import jwt

DEFAULT_TOKEN_LIFETIME_SECONDS = 30 * 24 * 3600


def sign_token(
    user_id: uuid.UUID,
    *,
    secret: str,
    audience: str,
    lifetime_seconds: int = DEFAULT_TOKEN_LIFETIME_SECONDS,
) -> str:
    """Sign a token whose subject is ``user_id``."""
    now = int(time.time())
    claims = {
        "sub": str(user_id),
        "aud": audience,
        "role": "authenticated",
        "iat": now,
        "exp": now + lifetime_seconds,
    }
    return jwt.encode(claims, secret, algorithm="HS256")
