"""GET /metrics of the API: request counts and latency by route template."""

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from falcon.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families

from feeds.api import gunicorn_conf
from feeds.api.app import create_app
from feeds.settings import Settings
from tests.api.helpers import UnusablePool, free_port
from tests.apiserver import REPO_ROOT, stop_process, wait_until_serving
from tests.conftest import JWT_SECRET

FEED_ROUTE = "/api/feeds/{feed_id}"


def parse_samples(text: str) -> list:
    return [
        sample
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]


def sample_value(samples: list, name: str, **labels: str) -> float | None:
    for sample in samples:
        if sample.name == name and sample.labels == labels:
            return sample.value
    return None


def scrape(client: TestClient) -> list:
    result = client.simulate_get("/metrics")
    assert result.status_code == 200
    return parse_samples(result.text)


def test_requests_counted_by_route_template(client, headers, feed):
    feed_path = f"/api/feeds/{feed['id']}"
    missing_path = f"/api/feeds/{uuid.uuid4()}"
    assert client.simulate_get(feed_path, headers=headers).status_code == 200
    assert client.simulate_get(missing_path, headers=headers).status_code == 404
    assert client.simulate_get(missing_path).status_code == 401
    assert client.simulate_get("/no-such-page").status_code == 404

    samples = scrape(client)
    expected = [
        ("POST", "/api/feeds", "201"),
        ("GET", FEED_ROUTE, "200"),
        ("GET", FEED_ROUTE, "404"),
        ("GET", FEED_ROUTE, "401"),
        ("GET", "unmatched", "404"),
    ]

    for method, route, status in expected:
        labels = {"method": method, "route": route, "status": status}
        counted = sample_value(samples, "feeds_http_requests_total", **labels)
        assert counted == 1, labels
    for sample in samples:
        assert feed["id"] not in sample.labels.get("route", ""), sample


def test_latency_histogram_by_route(client, headers, feed):
    feed_path = f"/api/feeds/{feed['id']}"
    for _ in range(3):
        client.simulate_get(feed_path, headers=headers)
    client.simulate_get(feed_path)

    samples = scrape(client)
    name = "feeds_http_request_duration_seconds"
    labels = {"method": "GET", "route": FEED_ROUTE}
    buckets = [
        sample
        for sample in samples
        if sample.name == f"{name}_bucket"
        and {k: v for k, v in sample.labels.items() if k != "le"} == labels
    ]
    counts = [sample.value for sample in buckets]

    assert len(buckets) > 2
    assert buckets[-1].labels["le"] == "+Inf"
    assert counts == sorted(counts)
    assert counts[-1] == 4
    assert sample_value(samples, f"{name}_count", **labels) == 4
    assert sample_value(samples, f"{name}_sum", **labels) > 0


def test_metrics_need_no_token():
    settings = Settings(DATABASE_URL="", jwt_secret=JWT_SECRET)
    client = TestClient(create_app(settings, UnusablePool()))
    client.simulate_get("/healthz")

    result = client.simulate_get("/metrics")

    assert result.status_code == 200
    assert result.headers["Content-Type"].startswith("text/plain")
    samples = parse_samples(result.text)
    assert sample_value(
        samples,
        "feeds_http_requests_total",
        method="GET",
        route="/healthz",
        status="200",
    ) == pytest.approx(1)


def test_metrics_openmetrics_on_request():
    settings = Settings(DATABASE_URL="", jwt_secret=JWT_SECRET)
    client = TestClient(create_app(settings, UnusablePool()))

    result = client.simulate_get(
        "/metrics", headers={"Accept": "application/openmetrics-text"}
    )

    assert result.status_code == 200
    assert result.headers["Content-Type"].startswith("application/openmetrics-text")
    assert result.text.endswith("# EOF\n")


def test_child_exit_removes_live_gauges(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    live_gauge = tmp_path / "gauge_livesum_4242.db"
    counter = tmp_path / "counter_4242.db"
    other_live_gauge = tmp_path / "gauge_livesum_4343.db"
    for path in (live_gauge, counter, other_live_gauge):
        path.write_bytes(b"")

    gunicorn_conf.child_exit(None, SimpleNamespace(pid=4242))

    assert not live_gauge.exists()
    assert counter.exists()
    assert other_live_gauge.exists()


def multiprocess_dir_of(pid: int) -> Path:
    """Read PROMETHEUS_MULTIPROC_DIR from the environment of a running process."""
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    prefix = b"PROMETHEUS_MULTIPROC_DIR="
    values = [item[len(prefix) :] for item in environ if item.startswith(prefix)]
    assert values, "PROMETHEUS_MULTIPROC_DIR is not set in the server"
    return Path(values[0].decode())


@pytest.fixture
def feeds_api(settings, tmp_path):
    """``feeds api`` with two gunicorn workers and no PROMETHEUS_MULTIPROC_DIR."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "FEEDS_JWT_SECRET": JWT_SECRET,
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log_path = tmp_path / "api.log"
    command = [sys.executable, "-m", "feeds", "api", "--bind", f"127.0.0.1:{port}"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--workers", "2"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    metrics_dir = None
    try:
        wait_until_serving(base_url, process, log_path)
        metrics_dir = multiprocess_dir_of(process.pid)
        yield SimpleNamespace(base_url=base_url, dir=metrics_dir, process=process)
    finally:
        stop_process(process)
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def test_feeds_api_sums_gunicorn_workers(feeds_api):
    base_url, metrics_dir = feeds_api.base_url, feeds_api.dir
    requests = 20
    with httpx.Client(base_url=base_url, trust_env=False, timeout=10) as http:
        for _ in range(requests):
            # A new connection each time lets either worker accept it.
            http.get("/openapi.json", headers={"Connection": "close"})
        scrapes = [
            http.get("/metrics", headers={"Connection": "close"}) for _ in range(6)
        ]

    assert metrics_dir.name.startswith("feeds-api-metrics-")
    assert list(metrics_dir.glob("counter_*.db"))
    for scrape_result in scrapes:
        assert scrape_result.status_code == 200
        samples = parse_samples(scrape_result.text)
        served = sample_value(
            samples,
            "feeds_http_requests_total",
            method="GET",
            route="/openapi.json",
            status="200",
        )
        assert served == requests


def test_feeds_api_removes_metrics_dir(feeds_api):
    assert (feeds_api.dir / "owner.pid").read_text() == str(feeds_api.process.pid)

    stop_process(feeds_api.process)

    assert feeds_api.process.returncode == 0
    assert not feeds_api.dir.exists()
