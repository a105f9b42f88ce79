"""ES256 and RS256 bearer tokens verified against a JWKS served on loopback."""

import base64
import hashlib
import hmac
import json
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from falcon.testing import TestClient
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from feeds.api import jwks
from feeds.api.app import create_app
from feeds.api.jwks import JwksError, fetch_jwks, parse_jwks
from feeds.settings import Settings
from tests.api.helpers import UnusablePool, free_port
from tests.api.tokens import AUDIENCE, make_token
from tests.conftest import JWT_SECRET
from tests.feedserver import Response

USER = uuid.uuid4()
JWKS_PATH = "/auth/v1/.well-known/jwks.json"


class FakeClock:
    """A monotonic clock that moves only when a test advances it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class SigningKey:
    """A private key and the public JWK that the JWKS publishes for it."""

    def __init__(self, kid: str, algorithm: str, private_key) -> None:
        self.kid = kid
        self.algorithm = algorithm
        self.private_key = private_key
        to_jwk = ECAlgorithm.to_jwk if algorithm == "ES256" else RSAAlgorithm.to_jwk
        self.jwk = {
            **to_jwk(private_key.public_key(), as_dict=True),
            "kid": kid,
            "alg": algorithm,
            "use": "sig",
        }

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )

    def sign(self, subject=USER, *, algorithm: str | None = None, **header) -> str:
        return jwt.encode(
            _claims(subject),
            self.private_key,
            algorithm=algorithm or self.algorithm,
            headers={"kid": self.kid, **header},
        )


def _claims(subject) -> dict:
    now = int(time.time())
    return {"sub": str(subject), "aud": AUDIENCE, "iat": now, "exp": now + 3600}


def ec_key(kid: str) -> SigningKey:
    return SigningKey(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))


def rsa_key(kid: str) -> SigningKey:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return SigningKey(kid, "RS256", private_key)


def hs256_token(secret: bytes, kid: str) -> str:
    """Sign HS256 by hand: PyJWT rejects PEM keys as HMAC secrets."""
    header = {"alg": "HS256", "typ": "JWT", "kid": kid}
    signing_input = f"{_segment(header)}.{_segment(_claims(USER))}"
    digest = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(digest)}"


def unsigned_token(kid: str) -> str:
    header = {"alg": "none", "typ": "JWT", "kid": kid}
    return f"{_segment(header)}.{_segment(_claims(USER))}."


def _segment(data: dict) -> str:
    return _b64(json.dumps(data, separators=(",", ":")).encode())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def ec_signing_key() -> SigningKey:
    return ec_key("ec-1")


@pytest.fixture(scope="module")
def rsa_signing_key() -> SigningKey:
    return rsa_key("rsa-1")


@pytest.fixture
def published(ec_signing_key, rsa_signing_key) -> list[dict]:
    """The JWKs the server publishes; tests change the list to rotate keys."""
    return [ec_signing_key.jwk, rsa_signing_key.jwk]


@pytest.fixture
def jwks_url(feed_server, published) -> str:
    def serve(request) -> Response:
        body = json.dumps({"keys": published}).encode()
        return Response(200, body, {"Content-Type": "application/json"})

    return feed_server.route(JWKS_PATH, serve)


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(jwks, "monotonic", fake)
    return fake


@pytest.fixture
def client(settings, pool, jwks_url, clock) -> TestClient:
    configured = settings.model_copy(update={"jwks_url": jwks_url})
    return TestClient(create_app(configured, pool))


def offline_app(jwks_url: str):
    """Build an app without a database: a token that passes gets 500, not 200."""
    settings = Settings(DATABASE_URL="", jwt_secret=JWT_SECRET, jwks_url=jwks_url)
    return create_app(settings, UnusablePool())


@pytest.fixture
def offline_client(jwks_url, clock) -> TestClient:
    return TestClient(offline_app(jwks_url))


def get_feeds(client: TestClient, token: str):
    return client.simulate_get("/api/feeds", headers=bearer(token))


def jwks_fetches(feed_server) -> int:
    return len(feed_server.requests_for(JWKS_PATH))


def test_es256_token_accepted(client, ec_signing_key):
    result = get_feeds(client, ec_signing_key.sign())

    assert result.status_code == 200, result.json
    assert result.json["feeds"] == []


def test_rs256_token_accepted(client, rsa_signing_key):
    result = get_feeds(client, rsa_signing_key.sign())

    assert result.status_code == 200, result.json


def test_hs256_accepted_beside_jwks(client, feed_server):
    result = get_feeds(client, make_token(USER))

    assert result.status_code == 200
    assert jwks_fetches(feed_server) == 0


def test_keys_cached_between_requests(client, feed_server, ec_signing_key):
    for _ in range(3):
        assert get_feeds(client, ec_signing_key.sign()).status_code == 200

    assert jwks_fetches(feed_server) == 1


def test_unknown_kid_refetches_after_rotation(
    client, feed_server, clock, published, ec_signing_key
):
    assert get_feeds(client, ec_signing_key.sign()).status_code == 200
    rotated = ec_key("ec-2")
    published[:] = [rotated.jwk]

    clock.advance(jwks.MIN_FETCH_INTERVAL_SECONDS + 1)
    result = get_feeds(client, rotated.sign())

    assert result.status_code == 200, result.json
    assert jwks_fetches(feed_server) == 2


def test_unknown_kid_refetch_rate_limited(
    client, feed_server, clock, published, ec_signing_key
):
    assert get_feeds(client, ec_signing_key.sign()).status_code == 200
    rotated = ec_key("ec-2")
    published.append(rotated.jwk)

    clock.advance(jwks.MIN_FETCH_INTERVAL_SECONDS - 1)
    too_soon = [get_feeds(client, rotated.sign()) for _ in range(3)]
    made_up = get_feeds(client, ec_signing_key.sign(kid="made-up"))
    clock.advance(2)
    later = get_feeds(client, rotated.sign())

    assert [result.status_code for result in too_soon] == [401, 401, 401]
    assert made_up.status_code == 401
    assert later.status_code == 200
    assert jwks_fetches(feed_server) == 2


def test_old_cache_refetched(client, feed_server, clock, ec_signing_key):
    assert get_feeds(client, ec_signing_key.sign()).status_code == 200

    clock.advance(jwks.MAX_AGE_SECONDS + 1)
    result = get_feeds(client, ec_signing_key.sign())

    assert result.status_code == 200
    assert jwks_fetches(feed_server) == 2


def test_failed_refetch_keeps_keys(client, feed_server, clock, ec_signing_key):
    assert get_feeds(client, ec_signing_key.sign()).status_code == 200
    feed_server.routes[JWKS_PATH] = lambda request: Response(503, b"down")

    clock.advance(jwks.MAX_AGE_SECONDS + 1)
    result = get_feeds(client, ec_signing_key.sign())

    assert result.status_code == 200
    assert jwks_fetches(feed_server) == 2


@pytest.mark.parametrize("algorithm", ["ES256", "RS256"])
def test_wrong_key_rejected(offline_client, ec_signing_key, rsa_signing_key, algorithm):
    published = ec_signing_key if algorithm == "ES256" else rsa_signing_key
    impostor = (ec_key if algorithm == "ES256" else rsa_key)(published.kid)

    result = get_feeds(offline_client, impostor.sign())

    assert result.status_code == 401
    assert result.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("key_name", ["ec", "rsa"])
@pytest.mark.parametrize("secret_form", ["pem", "jwk"])
def test_hs256_with_public_key_rejected(
    offline_client, ec_signing_key, rsa_signing_key, key_name, secret_form
):
    key = ec_signing_key if key_name == "ec" else rsa_signing_key
    secret = key.public_pem() if secret_form == "pem" else json.dumps(key.jwk).encode()

    result = get_feeds(offline_client, hs256_token(secret, key.kid))

    assert result.status_code == 401


def test_alg_none_with_kid_rejected(offline_client, ec_signing_key):
    result = get_feeds(offline_client, unsigned_token(ec_signing_key.kid))

    assert result.status_code == 401


def test_alg_of_other_key_rejected(offline_client, ec_signing_key, rsa_signing_key):
    # Signed with the RSA key but naming the EC key, and the other way round.
    rs256_naming_ec = rsa_signing_key.sign(kid=ec_signing_key.kid)
    es256_naming_rsa = ec_signing_key.sign(kid=rsa_signing_key.kid)

    assert get_feeds(offline_client, rs256_naming_ec).status_code == 401
    assert get_feeds(offline_client, es256_naming_rsa).status_code == 401


def test_other_asymmetric_alg_rejected(offline_client, rsa_signing_key):
    token = rsa_signing_key.sign(algorithm="PS256")

    assert get_feeds(offline_client, token).status_code == 401


def test_token_without_kid_rejected(offline_client, ec_signing_key):
    token = jwt.encode(_claims(USER), ec_signing_key.private_key, algorithm="ES256")

    assert get_feeds(offline_client, token).status_code == 401


def test_jwks_server_down_401(clock, ec_signing_key):
    down = f"http://127.0.0.1:{free_port()}{JWKS_PATH}"
    client = TestClient(offline_app(down))

    result = get_feeds(client, ec_signing_key.sign())

    assert result.status_code == 401
    assert result.json["title"] == "Authentication required"


@pytest.mark.parametrize(
    "response",
    [
        Response(500, b"error"),
        Response(200, b"<html>not json</html>"),
        Response(200, b'{"keys": []}'),
    ],
    ids=["server error", "not JSON", "no keys"],
)
def test_unusable_jwks_response_401(
    offline_client, feed_server, ec_signing_key, jwks_url, response
):
    feed_server.routes[JWKS_PATH] = lambda request: response

    result = get_feeds(offline_client, ec_signing_key.sign())

    assert result.status_code == 401


def test_same_scheme_redirect_followed(
    settings, pool, clock, feed_server, jwks_url, ec_signing_key
):
    moved = feed_server.route(
        "/old-jwks", b"", status=302, headers={"Location": JWKS_PATH}
    )
    configured = settings.model_copy(update={"jwks_url": moved})
    client = TestClient(create_app(configured, pool))

    result = get_feeds(client, ec_signing_key.sign())

    assert result.status_code == 200


def test_redirect_to_other_scheme_not_followed(feed_server, jwks_url):
    https_target = jwks_url.replace("http://", "https://")
    moved = feed_server.route(
        "/old-jwks", b"", status=302, headers={"Location": https_target}
    )

    with pytest.raises(JwksError, match="from http to https"):
        fetch_jwks(moved)


def test_redirect_loop_stops(feed_server):
    loop = feed_server.route("/loop", b"", status=302, headers={"Location": "/loop"})

    with pytest.raises(JwksError, match="redirected more than"):
        fetch_jwks(loop)

    assert len(feed_server.requests_for("/loop")) == jwks.MAX_REDIRECTS + 1


def test_oversized_jwks_rejected(feed_server):
    declared = feed_server.route(
        "/declared", b"x" * (jwks.MAX_JWKS_BYTES + 1), content_type="application/json"
    )
    chunks = [b"x" * 65536] * (jwks.MAX_JWKS_BYTES // 65536 + 2)
    streamed = feed_server.route(
        "/streamed", lambda request: Response(200, iter(chunks), {})
    )

    with pytest.raises(JwksError, match="larger than"):
        fetch_jwks(declared)
    with pytest.raises(JwksError, match="larger than"):
        fetch_jwks(streamed)


def test_compressed_jwks_rejected(feed_server):
    url = feed_server.route("/gzip", b"\x1f\x8b", headers={"Content-Encoding": "gzip"})

    with pytest.raises(JwksError, match="gzip"):
        fetch_jwks(url)


def test_parse_jwks_skips_unusable_keys(ec_signing_key):
    private_ec = ECAlgorithm.to_jwk(ec_signing_key.private_key, as_dict=True)
    p384 = ECAlgorithm.to_jwk(
        ec.generate_private_key(ec.SECP384R1()).public_key(), as_dict=True
    )
    entries = [
        {"kty": "oct", "k": _b64(b"shared-secret"), "kid": "oct"},
        {**private_ec, "kid": "private"},
        {**p384, "kid": "p384"},
        {**ec_signing_key.jwk, "kid": "encryption", "use": "enc"},
        {**ec_signing_key.jwk, "kid": 7},
        {"kty": "RSA", "kid": "broken", "n": "!", "e": "AQAB"},
        "not a key",
    ]

    with pytest.raises(JwksError, match="no usable"):
        parse_jwks(json.dumps({"keys": entries}).encode())

    usable = parse_jwks(json.dumps({"keys": [*entries, ec_signing_key.jwk]}).encode())
    assert list(usable) == [ec_signing_key.kid]
    assert usable[ec_signing_key.kid].algorithm_name == "ES256"
