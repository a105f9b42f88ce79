"""POST and GET /api/opml against a real database."""

import pytest

from feeds import opml, subscriptions
from feeds.api import opml as opml_api
from tests.api.tokens import auth_headers
from tests.opml_documents import (
    BILLION_LAUGHS,
    EXTERNAL_ENTITY,
    MALFORMED,
    NESTED,
    NESTED_FEEDS,
    OPML_1,
    build_opml,
    generated_opml,
)

OPML_TYPE = "text/x-opml"


def post_opml(client, headers, document: bytes, content_type: str = OPML_TYPE):
    return client.simulate_post(
        "/api/opml",
        body=document,
        headers={**headers, "Content-Type": content_type},
    )


def feeds_of(conn, user_id) -> list[dict]:
    return conn.execute(
        "SELECT f.url, f.title, s.state, s.next_run_at <= now() AS due "
        "FROM feeds f LEFT JOIN feed_schedule s ON s.feed_id = f.id "
        "WHERE f.user_id = %s ORDER BY f.created_at, f.url",
        (user_id,),
    ).fetchall()


def count_feeds(conn) -> int:
    return conn.execute("SELECT count(*) AS n FROM feeds").fetchone()["n"]


# -- import -----------------------------------------------------------------------


def test_import_walks_nested_outlines(client, headers, conn, user_id):
    result = post_opml(client, headers, NESTED)

    assert result.status_code == 200, result.json
    body = result.json
    assert (body["created"], body["skipped"], body["invalid"]) == (3, 0, 0)
    assert [(e["line"], e["url"]) for e in body["entries"]] == [
        (line, url) for line, url, _ in NESTED_FEEDS
    ]
    assert {e["status"] for e in body["entries"]} == {"created"}
    assert all(e["reason"] is None for e in body["entries"])
    assert all(e["feed_id"] for e in body["entries"])

    stored = {row["url"]: row for row in feeds_of(conn, user_id)}
    assert {url: stored[url]["title"] for _, url, _ in NESTED_FEEDS} == {
        url: title for _, url, title in NESTED_FEEDS
    }
    for row in stored.values():
        assert row["state"] == "scheduled"
        assert row["due"] is True


def test_import_opml_1_latin_1(client, headers, conn, user_id):
    result = post_opml(client, headers, OPML_1, "text/xml")

    assert result.status_code == 200, result.json
    assert result.json["created"] == 1
    [feed] = feeds_of(conn, user_id)
    assert feed["url"] == "http://cafe.example.com/index.xml"
    assert feed["title"] == "Café notes"


def test_import_reports_duplicates(client, headers, conn, user_id, feed):
    document = build_opml(
        [
            ("https://example.com/feed.xml", "Already there"),
            ("https://new.example.com/a.xml", "New"),
            ("https://new.example.com/a.xml", "New again"),
            ("  https://new.example.com/a.xml ", "Padded"),
        ]
    )

    result = post_opml(client, headers, document)

    assert result.status_code == 200
    body = result.json
    assert (body["created"], body["skipped"], body["invalid"]) == (1, 3, 0)
    entries = body["entries"]
    assert [(e["line"], e["status"]) for e in entries] == [
        (4, "skipped"),
        (5, "created"),
        (6, "skipped"),
        (7, "skipped"),
    ]
    assert entries[0]["reason"] == "already subscribed"
    assert entries[2]["reason"] == "repeated in the document (first at line 5)"
    assert entries[3]["reason"] == "repeated in the document (first at line 5)"
    assert len(feeds_of(conn, user_id)) == 2


def test_import_reports_invalid_urls(client, headers, conn, user_id):
    too_long = "https://example.com/" + "a" * 2100
    document = build_opml(
        [
            ("ftp://files.example.com/feed.xml", "FTP"),
            ("/relative/feed.xml", "Relative"),
            ("", "Empty"),
            (too_long, "Long"),
            ("https://ok.example.com/feed.xml", "Fine"),
            ("https:///no-host", "No host"),
        ]
    )

    result = post_opml(client, headers, document)

    assert result.status_code == 200
    body = result.json
    assert (body["created"], body["skipped"], body["invalid"]) == (1, 0, 5)
    invalid = {e["line"]: e for e in body["entries"] if e["status"] == "invalid"}
    assert sorted(invalid) == [4, 5, 6, 7, 9]
    assert invalid[4]["reason"] == "URL must use the http or https scheme"
    assert invalid[4]["url"] == "ftp://files.example.com/feed.xml"
    assert invalid[5]["reason"] == "URL must use the http or https scheme"
    assert invalid[6]["reason"] == "xmlUrl is empty"
    assert invalid[7]["reason"] == "URL is longer than 2048 characters"
    assert invalid[9]["reason"] == "URL must be absolute and include a host"
    assert [f["url"] for f in feeds_of(conn, user_id)] == [
        "https://ok.example.com/feed.xml"
    ]


def test_import_titles(client, headers, conn, user_id):
    document = build_opml(
        [
            ("https://a.example.com/feed.xml", "x" * 600),
            ("https://b.example.com/feed.xml", None),
            ("https://c.example.com/feed.xml", "  Spaced  "),
        ]
    )

    assert post_opml(client, headers, document).status_code == 200

    titles = {f["url"]: f["title"] for f in feeds_of(conn, user_id)}
    assert titles["https://a.example.com/feed.xml"] == "x" * 500
    assert titles["https://b.example.com/feed.xml"] is None
    assert titles["https://c.example.com/feed.xml"] == "Spaced"


def test_import_large_document(client, headers, conn, user_id):
    document = generated_opml(1000)

    result = post_opml(client, headers, document)

    assert result.status_code == 200
    assert result.json["created"] == 1000
    assert len(result.json["entries"]) == 1000
    assert result.json["entries"][0]["line"] == 5
    # Three header lines, ten category openings and nine closings come first.
    assert result.json["entries"][-1]["line"] == 1022
    assert len(feeds_of(conn, user_id)) == 1000
    scheduled = conn.execute(
        "SELECT count(*) AS n FROM feed_schedule WHERE state = 'scheduled'"
    ).fetchone()["n"]
    assert scheduled == 1000


def test_import_malformed_creates_nothing(client, headers, conn):
    result = post_opml(client, headers, MALFORMED)

    assert result.status_code == 400
    assert result.json["title"] == "Malformed OPML"
    assert "line 6" in result.json["description"]
    assert "mismatched tag" in result.json["description"]
    assert count_feeds(conn) == 0


@pytest.mark.parametrize(
    "document",
    [BILLION_LAUGHS, EXTERNAL_ENTITY],
    ids=["entity-expansion", "external-entity"],
)
def test_import_rejects_doctype(client, headers, conn, document):
    result = post_opml(client, headers, document)

    assert result.status_code == 400
    assert "DOCTYPE" in result.json["description"]
    assert count_feeds(conn) == 0


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (b"", "no element found"),
        (b"<rss><channel/></rss>", "not <opml>"),
        (b'<opml version="2.0"><head/></opml>', "no <body>"),
        (b"not xml at all", "syntax error"),
    ],
    ids=["empty", "rss", "no-body", "text"],
)
def test_import_rejects_non_opml(client, headers, document, problem):
    result = post_opml(client, headers, document)

    assert result.status_code == 400
    assert problem in result.json["description"]


def test_import_error_mid_way_creates_nothing(client, headers, conn, monkeypatch):
    create_feed = subscriptions.create_feed
    calls = []

    def failing_create(*args, **kwargs):
        calls.append(args)
        if len(calls) == 3:
            raise RuntimeError("database went away")
        return create_feed(*args, **kwargs)

    monkeypatch.setattr(subscriptions, "create_feed", failing_create)

    result = post_opml(client, headers, generated_opml(10))

    assert result.status_code == 500
    assert len(calls) == 3
    assert count_feeds(conn) == 0
    assert conn.execute("SELECT count(*) AS n FROM feed_schedule").fetchone()["n"] == 0


@pytest.mark.parametrize(
    "content_type", ["text/x-opml; charset=utf-8", "application/xml", "text/xml"]
)
def test_import_accepts_xml_media_types(client, headers, content_type):
    result = post_opml(client, headers, NESTED, content_type)

    assert result.status_code == 200
    assert result.json["created"] == 3


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", ""])
def test_import_rejects_other_media_types(client, headers, conn, content_type):
    result = post_opml(client, headers, NESTED, content_type)

    assert result.status_code == 415
    assert count_feeds(conn) == 0


def test_import_rejects_large_body(client, headers, conn):
    document = build_opml([("https://a.example.com/feed.xml", "A")])
    padding = b"<!-- " + b"x" * opml_api.MAX_OPML_BYTES + b" -->\n"

    result = post_opml(client, headers, padding + document)

    assert result.status_code == 413
    assert count_feeds(conn) == 0


def test_import_at_size_limit(client, headers):
    document = build_opml([("https://a.example.com/feed.xml", "A")])
    filler = opml_api.MAX_OPML_BYTES - len(document) - len(b"<!--  -->")
    padded = document + b"<!-- " + b"x" * filler + b" -->"
    assert len(padded) == opml_api.MAX_OPML_BYTES

    result = post_opml(client, headers, padded)

    assert result.status_code == 200
    assert result.json["created"] == 1


# -- export -----------------------------------------------------------------------


def test_export_lists_feeds(client, headers, feed):
    result = client.simulate_get("/api/opml", headers=headers)

    assert result.status_code == 200
    assert result.headers["Content-Type"] == "text/x-opml; charset=utf-8"
    assert result.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert b'<opml version="2.0">' in result.content
    [outline] = opml.parse_outlines(result.content)
    assert outline.url == "https://example.com/feed.xml"
    assert outline.title == "Example"
    assert b'type="rss"' in result.content
    assert b'text="Example" title="Example"' in result.content


def test_export_of_no_feeds(client, headers):
    result = client.simulate_get("/api/opml", headers=headers)

    assert result.status_code == 200
    assert opml.parse_outlines(result.content) == []


def test_export_omits_other_users_feeds(client, headers, other_headers, feed):
    client.simulate_post(
        "/api/feeds",
        json={"url": "https://private.example.com/feed.xml", "title": "Private"},
        headers=other_headers,
    )

    mine = client.simulate_get("/api/opml", headers=headers)
    theirs = client.simulate_get("/api/opml", headers=other_headers)

    assert [o.url for o in opml.parse_outlines(mine.content)] == [feed["url"]]
    assert b"private.example.com" not in mine.content
    assert [o.url for o in opml.parse_outlines(theirs.content)] == [
        "https://private.example.com/feed.xml"
    ]


def test_export_import_round_trip(client, headers, other_user_id, conn):
    assert post_opml(client, headers, NESTED).status_code == 200
    exported = client.simulate_get("/api/opml", headers=headers).content

    other = auth_headers(other_user_id)
    imported = post_opml(client, other, exported)
    again = post_opml(client, headers, exported)

    assert imported.json["created"] == 3
    assert again.json["skipped"] == 3
    assert again.json["created"] == 0
    assert {(f["url"], f["title"]) for f in feeds_of(conn, other_user_id)} == {
        (url, title) for _, url, title in NESTED_FEEDS
    }


# -- authentication -----------------------------------------------------------------


def test_opml_requires_token(client, conn):
    export = client.simulate_get("/api/opml")
    upload = client.simulate_post(
        "/api/opml", body=NESTED, headers={"Content-Type": OPML_TYPE}
    )

    assert export.status_code == 401
    assert upload.status_code == 401
    assert export.headers["WWW-Authenticate"] == "Bearer"
    assert count_feeds(conn) == 0
