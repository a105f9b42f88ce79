import uuid
from datetime import datetime

import pytest

FEED_FIELDS = {
    "id",
    "url",
    "title",
    "refresh_interval",
    "last_fetched",
    "last_fetch_status",
    "last_fetch_error",
    "last_error_code",
    "consecutive_failures",
    "next_refresh_at",
    "schedule_state",
    "created_at",
}


def parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, value
    return parsed


def error_fields(result) -> list[str | None]:
    return [item["field"] for item in result.json["errors"]]


def test_create_feed_returns_feed(client, headers, conn, user_id):
    result = client.simulate_post(
        "/api/feeds",
        json={"url": "  https://example.com/feed.xml ", "title": "Example"},
        headers=headers,
    )

    assert result.status_code == 201
    body = result.json
    assert set(body) == FEED_FIELDS
    assert body["url"] == "https://example.com/feed.xml"
    assert body["title"] == "Example"
    assert body["refresh_interval"] == 60
    assert body["last_fetched"] is None
    assert body["last_fetch_status"] is None
    assert body["last_fetch_error"] is None
    assert body["last_error_code"] is None
    assert body["consecutive_failures"] == 0
    assert body["schedule_state"] == "scheduled"
    gap = parse_time(body["next_refresh_at"]) - parse_time(body["created_at"])
    assert abs(gap.total_seconds()) < 5
    assert result.headers["Location"] == f"/api/feeds/{body['id']}"

    row = conn.execute(
        "SELECT user_id, url FROM feeds WHERE id = %s", (body["id"],)
    ).fetchone()
    assert row["user_id"] == user_id
    schedule = conn.execute(
        "SELECT state, priority, next_run_at <= now() AS due FROM feed_schedule "
        "WHERE feed_id = %s",
        (body["id"],),
    ).fetchone()
    assert schedule["state"] == "scheduled"
    assert schedule["priority"] == 2
    assert schedule["due"] is True


def test_create_feed_optional_fields(client, headers):
    result = client.simulate_post(
        "/api/feeds",
        json={"url": "http://example.org/rss", "refresh_interval": 10080},
        headers=headers,
    )

    assert result.status_code == 201
    assert result.json["title"] is None
    assert result.json["refresh_interval"] == 10080


def test_create_feed_duplicate_url_409(client, headers, feed):
    result = client.simulate_post(
        "/api/feeds", json={"url": feed["url"]}, headers=headers
    )

    assert result.status_code == 409
    assert result.json["title"] == "Feed already exists"


def test_same_url_for_two_users(client, feed, other_headers):
    result = client.simulate_post(
        "/api/feeds", json={"url": feed["url"]}, headers=other_headers
    )

    assert result.status_code == 201
    assert result.json["id"] != feed["id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.com/feed"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "https:///feed.xml"}, "url"),
        ({"url": "/relative/feed.xml"}, "url"),
        ({"url": "example.com/feed.xml"}, "url"),
        ({"url": "https://exa mple.com/"}, "url"),
        ({"url": "https://example.com:99999/"}, "url"),
        ({"url": "https://example.com/" + "a" * 2030}, "url"),
        ({"url": ""}, "url"),
        ({"url": 42}, "url"),
        ({}, "url"),
        ({"url": "https://example.com/", "refresh_interval": 0}, "refresh_interval"),
        (
            {"url": "https://example.com/", "refresh_interval": 10081},
            "refresh_interval",
        ),
        ({"url": "https://example.com/", "refresh_interval": "60"}, "refresh_interval"),
        ({"url": "https://example.com/", "refresh_interval": 1.5}, "refresh_interval"),
        ({"url": "https://example.com/", "refresh_interval": True}, "refresh_interval"),
        ({"url": "https://example.com/", "title": "t" * 501}, "title"),
        ({"url": "https://example.com/", "title": "a\u0000b"}, "title"),
        ({"url": "https://example.com/", "colour": "red"}, "colour"),
    ],
)
def test_create_feed_invalid_field_422(client, headers, conn, body, field):
    result = client.simulate_post("/api/feeds", json=body, headers=headers)

    assert result.status_code == 422
    assert result.json["title"] == "Invalid request"
    assert error_fields(result) == [field]
    assert result.json["errors"][0]["message"]
    assert conn.execute("SELECT count(*) AS n FROM feeds").fetchone()["n"] == 0


def test_create_feed_lists_every_bad_field(client, headers):
    body = {"url": "ftp://x", "refresh_interval": 0, "title": "t" * 501, "extra": 1}
    result = client.simulate_post("/api/feeds", json=body, headers=headers)

    assert result.status_code == 422
    assert sorted(error_fields(result)) == [
        "extra",
        "refresh_interval",
        "title",
        "url",
    ]
    messages = {item["field"]: item["message"] for item in result.json["errors"]}
    assert messages["extra"] == "unknown field"
    assert "http or https" in messages["url"]


def test_create_feed_url_at_max_length(client, headers):
    url = "https://example.com/" + "a" * (2048 - len("https://example.com/"))
    result = client.simulate_post("/api/feeds", json={"url": url}, headers=headers)

    assert result.status_code == 201
    assert result.json["url"] == url


def test_lone_surrogate_title_422(client, headers):
    body = b'{"url": "https://example.com/", "title": "\\ud800"}'
    result = client.simulate_post(
        "/api/feeds",
        body=body,
        headers={**headers, "Content-Type": "application/json"},
    )

    assert result.status_code == 422
    assert error_fields(result) == ["title"]


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"",
        b"not json",
        b"\xff\xfe\x00",
        b"[1, 2]",
        b'"text"',
        b"null",
        b"[" * 5000,
    ],
)
def test_malformed_body_400(client, headers, body):
    result = client.simulate_post(
        "/api/feeds",
        body=body,
        headers={**headers, "Content-Type": "application/json"},
    )

    assert result.status_code == 400
    assert result.json["title"] in ("Malformed JSON", "Invalid body")


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded"]
)
def test_wrong_content_type_415(client, headers, content_type):
    request_headers = dict(headers)
    if content_type:
        request_headers["Content-Type"] = content_type
    result = client.simulate_post(
        "/api/feeds", body=b'{"url": "https://example.com/"}', headers=request_headers
    )

    assert result.status_code == 415
    assert result.json["title"] == "Unsupported media type"


def test_json_content_type_with_charset(client, headers):
    result = client.simulate_post(
        "/api/feeds",
        body=b'{"url": "https://example.com/"}',
        headers={**headers, "Content-Type": "application/json; charset=utf-8"},
    )

    assert result.status_code == 201


def test_body_too_large_413(client, headers):
    body = b'{"url": "https://example.com/", "title": "' + b"a" * 70_000 + b'"}'
    result = client.simulate_post(
        "/api/feeds",
        body=body,
        headers={**headers, "Content-Type": "application/json"},
    )

    assert result.status_code == 413


def test_list_feeds(client, headers, feed, other_headers):
    client.simulate_post(
        "/api/feeds", json={"url": "https://other.example/"}, headers=other_headers
    )
    second = client.simulate_post(
        "/api/feeds", json={"url": "https://example.net/atom"}, headers=headers
    ).json

    result = client.simulate_get("/api/feeds", headers=headers)

    assert result.status_code == 200
    assert list(result.json) == ["feeds"]
    assert [item["id"] for item in result.json["feeds"]] == [feed["id"], second["id"]]
    assert all(set(item) == FEED_FIELDS for item in result.json["feeds"])


def test_list_feeds_empty(client, headers):
    result = client.simulate_get("/api/feeds", headers=headers)

    assert result.status_code == 200
    assert result.json == {"feeds": []}


def test_get_feed(client, headers, feed):
    result = client.simulate_get(f"/api/feeds/{feed['id']}", headers=headers)

    assert result.status_code == 200
    assert result.json == feed


def test_get_unknown_feed_404(client, headers):
    result = client.simulate_get(f"/api/feeds/{uuid.uuid4()}", headers=headers)

    assert result.status_code == 404
    assert result.json["title"] == "Feed not found"


@pytest.mark.parametrize("path", ["not-a-uuid", "123", "not-a-uuid/articles"])
def test_non_uuid_feed_id_404(client, headers, path):
    for method in ("GET", "PATCH", "DELETE"):
        result = client.simulate_request(
            method, f"/api/feeds/{path}", headers=headers, json={"title": "x"}
        )

        assert result.status_code == 404, method
        assert result.headers["Content-Type"] == "application/json"


def test_patch_feed_title(client, headers, feed):
    result = client.simulate_patch(
        f"/api/feeds/{feed['id']}", json={"title": "Renamed"}, headers=headers
    )

    assert result.status_code == 200
    assert result.json["title"] == "Renamed"
    assert result.json["url"] == feed["url"]
    assert set(result.json) == FEED_FIELDS


def test_patch_feed_clears_title(client, headers, feed):
    result = client.simulate_patch(
        f"/api/feeds/{feed['id']}", json={"title": None}, headers=headers
    )

    assert result.status_code == 200
    assert result.json["title"] is None


def test_patch_interval_reschedules(client, headers, feed, conn):
    conn.execute(
        "UPDATE feeds SET last_fetched = now() - interval '10 minutes' WHERE id = %s",
        (feed["id"],),
    )

    result = client.simulate_patch(
        f"/api/feeds/{feed['id']}", json={"refresh_interval": 30}, headers=headers
    )

    assert result.status_code == 200
    assert result.json["refresh_interval"] == 30
    row = conn.execute(
        "SELECT extract(epoch FROM s.next_run_at - f.last_fetched) AS gap "
        "FROM feed_schedule s JOIN feeds f ON f.id = s.feed_id WHERE f.id = %s",
        (feed["id"],),
    ).fetchone()
    assert abs(float(row["gap"]) - 30 * 60) < 5


def test_patch_url(client, headers, feed):
    result = client.simulate_patch(
        f"/api/feeds/{feed['id']}",
        json={"url": "https://example.com/new.xml"},
        headers=headers,
    )

    assert result.status_code == 200
    assert result.json["url"] == "https://example.com/new.xml"


def test_patch_url_taken_409(client, headers, feed):
    other = client.simulate_post(
        "/api/feeds", json={"url": "https://example.com/other"}, headers=headers
    ).json

    result = client.simulate_patch(
        f"/api/feeds/{other['id']}", json={"url": feed["url"]}, headers=headers
    )

    assert result.status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, None),
        ({"url": None}, "url"),
        ({"refresh_interval": None}, "refresh_interval"),
        ({"refresh_interval": 0}, "refresh_interval"),
        ({"refresh_interval": 10081}, "refresh_interval"),
        ({"url": "mailto:someone@example.com"}, "url"),
        ({"title": "t" * 501}, "title"),
        ({"id": str(uuid.uuid4())}, "id"),
    ],
)
def test_patch_feed_invalid_422(client, headers, feed, body, field):
    result = client.simulate_patch(
        f"/api/feeds/{feed['id']}", json=body, headers=headers
    )

    assert result.status_code == 422
    assert error_fields(result) == [field]


def test_delete_feed(client, headers, feed, conn):
    result = client.simulate_delete(f"/api/feeds/{feed['id']}", headers=headers)

    assert result.status_code == 204
    assert result.content == b""
    assert "X-Request-ID" in result.headers
    count = conn.execute(
        "SELECT count(*) AS n FROM feeds WHERE id = %s", (feed["id"],)
    ).fetchone()
    assert count["n"] == 0
    again = client.simulate_delete(f"/api/feeds/{feed['id']}", headers=headers)
    assert again.status_code == 404
