"""``feeds import FILE --user USER_ID`` against a real database."""

import sys
import uuid
from datetime import UTC, datetime

import pytest

from feeds import opml
from feeds.cli import main
from feeds.settings import get_settings
from tests.opml_documents import (
    BILLION_LAUGHS,
    MALFORMED,
    NESTED,
    NESTED_FEEDS,
    build_opml,
    generated_opml,
)


@pytest.fixture
def cli(settings, monkeypatch):
    """Run ``feeds`` with DATABASE_URL pointing at the test database."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    yield lambda *argv: main(list(argv))
    get_settings.cache_clear()


def write(tmp_path, document: bytes):
    path = tmp_path / "subscriptions.opml"
    path.write_bytes(document)
    return path


def feeds_of(conn, user_id) -> list[dict]:
    return conn.execute(
        "SELECT f.url, f.title, s.state FROM feeds f "
        "LEFT JOIN feed_schedule s ON s.feed_id = f.id WHERE f.user_id = %s",
        (user_id,),
    ).fetchall()


def test_import_creates_scheduled_feeds(cli, conn, user_id, tmp_path, capsys):
    cli("import", str(write(tmp_path, NESTED)), "--user", str(user_id))

    out = capsys.readouterr().out
    assert out.strip() == "created 3, skipped 0, invalid 0"
    stored = {row["url"]: row for row in feeds_of(conn, user_id)}
    assert {url: stored[url]["title"] for _, url, _ in NESTED_FEEDS} == {
        url: title for _, url, title in NESTED_FEEDS
    }
    assert {row["state"] for row in stored.values()} == {"scheduled"}


def test_import_lists_skipped_and_invalid(cli, conn, user_id, tmp_path, capsys):
    document = build_opml(
        [
            ("https://a.example.com/feed.xml", "A"),
            ("https://a.example.com/feed.xml", "A again"),
            ("mailto:someone@example.com", "Mail"),
        ]
    )
    path = write(tmp_path, document)

    cli("import", str(path), "--user", str(user_id))
    first = capsys.readouterr().out.splitlines()
    cli("import", str(path), "--user", str(user_id))
    second = capsys.readouterr().out.splitlines()

    assert first == [
        "line 5: skipped: https://a.example.com/feed.xml "
        "(repeated in the document (first at line 4))",
        "line 6: invalid: mailto:someone@example.com "
        "(URL must use the http or https scheme)",
        "created 1, skipped 1, invalid 1",
    ]
    assert second[0] == (
        "line 4: skipped: https://a.example.com/feed.xml (already subscribed)"
    )
    assert second[-1] == "created 0, skipped 2, invalid 1"
    assert len(feeds_of(conn, user_id)) == 1


@pytest.mark.parametrize(
    ("document", "problem"),
    [(MALFORMED, "line 6: mismatched tag"), (BILLION_LAUGHS, "DOCTYPE")],
    ids=["malformed", "doctype"],
)
def test_import_bad_document_creates_nothing(
    cli, conn, user_id, tmp_path, document, problem
):
    with pytest.raises(SystemExit) as exit_info:
        cli("import", str(write(tmp_path, document)), "--user", str(user_id))

    assert problem in str(exit_info.value)
    assert feeds_of(conn, user_id) == []


def test_import_missing_file(cli, user_id, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        cli("import", str(tmp_path / "absent.opml"), "--user", str(user_id))

    assert "cannot read" in str(exit_info.value)


def test_import_requires_user(cli, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        cli("import", str(write(tmp_path, NESTED)))

    assert exit_info.value.code == 2


def test_import_large_file_shows_progress(
    cli, conn, user_id, tmp_path, capsys, monkeypatch
):
    path = write(tmp_path, generated_opml(1000))
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)

    cli("import", str(path), "--user", str(user_id))

    captured = capsys.readouterr()
    assert captured.out.strip() == "created 1000, skipped 0, invalid 0"
    assert "1000/1000" in captured.err
    assert len(feeds_of(conn, user_id)) == 1000


def test_import_small_file_has_no_progress(cli, user_id, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)

    cli("import", str(write(tmp_path, NESTED)), "--user", str(user_id))

    assert capsys.readouterr().err == ""


def test_import_of_exported_document(cli, conn, user_id, tmp_path):
    other_user_id = uuid.uuid4()
    cli("import", str(write(tmp_path, NESTED)), "--user", str(user_id))
    exported = opml.render_opml(
        feeds_of(conn, user_id), title="Export", created=datetime.now(UTC)
    )

    cli("import", str(write(tmp_path, exported)), "--user", str(other_user_id))

    assert {(f["url"], f["title"]) for f in feeds_of(conn, other_user_id)} == {
        (url, title) for _, url, title in NESTED_FEEDS
    }
