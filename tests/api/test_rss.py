import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.api.rows import insert_feed, insert_run, insert_schedule

SCHEDULE_FIELDS = {"success", "delay_seconds", "priority", "task_id"}
TOLERANCE_SECONDS = 5


def iso(moment: datetime) -> str:
    return moment.isoformat()


def ago(**delta: float) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


def schedule_row(conn, feed_id: str) -> dict:
    return conn.execute(
        "SELECT state, priority, reason, "
        "extract(epoch FROM next_run_at - now())::float AS seconds_until "
        "FROM feed_schedule WHERE feed_id = %s",
        (feed_id,),
    ).fetchone()


def schedule_row_count(conn, feed_id: str) -> int:
    return conn.execute(
        "SELECT count(*) AS n FROM feed_schedule WHERE feed_id = %s", (feed_id,)
    ).fetchone()["n"]


def database_now(conn) -> datetime:
    return conn.execute("SELECT now() AS now").fetchone()["now"]


def utc_plus_two(moment: datetime) -> str:
    return moment.astimezone(timezone(timedelta(hours=2))).isoformat()


def naive_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat()


def z_suffix(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# Each case builds its request fields from the database's now(), and gives the
# expected delay in seconds, priority label and priority column.
DELAY_CASES = {
    "force": (
        lambda now: {"force_immediate": True, "last_fetched": iso(now)},
        0,
        "manual",
        0,
    ),
    "never fetched": (lambda now: {}, 0, "normal", 2),
    "fetched 30 minutes ago": (
        lambda now: {"last_fetched": iso(now - timedelta(minutes=30))},
        1800,
        "normal",
        2,
    ),
    "fetched just now": (lambda now: {"last_fetched": iso(now)}, 3600, "normal", 2),
    "due but not overdue": (
        lambda now: {"last_fetched": iso(now - timedelta(minutes=90))},
        0,
        "normal",
        2,
    ),
    "overdue": (
        lambda now: {"last_fetched": iso(now - timedelta(hours=3))},
        0,
        "overdue",
        1,
    ),
    "naive time is UTC": (
        lambda now: {"last_fetched": naive_utc(now - timedelta(minutes=30))},
        1800,
        "normal",
        2,
    ),
    "other offset": (
        lambda now: {"last_fetched": utc_plus_two(now - timedelta(minutes=30))},
        1800,
        "normal",
        2,
    ),
    "Z suffix": (
        lambda now: {"last_fetched": z_suffix(now - timedelta(minutes=30))},
        1800,
        "normal",
        2,
    ),
    "short interval": (
        lambda now: {
            "last_fetched": iso(now - timedelta(minutes=5)),
            "refresh_interval": 10,
        },
        300,
        "normal",
        2,
    ),
    "future fetch counts as now": (
        lambda now: {"last_fetched": iso(now + timedelta(days=1))},
        3600,
        "normal",
        2,
    ),
    "year 9999": (
        lambda now: {"last_fetched": "9999-12-31T23:59:59+00:00"},
        3600,
        "normal",
        2,
    ),
}


@pytest.mark.parametrize("case", list(DELAY_CASES))
def test_schedule_delay_and_priority(client, headers, conn, feed, case):
    build_fields, delay, label, priority = DELAY_CASES[case]
    request = {"feed_id": feed["id"], **build_fields(database_now(conn))}

    result = client.simulate_post("/api/rss/schedule", json=request, headers=headers)

    assert result.status_code == 200, result.json
    body = result.json
    assert set(body) == SCHEDULE_FIELDS
    assert body["success"] is True
    assert body["priority"] == label
    assert body["task_id"] == f"feed-{feed['id']}"
    assert isinstance(body["delay_seconds"], float)
    assert body["delay_seconds"] == pytest.approx(delay, abs=TOLERANCE_SECONDS)
    assert body["delay_seconds"] <= delay

    row = schedule_row(conn, feed["id"])
    assert row["state"] == "scheduled"
    assert row["priority"] == priority
    assert row["seconds_until"] == pytest.approx(delay, abs=TOLERANCE_SECONDS)


def test_schedule_force_sets_manual_reason(client, headers, feed, conn):
    request = {"feed_id": feed["id"], "force_immediate": True}

    result = client.simulate_post("/api/rss/schedule", json=request, headers=headers)

    assert result.json["delay_seconds"] == 0
    row = schedule_row(conn, feed["id"])
    assert row["reason"] == "manual"
    assert row["seconds_until"] <= 0


def test_schedule_twice_keeps_one_row(client, headers, feed, conn):
    first = {"feed_id": feed["id"], "last_fetched": iso(ago(minutes=30))}
    second = {"feed_id": feed["id"], "last_fetched": iso(ago(hours=5))}

    client.simulate_post("/api/rss/schedule", json=first, headers=headers)
    result = client.simulate_post("/api/rss/schedule", json=second, headers=headers)

    assert result.json["priority"] == "overdue"
    assert schedule_row_count(conn, feed["id"]) == 1
    assert schedule_row(conn, feed["id"])["priority"] == 1


def test_schedule_creates_feed_from_url(client, headers, conn, user_id):
    feed_id = str(uuid.uuid4())
    request = {
        "feed_id": feed_id,
        "feed_url": " https://example.com/new.xml ",
        "feed_title": "New",
        "refresh_interval": 15,
    }

    result = client.simulate_post("/api/rss/schedule", json=request, headers=headers)

    assert result.status_code == 200
    assert result.json == {
        "success": True,
        "delay_seconds": 0.0,
        "priority": "normal",
        "task_id": f"feed-{feed_id}",
    }
    row = conn.execute("SELECT * FROM feeds WHERE id = %s", (feed_id,)).fetchone()
    assert row["user_id"] == user_id
    assert row["url"] == "https://example.com/new.xml"
    assert row["title"] == "New"
    assert row["refresh_interval"] == 15
    assert schedule_row_count(conn, feed_id) == 1


def test_schedule_created_feed_honours_last_fetched(client, headers, conn):
    feed_id = str(uuid.uuid4())
    request = {
        "feed_id": feed_id,
        "feed_url": "https://example.com/new.xml",
        "last_fetched": iso(ago(minutes=30)),
    }

    result = client.simulate_post("/api/rss/schedule", json=request, headers=headers)

    assert result.json["delay_seconds"] == pytest.approx(1800, abs=60)
    row = schedule_row(conn, feed_id)
    assert row["seconds_until"] == pytest.approx(1800, abs=60)


def test_schedule_unknown_feed_without_url_404(client, headers, conn):
    request = {"feed_id": str(uuid.uuid4())}

    result = client.simulate_post("/api/rss/schedule", json=request, headers=headers)

    assert result.status_code == 404
    assert conn.execute("SELECT count(*) AS n FROM feeds").fetchone()["n"] == 0


def test_schedule_new_id_for_known_url_409(client, headers, feed):
    request = {"feed_id": str(uuid.uuid4()), "feed_url": feed["url"]}

    result = client.simulate_post("/api/rss/schedule", json=request, headers=headers)

    assert result.status_code == 409


def test_schedule_stores_explicit_interval(client, headers, feed, conn):
    request = {"feed_id": feed["id"], "refresh_interval": 30}

    result = client.simulate_post("/api/rss/schedule", json=request, headers=headers)

    assert result.status_code == 200
    stored = conn.execute(
        "SELECT refresh_interval FROM feeds WHERE id = %s", (feed["id"],)
    ).fetchone()
    assert stored["refresh_interval"] == 30


def test_schedule_keeps_interval_when_omitted(client, headers, conn):
    created = client.simulate_post(
        "/api/feeds",
        json={"url": "https://example.com/slow.xml", "refresh_interval": 240},
        headers=headers,
    ).json

    result = client.simulate_post(
        "/api/rss/schedule", json={"feed_id": created["id"]}, headers=headers
    )

    assert result.status_code == 200
    stored = conn.execute(
        "SELECT refresh_interval FROM feeds WHERE id = %s", (created["id"],)
    ).fetchone()
    assert stored["refresh_interval"] == 240


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"feed_id": "not-a-uuid"}, "feed_id"),
        ({"last_fetched": "yesterday"}, "last_fetched"),
        ({"last_fetched": 1700000000}, "last_fetched"),
        ({"force_immediate": "yes"}, "force_immediate"),
        ({"refresh_interval": 0}, "refresh_interval"),
        ({"refresh_interval": 10081}, "refresh_interval"),
        ({"feed_url": "file:///etc/passwd"}, "feed_url"),
        ({"feed_title": "t" * 501}, "feed_title"),
        ({"task_id": "x"}, "task_id"),
    ],
)
def test_schedule_invalid_422(client, headers, feed, fields, field):
    request = {"feed_id": feed["id"], **fields}

    result = client.simulate_post("/api/rss/schedule", json=request, headers=headers)

    assert result.status_code == 422
    assert [item["field"] for item in result.json["errors"]] == [field]


def test_schedule_missing_feed_id_422(client, headers):
    request = {"feed_url": "https://example.com/feed.xml"}

    result = client.simulate_post("/api/rss/schedule", json=request, headers=headers)

    assert result.status_code == 422
    assert [item["field"] for item in result.json["errors"]] == ["feed_id"]


def test_cancel(client, headers, feed, conn):
    result = client.simulate_post(
        "/api/rss/cancel", json={"feed_id": feed["id"]}, headers=headers
    )

    assert result.status_code == 200
    assert result.json == {"success": True, "feed_id": feed["id"]}
    assert schedule_row(conn, feed["id"])["state"] == "cancelled"
    current = client.simulate_get(f"/api/feeds/{feed['id']}", headers=headers).json
    assert current["schedule_state"] == "cancelled"


def test_schedule_after_cancel(client, headers, feed, conn):
    client.simulate_post(
        "/api/rss/cancel", json={"feed_id": feed["id"]}, headers=headers
    )

    result = client.simulate_post(
        "/api/rss/schedule", json={"feed_id": feed["id"]}, headers=headers
    )

    assert result.status_code == 200
    assert schedule_row(conn, feed["id"])["state"] == "scheduled"


def test_cancel_unknown_404(client, headers):
    result = client.simulate_post(
        "/api/rss/cancel", json={"feed_id": str(uuid.uuid4())}, headers=headers
    )

    assert result.status_code == 404


def test_force_refresh(client, headers, feed, conn):
    result = client.simulate_post(
        "/api/rss/force-refresh", json={"feed_id": feed["id"]}, headers=headers
    )

    assert result.status_code == 200
    assert result.json == {
        "success": True,
        "feed_id": feed["id"],
        "task_id": f"feed-{feed['id']}",
    }
    row = schedule_row(conn, feed["id"])
    assert row["state"] == "scheduled"
    assert row["priority"] == 0
    assert row["reason"] == "manual"
    assert row["seconds_until"] <= 0


def test_force_refresh_twice_one_row(client, headers, feed, conn):
    for _ in range(2):
        result = client.simulate_post(
            "/api/rss/force-refresh", json={"feed_id": feed["id"]}, headers=headers
        )
        assert result.status_code == 200

    assert schedule_row_count(conn, feed["id"]) == 1


def test_force_refresh_unknown_404(client, headers):
    result = client.simulate_post(
        "/api/rss/force-refresh", json={"feed_id": str(uuid.uuid4())}, headers=headers
    )

    assert result.status_code == 404


@pytest.mark.parametrize("route", ["/api/rss/cancel", "/api/rss/force-refresh"])
def test_feed_id_body_invalid_422(client, headers, route):
    for body, field in [
        ({}, "feed_id"),
        ({"feed_id": "x"}, "feed_id"),
        ({"feed_id": str(uuid.uuid4()), "force": True}, "force"),
    ]:
        result = client.simulate_post(route, json=body, headers=headers)

        assert result.status_code == 422, body
        assert [item["field"] for item in result.json["errors"]] == [field]


def test_init_is_idempotent(client, headers, conn, user_id, feed):
    overdue = insert_feed(
        conn, user_id, "https://example.com/old.xml", last_fetched=ago(hours=3)
    )
    fresh = insert_feed(
        conn, user_id, "https://example.com/fresh.xml", last_fetched=ago(minutes=30)
    )
    never = insert_feed(conn, user_id, "https://example.com/never.xml")

    first = client.simulate_post("/api/rss/init", headers=headers)
    second = client.simulate_post("/api/rss/init", json={}, headers=headers)

    assert first.status_code == 200
    assert first.json == {"success": True, "scheduled_count": 3}
    assert second.json == {"success": True, "scheduled_count": 0}
    assert schedule_row(conn, str(overdue))["priority"] == 1
    assert schedule_row(conn, str(never))["priority"] == 2
    assert schedule_row(conn, str(never))["seconds_until"] <= 0
    assert schedule_row(conn, str(fresh))["seconds_until"] == pytest.approx(
        1800, abs=60
    )
    assert schedule_row_count(conn, feed["id"]) == 1


def test_stats_counts(client, headers, conn, user_id):
    feeds = [
        insert_feed(conn, user_id, f"https://example.com/{index}.xml")
        for index in range(6)
    ]
    insert_schedule(conn, feeds[0], state="running", started=True)
    insert_schedule(conn, feeds[1], state="queued")
    insert_schedule(conn, feeds[2], state="scheduled")
    insert_schedule(conn, feeds[3], state="scheduled", priority=0)
    insert_schedule(conn, feeds[4], state="cancelled")
    for _ in range(3):
        insert_run(conn, feeds[0], user_id, status="success", started_at=ago(hours=1))
    insert_run(conn, feeds[0], user_id, status="success", started_at=ago(days=2))
    for _ in range(2):
        insert_run(
            conn,
            feeds[1],
            user_id,
            status="failed",
            started_at=ago(minutes=5),
            error_code="timeout",
        )

    other_user = uuid.uuid4()
    other_feed = insert_feed(conn, other_user, "https://example.com/other.xml")
    insert_schedule(conn, other_feed, state="running", started=True)
    insert_run(conn, other_feed, other_user, status="failed", started_at=ago(hours=1))

    result = client.simulate_get("/api/rss/stats", headers=headers)

    assert result.status_code == 200
    assert result.json == {
        "active_tasks": 1,
        "scheduled_tasks": 3,
        "completed_tasks": 3,
        "failed_tasks": 2,
    }


def test_stats_without_feeds(client, headers):
    result = client.simulate_get("/api/rss/stats", headers=headers)

    assert result.json == {
        "active_tasks": 0,
        "scheduled_tasks": 0,
        "completed_tasks": 0,
        "failed_tasks": 0,
    }
