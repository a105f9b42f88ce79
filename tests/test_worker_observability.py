"""A real worker process: its metrics endpoint and its JSON log lines."""

import json

import httpx
from prometheus_client.parser import text_string_to_metric_families

from feeds import scheduler
from feeds.scheduler import Delay, Priority
from tests.api.helpers import free_port
from tests.scheduling import insert_feed
from tests.workers import running_worker, wait_for


def rss(name: str) -> bytes:
    """An RSS document with two items whose links are unique to ``name``."""
    items = "".join(
        f"<item><title>{name} {n}</title><link>https://example.com/{name}/{n}</link>"
        f"<guid>{name}-{n}</guid></item>"
        for n in (1, 2)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{name}</title><link>https://example.com/</link>{items}"
        "</channel></rss>"
    ).encode()


def subscribe(conn, user_id, url: str):
    feed_id = insert_feed(conn, user_id, url)
    scheduler.schedule(conn, feed_id, Delay(0, Priority.NORMAL))
    return feed_id


def fetch_status(conn, feed_id) -> str | None:
    row = conn.execute(
        "SELECT last_fetch_status FROM feeds WHERE id = %(id)s", {"id": feed_id}
    ).fetchone()
    return row["last_fetch_status"]


def scrape(url: str) -> list | None:
    """Return the samples served at ``url``, or None while nothing listens."""
    try:
        response = httpx.get(url, timeout=2, trust_env=False)
    except httpx.TransportError:
        return None
    assert response.status_code == 200
    return [
        sample
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    ]


def value(samples: list, name: str, **labels: str) -> float | None:
    for sample in samples:
        if sample.name == name and sample.labels == labels:
            return sample.value
    return None


def scrape_until(url: str, name: str, expected: float, **labels: str) -> list:
    """Scrape until the sample ``name`` with ``labels`` equals ``expected``."""

    def reached() -> list | None:
        samples = scrape(url)
        if samples and value(samples, name, **labels) == expected:
            return samples
        return None

    return wait_for(reached, timeout=30)


def test_worker_serves_refresh_metrics(settings, conn, user_id, feed_server):
    body = rss("ok")
    ok = subscribe(conn, user_id, feed_server.route("/ok.xml", body))
    missing = subscribe(
        conn, user_id, feed_server.route("/missing.xml", b"no", status=404)
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}/metrics"

    with running_worker(settings, FEEDS_WORKER_METRICS_PORT=str(port)):
        wait_for(lambda: fetch_status(conn, ok) and fetch_status(conn, missing))
        samples = scrape_until(url, "feeds_schedule_rows", 2, state="scheduled")

    refreshes = "feeds_refreshes_total"
    assert value(samples, refreshes, outcome="success", error_code="") == 1
    assert value(samples, refreshes, outcome="failed", error_code="http_status") == 1
    assert value(samples, "feeds_articles_added_total") == 2
    assert value(samples, "feeds_fetch_received_bytes_total") == len(body)
    assert value(samples, "feeds_fetch_duration_seconds_count") == 2
    assert value(samples, "feeds_fetch_duration_seconds_bucket", le="+Inf") == 2
    assert value(samples, "feeds_domain_wait_seconds_count") == 2

    for queue in (scheduler.REFRESH_QUEUE, scheduler.MANUAL_QUEUE):
        for state in ("queued", "consumed", "rejected"):
            labels = {"queue": queue, "state": state}
            assert value(samples, "feeds_queue_messages", **labels) is not None
    assert value(samples, "feeds_schedule_rows", state="running") == 0
    lag = value(samples, "feeds_schedule_lag_seconds")
    assert lag is not None
    assert lag >= 0


def test_worker_processes_share_metrics(settings, conn, user_id, feed_server, tmp_path):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    feeds = [
        subscribe(conn, user_id, feed_server.route(f"/feed-{n}.xml", rss(f"feed-{n}")))
        for n in range(6)
    ]
    port = free_port()
    url = f"http://127.0.0.1:{port}/metrics"

    with running_worker(
        settings,
        processes=2,
        threads=2,
        FEEDS_WORKER_METRICS_PORT=str(port),
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    ):
        wait_for(lambda: all(fetch_status(conn, feed) for feed in feeds))
        scrape_until(url, "feeds_refreshes_total", 6, outcome="success", error_code="")
        scrapes = [scrape(url) for _ in range(3)]

    for samples in scrapes:
        assert (
            value(samples, "feeds_refreshes_total", outcome="success", error_code="")
            == 6
        )
        assert value(samples, "feeds_articles_added_total") == 12
    assert len(list(metrics_dir.glob("counter_*.db"))) == 2


def test_worker_json_logs(settings, conn, user_id, feed_server, capsys):
    feed_url = feed_server.route("/ok.xml", rss("ok"))
    feed_id = subscribe(conn, user_id, feed_url)

    with running_worker(
        settings, FEEDS_LOG_FORMAT="json", FEEDS_WORKER_METRICS_PORT="0"
    ):
        wait_for(lambda: fetch_status(conn, feed_id))

    output = capsys.readouterr().out
    entries = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    messages = [entry["message"] for entry in entries]
    [refreshed] = [e for e in entries if e["message"] == "refreshed feed"]
    assert refreshed["level"] == "INFO"
    assert refreshed["logger"] == "feeds.refresh"
    assert refreshed["feed_id"] == str(feed_id)
    assert refreshed["url"] == feed_url
    assert refreshed["message_id"] != "None"
    assert refreshed["articles_added"] == 2
    assert "dispatcher started" in messages
    assert "serving worker metrics" not in messages
