"""The status page in headless Chromium, served by gunicorn from a seeded database.

The figures in the rendered DOM are checked against queries on the tables
themselves, not the views the page reads. The last screenshot is kept at
SCREENSHOT_PATH for a person to look at.
"""

import tempfile
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import pytest
from PIL import Image, ImageStat
from psycopg.rows import dict_row

from feeds.status.chart import FAILED_COLOR, SUCCESS_COLOR
from tests import pg
from tests.apiserver import running_api
from tests.conftest import JWT_SECRET
from tests.status import browser, dom
from tests.status.conftest import ADMIN_TOKEN
from tests.status.seed import RUNS_BY_MINUTE, SCRIPT_URL, seed_status_rows

SCREENSHOT_PATH = Path(tempfile.gettempdir()) / "feeds-status" / "status-page.png"
WIDTH, HEIGHT = 1280, 1600
# A blank or single-color page has a gray-level variance near 0.
MIN_VARIANCE = 200.0
# Bars are drawn in exact colors, so the tolerance only covers rounding in
# color conversion.
COLOR_TOLERANCE = 6


@pytest.fixture(scope="module")
def database(pg_server):
    """A migrated database seeded once for this module's tests."""
    admin_url, template = pg_server
    name = pg.clone(admin_url, template)
    url = pg.database_url(admin_url, name)
    with psycopg.connect(url, autocommit=True, row_factory=dict_row) as conn:
        seeded = seed_status_rows(conn)
    yield url, seeded
    pg.drop(admin_url, name)


@pytest.fixture(scope="module")
def page_url(database, tmp_path_factory):
    browser.require_chromium()
    url, _ = database
    env = {
        "DATABASE_URL": url,
        "FEEDS_JWT_SECRET": JWT_SECRET,
        "FEEDS_ADMIN_TOKEN": ADMIN_TOKEN,
    }
    log_path = tmp_path_factory.mktemp("status-api") / "gunicorn.log"
    with running_api(env, log_path) as base_url:
        yield f"{base_url}/status?{urlencode({'token': ADMIN_TOKEN})}"


@pytest.fixture(scope="module")
def document(page_url) -> dom.Element:
    return dom.parse(browser.dump_dom(page_url))


@pytest.fixture
def db(database):
    url, _ = database
    with psycopg.connect(url, autocommit=True, row_factory=dict_row) as conn:
        yield conn


def page_counts_of(document: dom.Element, section_id: str) -> dict[str, int]:
    cells = document.by_id(section_id).find_all("td", **{"class": "count"})
    return {cell.attrs["data-state"]: int(cell.text) for cell in cells}


def counts_by(db, sql: str) -> dict[str, int]:
    return {row["state"]: row["count"] for row in db.execute(sql).fetchall()}


def test_page_renders_in_chromium(document):
    assert document.find_all("title")[0].text == "feeds status"
    assert document.find_all("script") == []
    assert len(document.find_all("svg", id="refresh-chart")) == 1


def test_queue_depth_matches_database(document, db):
    expected = counts_by(
        db, 'SELECT "state"::text AS state, count(*) FROM dramatiq.queue GROUP BY 1'
    )
    page_counts = page_counts_of(document, "queue-states")

    assert {k: v for k, v in page_counts.items() if v} == expected
    assert set(page_counts) == {"queued", "consumed", "rejected", "done"}


def test_schedule_states_match_database(document, db):
    expected = counts_by(db, "SELECT state, count(*) FROM feed_schedule GROUP BY 1")
    page_counts = page_counts_of(document, "schedule-states")

    assert {k: v for k, v in page_counts.items() if v} == expected


def test_fetch_statuses_match_database(document, db):
    expected = counts_by(
        db,
        "SELECT coalesce(last_fetch_status, 'never') AS state, count(*) "
        "FROM feeds GROUP BY 1",
    )

    assert page_counts_of(document, "fetch-statuses") == expected


def test_schedule_lag_matches_database(document, db, database):
    _, seeded = database
    lag_now = db.execute(
        "SELECT extract(epoch FROM now() - min(next_run_at))::float AS lag "
        "FROM feed_schedule WHERE state = 'scheduled' AND next_run_at <= now()"
    ).fetchone()["lag"]
    page_lag = float(document.by_id("lag-seconds").attrs["data-seconds"])

    assert seeded.min_lag_seconds <= page_lag <= lag_now
    assert document.by_id("due-feeds").attrs["data-count"] == "2"


def test_chart_buckets_match_database(document, db):
    buckets = document.by_id("refresh-chart").find_all("g", **{"class": "bucket"})
    starts = [datetime.fromisoformat(b.attrs["data-minute"]) for b in buckets]

    assert len(buckets) == 60
    assert all(b - a == timedelta(minutes=1) for a, b in pairwise(starts))
    for bucket, start in zip(buckets, starts, strict=True):
        row = db.execute(
            "SELECT count(*) FILTER (WHERE status = 'success') AS success, "
            "count(*) FILTER (WHERE status = 'failed') AS failed FROM feed_runs "
            "WHERE started_at >= %s AND started_at < %s + interval '1 minute'",
            (start, start),
        ).fetchone()
        bars = (int(bucket.attrs["data-success"]), int(bucket.attrs["data-failed"]))
        assert bars == (row["success"], row["failed"]), start


def test_chart_totals(document):
    successes = sum(runs[0] for runs in RUNS_BY_MINUTE.values())
    failures = sum(runs[1] for runs in RUNS_BY_MINUTE.values())

    assert document.by_id("total-success").attrs["data-count"] == str(successes)
    assert document.by_id("total-failed").attrs["data-count"] == str(failures)


def test_recent_failures_match_database(document, db):
    expected = db.execute(
        "SELECT r.feed_id::text AS feed_id, f.url, r.error_code, r.started_at "
        "FROM feed_runs r JOIN feeds f ON f.id = r.feed_id WHERE r.status = 'failed' "
        "ORDER BY r.started_at DESC, r.id DESC LIMIT 20"
    ).fetchall()
    rows = document.by_id("recent-failures").find_all("tr", **{"class": "failure"})

    assert len(rows) == 20
    for row, want in zip(rows, expected, strict=True):
        cell = {td.attrs["class"]: td for td in row.find_all("td")}
        started = datetime.fromisoformat(
            cell["started-at"].children[0].attrs["datetime"]
        )
        assert row.attrs["data-feed-id"] == want["feed_id"]
        assert cell["feed-id"].text == want["feed_id"]
        assert cell["url"].text == want["url"]
        assert cell["error-code"].text == want["error_code"]
        assert started == want["started_at"]


def test_script_url_is_text(document, database):
    _, seeded = database
    row = document.find_all("tr", data_feed_id=str(seeded.script_feed_id))[0]
    url_cell = row.find_all("td", **{"class": "url"})[0]

    assert url_cell.text == SCRIPT_URL
    assert url_cell.children == []
    assert document.find_all("script") == []


def test_screenshot(page_url):
    SCREENSHOT_PATH.parent.mkdir(parents=True, exist_ok=True)
    SCREENSHOT_PATH.unlink(missing_ok=True)

    browser.screenshot(page_url, SCREENSHOT_PATH, width=WIDTH, height=HEIGHT)

    with Image.open(SCREENSHOT_PATH) as image:
        image.load()
        assert image.format == "PNG"
        assert image.size == (WIDTH, HEIGHT)
        rgb = image.convert("RGB")
    variance = ImageStat.Stat(rgb.convert("L")).var[0]
    assert variance > MIN_VARIANCE, f"the page looks blank: {SCREENSHOT_PATH}"
    assert_chart_painted(rgb)


def assert_chart_painted(image: Image.Image) -> None:
    """Check that both bar colors cover a chart-wide area of the screenshot.

    The seeded runs give 14 successes and 7 failures. At an axis maximum of 8
    their bars cover 3850 and 1925 pixels, and each legend swatch adds 100.
    """
    success = pixels_of(image, SUCCESS_COLOR)
    failed = pixels_of(image, FAILED_COLOR)
    success_x = [x for x, _ in success]

    assert len(success) > 3000, f"too few success bar pixels: {SCREENSHOT_PATH}"
    assert len(failed) > 1500, f"too few failure bar pixels: {SCREENSHOT_PATH}"
    # The bars 0 and 58 minutes ago sit at the two ends of the 900 pixel plot.
    assert max(success_x) - min(success_x) > 800, "the chart is not full width"


def pixels_of(image: Image.Image, color: str) -> list[tuple[int, int]]:
    """Return the (x, y) of every pixel within COLOR_TOLERANCE of ``color``."""
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    data = image.tobytes()
    width = image.width
    return [
        (index // 3 % width, index // 3 // width)
        for index in range(0, len(data), 3)
        if abs(data[index] - red) <= COLOR_TOLERANCE
        and abs(data[index + 1] - green) <= COLOR_TOLERANCE
        and abs(data[index + 2] - blue) <= COLOR_TOLERANCE
    ]
