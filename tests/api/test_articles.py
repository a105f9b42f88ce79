from datetime import UTC, datetime, timedelta

import pytest

from tests.api.rows import insert_article, insert_run

ARTICLE_FIELDS = {
    "id",
    "feed_id",
    "user_id",
    "title",
    "content",
    "summary",
    "url",
    "author",
    "published_at",
    "is_read",
    "is_starred",
    "thumbnail",
    "created_at",
}
RUN_FIELDS = {
    "started_at",
    "duration_ms",
    "status",
    "http_status",
    "bytes_received",
    "not_modified",
    "articles_added",
    "error_code",
    "error",
    "next_run_at",
    "next_run_reason",
}
BASE_TIME = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def article_ids(conn, feed, user_id) -> list[str]:
    """Insert five articles and return their ids, newest first.

    Two of them share a publication time.
    """
    times = [BASE_TIME - timedelta(hours=hours) for hours in (0, 1, 1, 2, 3)]
    ids = [
        insert_article(conn, feed["id"], user_id, title=f"a{index}", published_at=at)
        for index, at in enumerate(times)
    ]
    # Rows with equal published_at are ordered by id, descending.
    ids[1:3] = sorted(ids[1:3], reverse=True)
    return [str(article_id) for article_id in ids]


def test_articles_first_page_shape(client, headers, feed, article_ids, user_id):
    result = client.simulate_get(
        f"/api/feeds/{feed['id']}/articles", params={"limit": 2}, headers=headers
    )

    assert result.status_code == 200
    assert set(result.json) == {"articles", "next_cursor"}
    first = result.json["articles"][0]
    assert set(first) == ARTICLE_FIELDS
    assert first["id"] == article_ids[0]
    assert first["feed_id"] == feed["id"]
    assert first["user_id"] == str(user_id)
    assert first["title"] == "a0"
    assert first["content"] == "Body"
    assert first["summary"] == "Summary"
    assert first["url"] == "https://example.com/a0"
    assert first["author"] == "Ann"
    assert datetime.fromisoformat(first["published_at"]) == BASE_TIME
    assert first["is_read"] is False
    assert first["is_starred"] is False
    assert first["thumbnail"] is None
    assert datetime.fromisoformat(first["created_at"]).tzinfo is not None
    assert isinstance(result.json["next_cursor"], str)


def test_articles_follow_cursor_to_end(client, headers, feed, article_ids):
    seen: list[str] = []
    page_sizes = []
    cursor = None

    while True:
        params = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        result = client.simulate_get(
            f"/api/feeds/{feed['id']}/articles", params=params, headers=headers
        )
        assert result.status_code == 200
        page_sizes.append(len(result.json["articles"]))
        seen.extend(article["id"] for article in result.json["articles"])
        cursor = result.json["next_cursor"]
        if cursor is None:
            break

    assert page_sizes == [2, 2, 1]
    assert seen == article_ids
    assert len(set(seen)) == len(seen)


def test_articles_default_limit(client, headers, feed, article_ids):
    result = client.simulate_get(f"/api/feeds/{feed['id']}/articles", headers=headers)

    assert [article["id"] for article in result.json["articles"]] == article_ids
    assert result.json["next_cursor"] is None


def test_articles_empty_feed(client, headers, feed):
    result = client.simulate_get(f"/api/feeds/{feed['id']}/articles", headers=headers)

    assert result.json == {"articles": [], "next_cursor": None}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": ["1", "2"]}, "limit"),
        ({"cursor": "!!!not-a-cursor!!!"}, "cursor"),
        ({"cursor": "bm90IGEgY3Vyc29y"}, "cursor"),
        ({"cursor": "x" * 500}, "cursor"),
    ],
)
def test_articles_bad_parameter_422(client, headers, feed, params, field):
    result = client.simulate_get(
        f"/api/feeds/{feed['id']}/articles", params=params, headers=headers
    )

    assert result.status_code == 422
    assert [item["field"] for item in result.json["errors"]] == [field]


def test_articles_limit_bounds(client, headers, feed, article_ids):
    for limit in ("1", "200"):
        result = client.simulate_get(
            f"/api/feeds/{feed['id']}/articles",
            params={"limit": limit},
            headers=headers,
        )
        assert result.status_code == 200, limit


def test_articles_unknown_feed_404(client, headers):
    result = client.simulate_get(
        "/api/feeds/00000000-0000-4000-8000-000000000000/articles", headers=headers
    )

    assert result.status_code == 404


def test_runs_newest_first(client, headers, feed, conn, user_id):
    now = datetime.now(UTC)
    insert_run(
        conn, feed["id"], user_id, status="success", started_at=now - timedelta(hours=2)
    )
    insert_run(
        conn,
        feed["id"],
        user_id,
        status="failed",
        started_at=now - timedelta(hours=1),
        error_code="timeout",
    )
    insert_run(conn, feed["id"], user_id, status="success", started_at=now)

    result = client.simulate_get(f"/api/feeds/{feed['id']}/runs", headers=headers)

    assert result.status_code == 200
    assert list(result.json) == ["runs"]
    runs = result.json["runs"]
    assert [run["status"] for run in runs] == ["success", "failed", "success"]
    assert all(set(run) == RUN_FIELDS for run in runs)
    assert runs[1]["error_code"] == "timeout"
    assert runs[1]["error"] == "request failed"
    assert runs[0]["http_status"] == 200
    assert runs[0]["bytes_received"] == 2048
    assert runs[0]["articles_added"] == 3
    assert runs[0]["duration_ms"] == 120
    assert runs[0]["not_modified"] is False
    started = [datetime.fromisoformat(run["started_at"]) for run in runs]
    assert started == sorted(started, reverse=True)


def test_runs_limit(client, headers, feed, conn, user_id):
    for minutes in range(3):
        insert_run(
            conn,
            feed["id"],
            user_id,
            status="success",
            started_at=datetime.now(UTC) - timedelta(minutes=minutes),
        )

    result = client.simulate_get(
        f"/api/feeds/{feed['id']}/runs", params={"limit": 2}, headers=headers
    )

    assert len(result.json["runs"]) == 2


@pytest.mark.parametrize("limit", ["0", "201", "x"])
def test_runs_bad_limit_422(client, headers, feed, limit):
    result = client.simulate_get(
        f"/api/feeds/{feed['id']}/runs", params={"limit": limit}, headers=headers
    )

    assert result.status_code == 422
    assert [item["field"] for item in result.json["errors"]] == ["limit"]
