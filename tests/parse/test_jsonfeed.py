"""JSON Feed 1.0 and 1.1, detected by content rather than by Content-Type."""

import json
from datetime import UTC, datetime

import pytest

from feeds.errors import NotAFeed, ParseError
from feeds.parse import parse_feed

from .support import FETCHED_AT

FEED_URL = "https://blog.example.org/feeds/feed.json"

FEED_1_1 = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "Example &amp; Co",
    "home_page_url": "/",
    "authors": [{"name": "Feed Author"}],
    "items": [
        {
            "id": "1",
            "url": "../posts/one",
            "title": "First post",
            "content_html": '<p>Hi <a href="two">there</a></p><script>x()</script>',
            "summary": "A short summary.",
            "image": "/img/one.png",
            "date_published": "2024-05-01T10:00:00+02:00",
            "authors": [{"name": "Item Author"}],
        },
        {
            "id": 2,
            "external_url": "https://elsewhere.example/story",
            "content_text": "Plain <text> & more",
            "date_modified": "2024-05-02T08:00:00Z",
            "attachments": [
                {"url": "https://cdn.example.org/a.mp3", "mime_type": "audio/mpeg"},
                {"url": "/cover.jpg", "mime_type": "image/jpeg"},
            ],
        },
    ],
}

FEED_1_0 = {
    "version": "https://jsonfeed.org/version/1",
    "title": "Old style",
    "author": {"name": "Solo Writer"},
    "items": [
        {
            "id": "a",
            "url": "https://old.example/a",
            "title": "A",
            "content_text": "Text.",
            "banner_image": "https://old.example/banner.png",
            "author": {"name": "Guest"},
        },
        {"id": "b", "url": "https://old.example/b", "title": "B"},
    ],
}


def parse_json(document: object, content_type: str | None = "application/feed+json"):
    body = json.dumps(document).encode("utf-8")
    return parse_feed(body, FEED_URL, content_type=content_type, fetched_at=FETCHED_AT)


def test_version_1_1_feed_fields():
    feed = parse_json(FEED_1_1)

    assert feed.format == "json1.1"
    assert feed.title == "Example & Co"
    assert feed.link == "https://blog.example.org/"


def test_version_1_0_format():
    assert parse_json(FEED_1_0).format == "json1.0"


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("https://jsonfeed.org/version/1/", "json1.0"),
        ("http://jsonfeed.org/version/1.1", "json1.1"),
        ("https://jsonfeed.org/version/2", "json2.0"),
    ],
)
def test_version_url_variants(version, expected):
    feed = parse_json({"version": version, "items": []})

    assert feed.format == expected


def test_item_fields():
    entry = parse_json(FEED_1_1).entries[0]

    assert entry.entry_id == "1"
    assert entry.key == "https://blog.example.org/posts/one"
    assert entry.title == "First post"
    assert entry.url == "https://blog.example.org/posts/one"
    assert entry.summary == "A short summary."
    assert entry.author == "Item Author"
    assert entry.published_at == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    assert entry.thumbnail == "https://blog.example.org/img/one.png"


def test_content_html_is_sanitized_and_resolved():
    entry = parse_json(FEED_1_1).entries[0]

    assert entry.content == (
        '<p>Hi <a href="https://blog.example.org/feeds/two">there</a></p>'
    )


def test_content_text_is_escaped():
    entry = parse_json(FEED_1_1).entries[1]

    assert entry.content == "Plain &lt;text&gt; &amp; more"


def test_item_fallbacks():
    entry = parse_json(FEED_1_1).entries[1]

    assert entry.entry_id == "2", "a numeric id is coerced to a string"
    assert entry.url == "https://elsewhere.example/story"
    assert entry.title == "Untitled"
    assert entry.author == "Feed Author", "items inherit the feed's authors"
    assert entry.published_at == datetime(2024, 5, 2, 8, 0, tzinfo=UTC)
    assert entry.thumbnail == "https://blog.example.org/cover.jpg"


def test_version_1_0_authors_and_banner():
    first, second = parse_json(FEED_1_0).entries

    assert first.author == "Guest"
    assert second.author == "Solo Writer"
    assert first.thumbnail == "https://old.example/banner.png"
    assert first.content == "Text."


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/json", "text/html"]
)
def test_detected_by_content(content_type):
    feed = parse_json(FEED_1_0, content_type=content_type)

    assert feed.format == "json1.0"
    assert len(feed.entries) == 2


def test_leading_whitespace_and_bom():
    body = b"\xef\xbb\xbf \n" + json.dumps(FEED_1_0).encode("utf-8")

    feed = parse_feed(body, FEED_URL, fetched_at=FETCHED_AT)

    assert len(feed.entries) == 2


def test_invalid_json_feed_raises_parse_error():
    body = json.dumps(FEED_1_1).encode("utf-8")[:-20]

    with pytest.raises(ParseError) as raised:
        parse_feed(body, FEED_URL, fetched_at=FETCHED_AT)

    assert type(raised.value) is ParseError, "truncated JSON is unreadable"
    assert raised.value.url == FEED_URL


def test_other_json_raises_not_a_feed():
    with pytest.raises(NotAFeed):
        parse_json({"version": "2.0", "items": []})


def test_json_array_raises_not_a_feed():
    with pytest.raises(NotAFeed):
        parse_json([1, 2, 3])


def test_missing_items_raises_parse_error():
    document = {"version": "https://jsonfeed.org/version/1.1", "items": "none"}

    with pytest.raises(ParseError) as raised:
        parse_json(document)

    assert type(raised.value) is ParseError


def test_empty_items_give_empty_feed():
    feed = parse_json({"version": "https://jsonfeed.org/version/1.1", "items": []})

    assert feed.entries == []


def test_wrong_value_types_are_ignored():
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": ["not", "text"],
        "items": [
            {
                "id": True,
                "url": 12,
                "title": {"a": 1},
                "content_html": False,
                "date_published": "not a date",
                "authors": "nobody",
                "attachments": ["x", {"url": ""}],
            },
            "not an item",
        ],
    }

    feed = parse_json(document)

    assert feed.title is None
    assert len(feed.entries) == 1
    entry = feed.entries[0]
    assert (entry.entry_id, entry.url, entry.title) == (None, None, "Untitled")
    assert entry.published_at is None
    assert entry.key.startswith("sha256:")


def test_duplicate_ids_keep_first_item():
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "items": [{"id": "x", "title": "one"}, {"id": "x", "title": "two"}],
    }

    assert [entry.title for entry in parse_json(document).entries] == ["one"]


def test_deeply_nested_json_raises_parse_error():
    body = b'{"version": "https://jsonfeed.org/version/1.1", "items": ' + b"[" * 100_000

    with pytest.raises(ParseError):
        parse_feed(body, FEED_URL, fetched_at=FETCHED_AT)


def test_control_characters_removed_from_json_text():
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "items": [{"id": "1", "title": "A\u0001B", "content_text": "c\u0008d"}],
    }

    entry = parse_json(document).entries[0]

    assert entry.title == "AB"
    assert entry.content == "cd"
