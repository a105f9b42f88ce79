"""Another user's feed id must behave exactly like an unknown id."""

import uuid

import pytest

from tests.api.tokens import auth_headers


def snapshot(conn) -> dict:
    """Return every row the API could change, to compare before and after."""
    return {
        "feeds": conn.execute("SELECT * FROM feeds ORDER BY id").fetchall(),
        "schedule": conn.execute(
            "SELECT * FROM feed_schedule ORDER BY feed_id"
        ).fetchall(),
        "articles": conn.execute("SELECT * FROM articles ORDER BY id").fetchall(),
    }


@pytest.fixture
def foreign_feed(client, conn) -> dict:
    """A feed of another user, with one article."""
    owner = uuid.uuid4()
    feed = client.simulate_post(
        "/api/feeds",
        json={"url": "https://example.com/private.xml", "title": "Private"},
        headers=auth_headers(owner),
    ).json
    conn.execute(
        "INSERT INTO articles (feed_id, user_id, title, url, published_at) "
        "VALUES (%s, %s, 'Secret', 'https://example.com/a', now())",
        (feed["id"], owner),
    )
    return feed


def requests_for(feed_id: str) -> list[tuple[str, str, dict | None]]:
    return [
        ("GET", f"/api/feeds/{feed_id}", None),
        ("PATCH", f"/api/feeds/{feed_id}", {"title": "Stolen"}),
        ("PATCH", f"/api/feeds/{feed_id}", {"refresh_interval": 5}),
        ("DELETE", f"/api/feeds/{feed_id}", None),
        ("GET", f"/api/feeds/{feed_id}/articles", None),
        ("GET", f"/api/feeds/{feed_id}/runs", None),
        ("POST", "/api/rss/cancel", {"feed_id": feed_id}),
        ("POST", "/api/rss/force-refresh", {"feed_id": feed_id}),
        ("POST", "/api/rss/schedule", {"feed_id": feed_id}),
        (
            "POST",
            "/api/rss/schedule",
            {"feed_id": feed_id, "refresh_interval": 5, "force_immediate": True},
        ),
        (
            "POST",
            "/api/rss/schedule",
            {"feed_id": feed_id, "feed_url": "https://example.com/mine.xml"},
        ),
    ]


def test_foreign_feed_answers_404(client, conn, headers, foreign_feed):
    before = snapshot(conn)

    for method, path, body in requests_for(foreign_feed["id"]):
        result = client.simulate_request(method, path, json=body, headers=headers)

        assert result.status_code == 404, (method, path, body)
        assert result.json["title"] == "Feed not found", (method, path)

    assert snapshot(conn) == before


def test_foreign_and_unknown_ids_look_alike(client, headers, foreign_feed):
    unknown = str(uuid.uuid4())
    foreign = foreign_feed["id"]

    for (method, path, body), (_, unknown_path, unknown_body) in zip(
        requests_for(foreign), requests_for(unknown), strict=True
    ):
        result = client.simulate_request(method, path, json=body, headers=headers)
        expected = client.simulate_request(
            method, unknown_path, json=unknown_body, headers=headers
        )
        if method == "POST" and body.get("feed_url"):
            # With feed_url an unknown id creates the feed, but a foreign id must not.
            assert expected.status_code == 200
            continue

        assert result.status_code == expected.status_code, (method, path)
        described = result.json["description"].replace(foreign, unknown)
        assert described == expected.json["description"], (method, path)


def test_foreign_feeds_not_listed(client, headers, foreign_feed):
    result = client.simulate_get("/api/feeds", headers=headers)

    assert result.json == {"feeds": []}


def test_init_skips_foreign_feeds(client, conn, headers, foreign_feed):
    conn.execute("DELETE FROM feed_schedule")

    result = client.simulate_post("/api/rss/init", headers=headers)

    assert result.json["scheduled_count"] == 0
    count = conn.execute("SELECT count(*) AS n FROM feed_schedule").fetchone()
    assert count["n"] == 0
