"""GET /status through the Falcon app: the admin token, headers and escaping."""

import pytest
from falcon.testing import TestClient

from feeds.api.app import create_app
from feeds.api.auth import AuthMiddleware
from tests.api.tokens import auth_headers
from tests.status import dom
from tests.status.conftest import ADMIN_TOKEN
from tests.status.seed import SCRIPT_URL, seed_status_rows


def test_status_without_token_is_401(client):
    result = client.simulate_get("/status")

    assert result.status_code == 401
    assert result.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"headers": {"Authorization": "Bearer wrong-token"}},
        {"headers": {"Authorization": f"Bearer {ADMIN_TOKEN}x"}},
        {"headers": {"Authorization": f"Basic {ADMIN_TOKEN}"}},
        {"headers": {"Authorization": "Bearer "}},
        {"params": {"token": "wrong-token"}},
        {"params": {"token": ADMIN_TOKEN[:-1]}},
        {"params": {"token": ""}},
    ],
    ids=["header", "longer", "basic", "empty-bearer", "query", "prefix", "empty"],
)
def test_status_wrong_token_is_401(client, kwargs):
    result = client.simulate_get("/status", **kwargs)

    assert result.status_code == 401


def test_status_header_token(client, admin_headers):
    result = client.simulate_get("/status", headers=admin_headers)

    assert result.status_code == 200
    assert result.headers["Content-Type"].startswith("text/html")


def test_status_query_token(client):
    result = client.simulate_get("/status", params={"token": ADMIN_TOKEN})

    assert result.status_code == 200
    assert "<h1>feeds status</h1>" in result.text


def test_status_header_decides_over_query(client):
    result = client.simulate_get(
        "/status",
        headers={"Authorization": "Bearer wrong-token"},
        params={"token": ADMIN_TOKEN},
    )

    assert result.status_code == 401


def test_status_without_admin_token_is_404(settings, pool, admin_headers):
    client = TestClient(create_app(settings, pool))

    with_token = client.simulate_get("/status", headers=admin_headers)
    without = client.simulate_get("/status")

    assert settings.admin_token == ""
    assert with_token.status_code == 404
    assert without.status_code == 404
    assert with_token.json == client.simulate_get("/no-such-page").json


def test_status_rejects_user_jwt(client, user_id):
    result = client.simulate_get("/status", headers=auth_headers(user_id))

    assert result.status_code == 401


def test_admin_token_does_not_open_api(client, admin_headers):
    result = client.simulate_get("/api/feeds", headers=admin_headers)

    assert result.status_code == 401


def test_auth_middleware_passes_status_through(admin_settings):
    class Request:
        path = "/status"

    AuthMiddleware(admin_settings).process_request(Request(), None)


def test_status_security_headers(client, admin_headers):
    result = client.simulate_get("/status", headers=admin_headers)

    policy = result.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "script-src" not in policy
    assert result.headers["Cache-Control"] == "no-store"
    assert result.headers["Referrer-Policy"] == "no-referrer"
    assert result.headers["X-Content-Type-Options"] == "nosniff"


def test_status_escapes_feed_url(client, conn, admin_headers):
    seeded = seed_status_rows(conn)

    result = client.simulate_get("/status", headers=admin_headers)
    document = dom.parse(result.text)
    rows = document.find_all("tr", data_feed_id=str(seeded.script_feed_id))

    assert result.status_code == 200
    assert "<script" not in result.text
    assert "&lt;script&gt;alert(&#x27;status&#x27;)&lt;/script&gt;" in result.text
    assert "?a=1&amp;b=2" in result.text
    assert document.find_all("script") == []
    assert rows
    assert rows[0].find_all("td", **{"class": "url"})[0].text == SCRIPT_URL


def test_status_page_figures(client, conn, admin_headers):
    seeded = seed_status_rows(conn)

    result = client.simulate_get("/status", headers=admin_headers)
    document = dom.parse(result.text)

    for section, expected in [
        ("queue-states", seeded.queue_states),
        ("schedule-states", seeded.schedule_states),
        ("fetch-statuses", seeded.fetch_statuses),
    ]:
        cells = document.by_id(section).find_all("td", **{"class": "count"})
        page_counts = {cell.attrs["data-state"]: int(cell.text) for cell in cells}
        assert page_counts == expected, section
    assert len(document.find_all("g", **{"class": "bucket"})) == 60
    assert len(document.find_all("tr", **{"class": "failure"})) == 20
    assert document.by_id("due-feeds").text == "2"
