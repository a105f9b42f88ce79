"""SQL injection strings and oversized values in every request field.

Each string field of each JSON body, each query and path parameter, and the
OPML document body gets every hostile value, alone and inside a URL. A value
is either rejected with 4xx or stored verbatim, and the tables stay intact.
"""

import uuid
from collections import Counter
from urllib.parse import quote

import pytest

from feeds.api.schemas import MAX_TITLE_LENGTH
from tests.api.tokens import make_token
from tests.security.operations import DocumentedOperation, secured_operations
from tests.security.report import report_line
from tests.security.seed import user_rows
from tests.security.valid_requests import opml_document, send, unique_url, valid_body

KIB = 1024
HOSTILE_VALUES = [
    "'; DROP TABLE feeds; --",
    "' OR '1'='1",
    "$$",
    "$$; DELETE FROM articles; $$",
    "'); TRUNCATE feed_schedule; --",
    "%s%(user_id)s",
    "Ünïcödé✓日本語🦊\u202etxt.exe",
    "Ünïcödé ✓ 日本語 🦊 \u202e",
    "x" * 10 * KIB,
    "y" * KIB * KIB,
]
TABLES = [
    "feeds",
    "articles",
    "feed_schedule",
    "feed_runs",
    "domain_throttle",
    "worker_heartbeats",
    "dramatiq.queue",
]

# Body fields that the API stores, and the Feed attribute that returns them.
STORED_FIELDS = {
    ("createFeed", "url"): "url",
    ("createFeed", "title"): "title",
    ("updateFeed", "url"): "url",
    ("updateFeed", "title"): "title",
    ("scheduleFeed", "feed_url"): "url",
    ("scheduleFeed", "feed_title"): "title",
}
# Bodies whose string fields are all set, so each field's value is stored.
STORING_BODIES = {
    "createFeed": lambda: {"url": unique_url("created"), "title": "Created"},
    "updateFeed": lambda: {"url": unique_url("updated"), "title": "Updated"},
    "scheduleFeed": lambda: {
        "feed_id": str(uuid.uuid4()),
        "feed_url": unique_url("scheduled"),
        "feed_title": "Scheduled",
        "last_fetched": "2024-05-01T12:00:00Z",
    },
}


def hostile_variants(label: str) -> list[str]:
    """Return each hostile value alone and as the query of a feed URL.

    ``label`` goes into the URL's path, so fields of different tests never
    send the same URL and run into the user's unique URL constraint.
    """
    variants = list(HOSTILE_VALUES)
    variants += [
        f"https://example.com/{label}.xml?q={value}" for value in HOSTILE_VALUES
    ]
    return variants


def field_cases() -> list[tuple[DocumentedOperation, str, str]]:
    """Return (operation, location, name) for every field a client controls."""
    cases = []
    for operation in secured_operations():
        for name in operation.string_body_fields():
            cases.append((operation, "body", name))
        for location in ("query", "path"):
            for name in operation.parameters(location):
                cases.append((operation, location, name))
        if operation.body_media_types and not operation.takes_json_body:
            cases.append((operation, "document", "body"))
    return cases


def case_id(case: tuple[DocumentedOperation, str, str]) -> str:
    operation, location, name = case
    return f"{operation}-{location}-{name}"


@pytest.fixture(scope="module")
def tally(request):
    counts: Counter[str] = Counter()
    yield counts
    report_line(
        request.config,
        f"hostile input: {counts['fields']} fields, {counts['requests']} requests, "
        f"{counts['rejected']} rejected with 4xx, {counts['stored']} stored verbatim",
    )


@pytest.fixture
def headers(attacker) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(attacker.id)}"}


@pytest.mark.parametrize("case", field_cases(), ids=case_id)
def test_hostile_values_rejected_or_stored(
    module_client, module_conn, victim, attacker, headers, case, tally
):
    operation, location, name = case
    victim_before = user_rows(module_conn, victim.id)
    articles_before = row_count(module_conn, "articles")

    for value in hostile_variants(case_id(case)):
        result, feed_id = send_hostile(
            module_client, operation, location, name, value, attacker, headers
        )
        label = f"{value[:60]!r} ({len(value)} chars)"
        assert result.status_code < 500, label
        tally["requests"] += 1
        if result.status_code >= 400:
            tally["rejected"] += 1
            continue

        assert 200 <= result.status_code < 300, label
        assert_stored_verbatim(
            module_client, module_conn, operation, (location, name), value, feed_id
        )
        tally["stored"] += 1

    assert_tables_intact(module_conn)
    assert row_count(module_conn, "articles") == articles_before
    assert user_rows(module_conn, victim.id) == victim_before
    tally["fields"] += 1


def send_hostile(client, operation, location, name, value, attacker, headers):
    """Send a valid request with one field replaced; return it and its feed id."""
    feed_id = attacker.feeds[0].id
    path = operation.path_for(feed_id)
    params = None
    body = valid_body(operation, feed_id)
    if operation.operation_id in STORING_BODIES:
        body = STORING_BODIES[operation.operation_id]()

    if location == "body":
        body[name] = value
    elif location == "query":
        params = {name: value}
    elif location == "path":
        path = operation.path.replace("{" + name + "}", quote(value, safe=""))
    elif location == "document":
        body = value
    result = send(
        client, operation, path=path, headers=headers, body=body, params=params
    )

    if result.status_code >= 300:
        return result, None
    if operation.operation_id == "createFeed":
        feed_id = uuid.UUID(result.json["id"])
    elif operation.operation_id == "scheduleFeed":
        feed_id = uuid.UUID(body["feed_id"])
    return result, feed_id


def assert_stored_verbatim(client, conn, operation, field, value, feed_id) -> None:
    location, name = field
    attribute = STORED_FIELDS.get((operation.operation_id, name))
    accepted = f"{operation} accepted {value[:60]!r} in {location} field {name}"
    assert location == "body", accepted
    assert attribute is not None, (
        f"{accepted}: name the Feed attribute that stores it in STORED_FIELDS, "
        "or reject the value"
    )
    row = conn.execute(f"SELECT {attribute} FROM feeds WHERE id = %s", (feed_id,))
    assert row.fetchone()[attribute] == value

    owner = conn.execute("SELECT user_id FROM feeds WHERE id = %s", (feed_id,))
    token = make_token(owner.fetchone()["user_id"])
    read_back = client.simulate_get(
        f"/api/feeds/{feed_id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert read_back.json[attribute] == value


def assert_tables_intact(conn) -> None:
    for table in TABLES:
        row = conn.execute("SELECT to_regclass(%s) AS oid", (table,)).fetchone()
        assert row["oid"] is not None, table
    orphans = conn.execute(
        "SELECT count(*) AS n FROM feeds f "
        "WHERE NOT EXISTS (SELECT 1 FROM feed_schedule s WHERE s.feed_id = f.id)"
    ).fetchone()
    assert orphans["n"] == 0


def row_count(conn, table: str) -> int:
    return conn.execute(f"SELECT count(*) AS n FROM {table}").fetchone()["n"]


@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=lambda value: value[:24])
def test_opml_outline_values_stored_verbatim(
    module_client, module_conn, victim, headers, value
):
    """Hostile outline attributes end up invalid or stored as written.

    A title longer than the API's limit is cut to that limit on import.
    """
    victim_before = user_rows(module_conn, victim.id)
    title_url = unique_url("outline-title")
    titled = import_outline(module_client, headers, title_url, value)
    url = f"https://example.com/outline-url.xml?q={value}"
    linked = import_outline(module_client, headers, url, "Outline")

    assert titled["status"] == "created"
    assert stored_feed(module_conn, titled) == {
        "url": title_url,
        "title": value[:MAX_TITLE_LENGTH],
    }
    if linked["status"] == "created":
        assert stored_feed(module_conn, linked) == {"url": url, "title": "Outline"}
    else:
        assert linked["status"] == "invalid"
    assert_tables_intact(module_conn)
    assert user_rows(module_conn, victim.id) == victim_before


def import_outline(client, headers, url: str, title: str) -> dict:
    """Import a one-outline OPML document and return the outline's entry."""
    result = client.simulate_post(
        "/api/opml",
        body=opml_document(url, title),
        headers={**headers, "Content-Type": "text/x-opml"},
    )
    assert result.status_code == 200, result.text[:500]
    (entry,) = result.json["entries"]
    return entry


def stored_feed(conn, entry: dict) -> dict:
    return conn.execute(
        "SELECT url, title FROM feeds WHERE id = %s", (entry["feed_id"],)
    ).fetchone()
