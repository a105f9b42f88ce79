import uuid
import warnings

import jwt
import pytest
from falcon.testing import TestClient

from feeds.api.app import create_app
from feeds.settings import Settings
from tests.api.helpers import UnusablePool
from tests.api.tokens import make_token, unsigned_token
from tests.conftest import JWT_SECRET

FEED = "/api/feeds/" + str(uuid.uuid4())

# Every /api route with a body that would be valid for an authenticated user.
ROUTES = [
    ("GET", "/api/feeds", None),
    ("POST", "/api/feeds", {"url": "https://example.com/feed.xml"}),
    ("GET", FEED, None),
    ("PATCH", FEED, {"title": "x"}),
    ("DELETE", FEED, None),
    ("GET", FEED + "/articles", None),
    ("GET", FEED + "/runs", None),
    ("POST", "/api/rss/schedule", {"feed_id": str(uuid.uuid4())}),
    ("POST", "/api/rss/cancel", {"feed_id": str(uuid.uuid4())}),
    ("POST", "/api/rss/force-refresh", {"feed_id": str(uuid.uuid4())}),
    ("POST", "/api/rss/init", None),
    ("GET", "/api/rss/stats", None),
]

USER = uuid.uuid4()


def hs512_token() -> str:
    """Sign with the right secret but an algorithm the service does not accept."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
        return make_token(USER, algorithm="HS512")


# Authorization header values that must all be rejected.
BAD_CREDENTIALS = {
    "missing": None,
    "empty": "",
    "wrong scheme": "Basic " + make_token(USER),
    "scheme only": "Bearer",
    "malformed": "Bearer not.a.jwt",
    "garbage": "Bearer abc",
    "wrong signature": "Bearer "
    + make_token(USER, secret="another-secret-that-is-also-32-bytes-long"),
    "wrong audience": "Bearer " + make_token(USER, audience="someone-else"),
    "missing audience": "Bearer " + make_token(USER, audience=None),
    "expired": "Bearer " + make_token(USER, expires_in=-60),
    "missing exp": "Bearer " + make_token(USER, expires_in=None),
    "non-UUID sub": "Bearer " + make_token("alice"),
    "missing sub": "Bearer " + make_token(None),
    "numeric sub": "Bearer " + make_token(None, sub=12345),
    "not yet valid": "Bearer " + make_token(USER, nbf=4_000_000_000),
    "alg none": "Bearer " + unsigned_token(USER),
    "alg HS512": "Bearer " + hs512_token(),
}


@pytest.fixture(scope="module")
def offline_client() -> TestClient:
    """A client whose requests fail with 500 if they reach the database."""
    settings = Settings(DATABASE_URL="", jwt_secret=JWT_SECRET)
    return TestClient(create_app(settings, UnusablePool()))


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
@pytest.mark.parametrize("credential", list(BAD_CREDENTIALS))
def test_bad_token_401(offline_client, method, path, body, credential):
    headers = {}
    if BAD_CREDENTIALS[credential] is not None:
        headers["Authorization"] = BAD_CREDENTIALS[credential]

    result = offline_client.simulate_request(method, path, json=body, headers=headers)

    assert result.status_code == 401
    assert result.headers["WWW-Authenticate"].startswith("Bearer")
    assert result.headers["Content-Type"] == "application/json"
    assert result.json["title"] == "Authentication required"
    assert result.json["description"]
    assert "X-Request-ID" in result.headers


@pytest.mark.parametrize("credential", ["missing", "expired", "alg none"])
def test_bad_token_writes_nothing(client, conn, credential):
    headers = {}
    if BAD_CREDENTIALS[credential] is not None:
        headers["Authorization"] = BAD_CREDENTIALS[credential]

    result = client.simulate_post(
        "/api/feeds", json={"url": "https://example.com/"}, headers=headers
    )

    assert result.status_code == 401
    assert conn.execute("SELECT count(*) AS n FROM feeds").fetchone()["n"] == 0


def test_valid_token_accepted(client):
    token = make_token(USER)
    result = client.simulate_get(
        "/api/feeds", headers={"Authorization": f"bearer {token}"}
    )

    assert result.status_code == 200


def test_custom_audience(settings, pool):
    custom = settings.model_copy(update={"jwt_audience": "feeds-service"})
    client = TestClient(create_app(custom, pool))
    accepted = make_token(USER, audience="feeds-service")
    rejected = make_token(USER)

    ok = client.simulate_get(
        "/api/feeds", headers={"Authorization": f"Bearer {accepted}"}
    )
    denied = client.simulate_get(
        "/api/feeds", headers={"Authorization": f"Bearer {rejected}"}
    )

    assert ok.status_code == 200
    assert denied.status_code == 401


def test_unknown_api_path_needs_token(offline_client):
    result = offline_client.simulate_get("/api/nothing-here")

    assert result.status_code == 401


def test_empty_secret_rejects_every_token():
    unconfigured = Settings(DATABASE_URL="", jwt_secret="")
    client = TestClient(create_app(unconfigured, UnusablePool()))
    token = make_token(USER)

    result = client.simulate_get(
        "/api/feeds", headers={"Authorization": f"Bearer {token}"}
    )

    assert result.status_code == 401


def test_probes_need_no_token(client):
    for path in ("/healthz", "/readyz", "/openapi.json"):
        assert client.simulate_get(path).status_code == 200, path
