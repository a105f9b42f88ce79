"""End to end: the API, a real worker process, a real HTTP server, PostgreSQL."""

import time
from datetime import UTC, datetime

import pytest
from falcon import testing

from feeds import scheduler
from feeds.api.app import create_app
from feeds.scheduler import Delay, Priority
from feeds.tokens import sign_token
from tests.conftest import SHARED_FEEDS
from tests.feedserver import Response
from tests.scheduling import insert_feed, schedule_row
from tests.workers import running_worker, wait_for

CORPUS = SHARED_FEEDS / "corpus"


@pytest.fixture
def client(settings, pool):
    return testing.TestClient(create_app(settings, pool))


@pytest.fixture
def auth(settings, user_id):
    token = sign_token(user_id, secret=settings.jwt_secret, audience="authenticated")
    return {"Authorization": f"Bearer {token}"}


def feed_status(conn, feed_id):
    return conn.execute(
        "SELECT last_fetch_status, last_fetch_error FROM feeds WHERE id = %(id)s",
        {"id": feed_id},
    ).fetchone()


def articles_by_title(conn, feed_id) -> dict[str, dict]:
    rows = conn.execute(
        "SELECT * FROM articles WHERE feed_id = %(id)s", {"id": feed_id}
    ).fetchall()
    return {row["title"]: row for row in rows}


CORPUS_FEEDS = {
    "realworld/rsparser-DaringFireball.rss": (
        47,
        "Apple Product Event: Monday March 21",
        "http://recode.net/2016/02/27/remark-your-calendars-apples-product-event-will-week-of-march-21/",
        datetime(2016, 2, 27, 21, 59, 47, tzinfo=UTC),
        "John Gruber",
    ),
    "realworld/feedrs-github-releases.atom.xml": (
        4,
        "0.2.0",
        "https://github.com/feed-rs/feed-rs/releases/tag/v0.2.0",
        datetime(2020, 1, 19, 5, 8, 59, tzinfo=UTC),
        "markpritchard",
    ),
    "realworld/feedrs-debian.rdf.xml": (
        1,
        "Updated Debian 11: 11.6 released",
        "https://www.debian.org/News/2022/20221217",
        datetime(2022, 12, 17, tzinfo=UTC),
        None,
    ),
    "namespaces/feedrs-youtube-mediarss.xml": (
        1,
        "Navigating with Quantum Entanglement",
        "https://www.youtube.com/watch?v=0A1ouV7iD8o",
        datetime(2020, 12, 22, 19, 15, 1, tzinfo=UTC),
        "PBS Space Time",
    ),
    "encoding/miniflux-koi8r.xml": (
        2,
        "Первая новость",
        "http://example.com/post1",
        datetime(2026, 2, 15, 10, 0, tzinfo=UTC),
        None,
    ),
    "wellformed/fp-rss-item_content_encoded.xml": (1, None, None, None, None),
}


def test_corpus_feeds_end_to_end(client, auth, conn, settings, feed_server):
    feed_ids = {}
    for name in CORPUS_FEEDS:
        url = feed_server.route("/" + name, (CORPUS / name).read_bytes())
        response = client.simulate_post("/api/feeds", json={"url": url}, headers=auth)
        assert response.status_code == 201, response.text
        feed_ids[name] = response.json["id"]

    with running_worker(settings):
        for feed_id in feed_ids.values():
            wait_for(lambda f=feed_id: feed_status(conn, f)["last_fetch_status"])

    for name, expected in CORPUS_FEEDS.items():
        count, title, url, published, author = expected
        status = feed_status(conn, feed_ids[name])
        assert status["last_fetch_status"] == "success", (name, status)
        stored = articles_by_title(conn, feed_ids[name])
        assert len(stored) == count, name
        if title is None:
            continue
        article = stored[title]
        assert article["url"] == url, name
        assert article["published_at"] == published, name
        assert article["author"] == author, name

    koi8r = feed_ids["encoding/miniflux-koi8r.xml"]
    listed = client.simulate_get(f"/api/feeds/{koi8r}/articles", headers=auth)
    assert listed.status_code == 200
    titles = [article["title"] for article in listed.json["articles"]]
    assert titles == ["Вторая новость", "Первая новость"]

    states = conn.execute(
        "SELECT state::text, count(*) FROM dramatiq.queue GROUP BY state"
    ).fetchall()
    assert {row["state"] for row in states} == {"done"}


def test_network_errors_are_retried(conn, settings, feed_server, user_id):
    body = (CORPUS / "realworld/feedrs-debian.rdf.xml").read_bytes()
    answers = iter([Response(503, b"busy"), Response(500, b"oops")])

    def flaky(request):
        return next(answers, Response(200, body, {"Content-Type": "text/xml"}))

    feed_id = insert_feed(conn, user_id, feed_server.route("/flaky.xml", flaky))
    scheduler.schedule(conn, feed_id, Delay(0, Priority.NORMAL))

    with running_worker(settings):
        wait_for(lambda: feed_status(conn, feed_id)["last_fetch_status"], timeout=40)

    assert feed_status(conn, feed_id)["last_fetch_status"] == "success"
    assert len(feed_server.requests_for("/flaky.xml")) == 3
    assert len(articles_by_title(conn, feed_id)) == 1


def test_manual_refresh_starts_before_backlog(conn, settings, feed_server, user_id):
    body = (CORPUS / "realworld/feedrs-debian.rdf.xml").read_bytes()

    def slow(request):
        time.sleep(0.3)
        return Response(200, body, {"Content-Type": "application/rss+xml"})

    backlog = [
        insert_feed(conn, user_id, feed_server.route(f"/n{i}.xml", slow))
        for i in range(12)
    ]
    manual = insert_feed(conn, user_id, feed_server.route("/manual.xml", slow))
    for feed_id in backlog:
        scheduler.schedule(conn, feed_id, Delay(0, Priority.NORMAL))

    with running_worker(settings, threads=1):
        wait_for(lambda: feed_server.requests)
        scheduler.force(conn, manual)
        wait_for(lambda: feed_status(conn, manual)["last_fetch_status"])

    order = [r.path for r in feed_server.requests]
    assert order.index("/manual.xml") <= 4, order


def test_time_limit_marks_failed_and_reschedules(conn, settings, feed_server, user_id):
    def hang(request):
        time.sleep(8)
        return Response(200, b"")

    feed_id = insert_feed(conn, user_id, feed_server.route("/hang.xml", hang))
    scheduler.schedule(conn, feed_id, Delay(0, Priority.NORMAL))

    with running_worker(
        settings,
        FEEDS_REFRESH_TIME_LIMIT_SECONDS="2",
        FEEDS_READ_TIMEOUT_SECONDS="20",
        FEEDS_TOTAL_TIMEOUT_SECONDS="20",
    ):
        # The fetch ends at the time limit and a timeout is retried three times,
        # 2, 4 and 8 s apart, so the feed fails after about 22 s.
        wait_for(lambda: feed_status(conn, feed_id)["last_fetch_status"], timeout=60)

    status = feed_status(conn, feed_id)
    assert status["last_fetch_status"] == "failed"
    assert status["last_fetch_error"].startswith("timeout:")
    assert schedule_row(conn, feed_id)["state"] == "scheduled"
