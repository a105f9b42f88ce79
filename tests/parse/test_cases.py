"""Each case file parsed as served over HTTP, checked against its expected values.

The cases are small invented feeds, each reproducing a kind of fault that broke
other feed readers. Some expected values concern storage, such as first-seen
times and counts across fetches. For those, the tests check the parser's part:
no date, and identical keys when the same bytes are fetched again.
"""

from dataclasses import dataclass
from datetime import datetime

import pytest

from feeds.parse import ParsedFeed, parse_feed

from .support import ATOM_TYPE, CASES_DIR, FETCHED_AT, RSS_TYPE


@dataclass(frozen=True)
class Served:
    """How a case file is served: the feed's final URL and its Content-Type."""

    url: str
    content_type: str


CASES = {
    "01-no-guid-stable-links.xml": Served("https://example.org/news/feed", RSS_TYPE),
    "03-empty-guid.xml": Served("https://example.com/feed", RSS_TYPE),
    "05-same-guid-invalid-date.xml": Served(
        "https://example.com/changelog.xml", RSS_TYPE
    ),
    "06-unescaped-ampersand.xml": Served("https://example.org/feed", RSS_TYPE),
    "08-control-characters.xml": Served("https://example.com/feed", RSS_TYPE),
    "09-utf8-bom.xml": Served("https://example.org/feed", RSS_TYPE),
    "10-charset-missing-text-xml.xml": Served("https://example.org/feed", "text/xml"),
    "12-windows-1251.xml": Served("https://example.net/feed", "application/rss+xml"),
    "13-xml-base-entry-relative.xml": Served(
        "https://example.org/journal/feed.atom", ATOM_TYPE
    ),
    "15-relative-links-no-base.xml": Served(
        "https://example.net/site/atom.xml", ATOM_TYPE
    ),
    "17-atom-xhtml-content.xml": Served("https://example.org/feed.atom", ATOM_TYPE),
    "18-media-group-thumbnail.xml": Served(
        "https://video.example.com/feeds/videos.xml?channel_id=UC0000example",
        ATOM_TYPE,
    ),
    "21-date-named-timezones.xml": Served("https://example.org/feed", RSS_TYPE),
    "23-no-dates.xml": Served("https://example.com/comic/feed", RSS_TYPE),
    "26-atom-served-as-html.xml": Served(
        "https://example.com/blog/feed?format=atom", "text/html"
    ),
}

FEED_TITLES = {
    "01-no-guid-stable-links.xml": "Harbor Notes",
    "06-unescaped-ampersand.xml": "Games & Policy Weekly",
    "09-utf8-bom.xml": "Café BOM",
    "10-charset-missing-text-xml.xml": "Café Noël",
    "12-windows-1251.xml": "Новости дня",
    "13-xml-base-entry-relative.xml": "Field Journal",
    "17-atom-xhtml-content.xml": "Critical Notes",
    "18-media-group-thumbnail.xml": "Example Channel",
    "26-atom-served-as-html.xml": "Mail Provider Blog",
}


def parse_case(name: str, content_type: str | None = None) -> ParsedFeed:
    served = CASES[name]
    return parse_feed(
        (CASES_DIR / name).read_bytes(),
        served.url,
        content_type=content_type or served.content_type,
        fetched_at=FETCHED_AT,
    )


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_every_case_file_has_serving_rules():
    assert CASES_DIR.is_dir(), f"shared test data not found at {CASES_DIR}"

    files = {path.name for path in CASES_DIR.glob("*.xml")}
    assert files == set(CASES), "case files and the CASES table differ"


@pytest.mark.parametrize("name", sorted(FEED_TITLES))
def test_case_feed_title(name):
    assert parse_case(name).title == FEED_TITLES[name]


def test_no_guid_entries_keyed_by_link():
    feed = parse_case("01-no-guid-stable-links.xml")

    assert [entry.title for entry in feed.entries] == [
        "Tide tables updated",
        "Pier 4 reopens",
        "Ferry timetable",
    ]
    assert [entry.url for entry in feed.entries] == [
        "https://example.org/news/1",
        "https://example.org/news/2",
        "https://example.org/news/3",
    ]
    assert [entry.key for entry in feed.entries] == [
        entry.url for entry in feed.entries
    ]
    assert [entry.entry_id for entry in feed.entries] == [None, None, None]


def test_no_guid_entries_content_and_dates():
    feed = parse_case("01-no-guid-stable-links.xml")

    assert feed.entries[0].content == "New tide tables are online."
    assert [entry.published_at for entry in feed.entries] == [
        utc("2024-01-02T03:04:05+00:00"),
        utc("2024-01-03T08:00:00+00:00"),
        utc("2024-01-04T12:30:00+00:00"),
    ]


@pytest.mark.parametrize(
    "name",
    [
        "01-no-guid-stable-links.xml",
        "05-same-guid-invalid-date.xml",
        "23-no-dates.xml",
    ],
)
def test_refetch_gives_same_entries(name):
    first = parse_case(name)
    second = parse_case(name)

    assert [entry.key for entry in second.entries] == [
        entry.key for entry in first.entries
    ]
    assert second.entries == first.entries


def test_empty_guid_is_never_an_id():
    feed = parse_case("03-empty-guid.xml")

    assert [entry.url for entry in feed.entries] == [
        "https://example.com/guides/undo-send",
        "https://example.com/guides/battery",
        "https://example.com/guides/screens",
    ]
    assert feed.entries[0].entry_id is None, "an empty <guid> must give no id"
    assert feed.entries[1].entry_id is None, "an empty <guid/> must give no id"
    assert len({entry.key for entry in feed.entries}) == 3


def test_shared_guid_keeps_first_entry():
    feed = parse_case("05-same-guid-invalid-date.xml")

    assert len(feed.entries) == 1, "three items with one guid and link are one"
    assert feed.entries[0].url == "https://example.com/changelog/"
    assert feed.entries[0].title == "Version 2.1.0"


def test_invalid_date_gives_no_published_time():
    feed = parse_case("05-same-guid-invalid-date.xml")

    assert feed.entries[0].published_at is None, "storage keeps the first-seen time"


def test_bare_ampersand_keeps_title_and_link():
    feed = parse_case("06-unescaped-ampersand.xml")
    entry = feed.entries[0]

    assert len(feed.entries) == 2
    assert entry.title == "Starting a D&D club at school", "no ';' may be inserted"
    assert entry.url == "https://example.org/articles/dnd-club?ref=rss&utm_source=feed"
    assert entry.content == "Dice, maps & snacks."
    assert entry.published_at == utc("2019-08-09T13:38:00+00:00")


def test_control_characters_removed():
    feed = parse_case("08-control-characters.xml")

    assert [entry.title for entry in feed.entries] == [
        "Kerning basics",
        "Dashes — a field guide",
    ]
    assert feed.entries[0].content == "Letters need space between them."


def test_utf8_byte_order_mark():
    feed = parse_case("09-utf8-bom.xml")

    assert len(feed.entries) == 1
    assert feed.entries[0].title == "Crème fraîche"
    assert feed.entries[0].url == "https://example.org/a/1"
    assert feed.entries[0].published_at == utc("2020-10-01T12:00:00+00:00")


def test_prolog_encoding_beats_text_xml_default():
    entry = parse_case("10-charset-missing-text-xml.xml").entries[0]

    assert entry.title == "Fête de la musique à Zürich"
    assert entry.content == "Grüße aus der Schweiz."
    assert entry.published_at == utc("2014-06-21T16:00:00+00:00")


def test_windows_1251_declared_in_prolog():
    entry = parse_case("12-windows-1251.xml").entries[0]

    assert entry.title == "Погода на выходные"
    assert entry.content == "Ожидается солнце."
    assert entry.published_at == utc("2015-05-25T06:00:00+00:00")


def test_windows_1251_served_as_text_xml():
    entry = parse_case("12-windows-1251.xml", content_type="text/xml").entries[0]

    assert entry.title == "Погода на выходные"


def test_xml_base_resolves_entry_links():
    feed = parse_case("13-xml-base-entry-relative.xml")

    assert [entry.url for entry in feed.entries] == [
        "https://example.org/journal/When/2024/01/02/Single-Point-of-Failure",
        "https://example.org/journal/When/2023/12/31/Year-End",
    ]


def test_xml_base_resolves_links_in_content():
    entry = parse_case("13-xml-base-entry-relative.xml").entries[0]

    assert entry.content == (
        '<p>See <a href="https://example.org/journal/When/2024/01/02/photo.jpg">'
        "the photo</a>.</p>"
    )


def test_atom_published_then_updated():
    feed = parse_case("13-xml-base-entry-relative.xml")

    assert feed.entries[0].published_at == utc("2024-01-02T03:04:05+00:00")
    assert feed.entries[1].published_at == utc("2023-12-31T23:00:00+00:00"), (
        "an entry with only <updated> takes that date"
    )


def test_atom_entry_inherits_feed_author():
    feed = parse_case("13-xml-base-entry-relative.xml")

    assert [entry.author for entry in feed.entries] == [
        "Field Journal",
        "Field Journal",
    ]


def test_relative_links_resolve_against_feed_url():
    feed = parse_case("15-relative-links-no-base.xml")

    assert [entry.url for entry in feed.entries] == [
        "https://example.net/site/2023/03/22/notebook-structures.html",
        "https://example.net/about",
    ]


def test_xhtml_title_is_plain_text():
    entry = parse_case("17-atom-xhtml-content.xml").entries[0]

    assert entry.title == "Less is more"


def test_xhtml_content_drops_wrapper_div():
    content = parse_case("17-atom-xhtml-content.xml").entries[0].content

    assert "<div" not in content, "the xhtml wrapper div must be dropped"
    assert content.startswith(
        '<p>When the company was on the ropes, <a href="https://example.org/history">'
        "history</a> helped.</p>"
    )
    assert "<h2>Second act</h2>" in content
    assert content.endswith("<p>Then came <strong>focus</strong>.</p>")


def test_media_group_entry():
    entry = parse_case("18-media-group-thumbnail.xml").entries[0]

    assert entry.title == "Building a bird feeder"
    assert entry.url == "https://video.example.com/watch?v=abc123XYZ00"
    assert entry.author == "Example Channel"
    assert entry.published_at == utc("2018-12-23T10:15:01+00:00")
    assert entry.content == "Wood, screws and patience."
    assert entry.thumbnail == "https://img.example.com/vi/abc123XYZ00/hqdefault.jpg"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("EDT", "2025-04-21T10:00:00+00:00"),
        ("CET", "2022-02-11T18:58:02+00:00"),
        ("UT", "2019-03-22T08:24:31+00:00"),
        ("EST in summer", "2013-10-08T23:30:00+00:00"),
        ("PDT", "2024-07-11T06:15:00+00:00"),
    ],
)
def test_named_time_zone(title, expected):
    feed = parse_case("21-date-named-timezones.xml")
    published = {entry.title: entry.published_at for entry in feed.entries}

    assert published[title] == utc(expected)


def test_no_dates_anywhere():
    feed = parse_case("23-no-dates.xml")

    assert len(feed.entries) == 2
    assert [entry.published_at for entry in feed.entries] == [None, None]
    assert feed.entries[0].content == '<img src="https://example.com/comic/1204.png" />'


@pytest.mark.parametrize("content_type", ["text/html", "text/plain; charset=utf-8"])
def test_atom_served_with_wrong_content_type(content_type):
    feed = parse_case("26-atom-served-as-html.xml", content_type=content_type)

    assert [(entry.title, entry.url) for entry in feed.entries] == [
        ("Preview features", "https://example.com/blog/preview"),
        ("Maintenance", "https://example.com/blog/maintenance"),
    ]
    assert feed.entries[0].author == "Blog Team"
    assert feed.entries[0].content == "<p>Good news.</p>"
    assert feed.entries[0].published_at == utc("2026-02-06T09:00:00+00:00")
    assert feed.entries[1].author is None
    assert feed.entries[1].published_at == utc("2026-01-20T09:00:00+00:00")
