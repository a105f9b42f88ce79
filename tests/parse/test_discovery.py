"""Feed discovery in HTML pages, and pages passed where a feed was expected."""

import pytest

from feeds.errors import NotAFeed, ParseError
from feeds.parse import discover_feed_links, parse_feed

from .support import FETCHED_AT

PAGE_URL = "https://www.example.com/blog/post.html"


def page(head: str, body: str = "<p>Hello</p>") -> bytes:
    return (
        f"<!DOCTYPE html><html><head><title>Blog</title>{head}</head>"
        f"<body>{body}</body></html>"
    ).encode()


def test_each_feed_media_type_is_found():
    html = page(
        '<link rel="alternate" type="application/rss+xml" href="/rss.xml">'
        '<link rel="alternate" type="application/atom+xml" href="atom.xml">'
        '<link rel="alternate" type="application/feed+json" href="feed.json">'
        '<link rel="alternate" type="application/json" href="//cdn.example.com/f">'
    )

    assert discover_feed_links(html, PAGE_URL) == [
        "https://www.example.com/rss.xml",
        "https://www.example.com/blog/atom.xml",
        "https://www.example.com/blog/feed.json",
        "https://cdn.example.com/f",
    ]


def test_base_href_applies_to_all_links():
    html = page(
        '<link rel="alternate" type="application/rss+xml" href="rss.xml">'
        '<base href="/feeds/">'
    )

    assert discover_feed_links(html, PAGE_URL) == [
        "https://www.example.com/feeds/rss.xml"
    ]


def test_first_base_href_wins():
    html = page(
        '<base href="https://static.example.net/a/"><base href="/ignored/">'
        '<link rel="alternate" type="application/atom+xml" href="atom">'
    )

    assert discover_feed_links(html, PAGE_URL) == ["https://static.example.net/a/atom"]


def test_rel_and_type_matching_is_lenient():
    html = page(
        '<LINK REL="Alternate Feed" TYPE="Application/RSS+XML; charset=utf-8"'
        ' HREF="/a.xml"/>'
    )

    assert discover_feed_links(html, PAGE_URL) == ["https://www.example.com/a.xml"]


def test_other_links_are_ignored():
    html = page(
        '<link rel="stylesheet" type="text/css" href="/style.css">'
        '<link rel="alternate" type="text/html" hreflang="de" href="/de/">'
        '<link rel="alternate" type="application/rss+xml">'
        '<link rel="alternate" type="application/rss+xml" href="javascript:x()">'
        '<link rel="icon" type="application/atom+xml" href="/icon.xml">'
    )

    assert discover_feed_links(html, PAGE_URL) == []


def test_duplicates_are_listed_once():
    html = page(
        '<link rel="alternate" type="application/rss+xml" href="/rss.xml">'
        '<link rel="alternate" type="application/rss+xml" href="../rss.xml">'
    )

    assert discover_feed_links(html, PAGE_URL) == ["https://www.example.com/rss.xml"]


def test_entities_in_href_are_decoded():
    html = page(
        '<link rel="alternate" type="application/rss+xml" href="/f?a=1&amp;b=2">'
    )

    assert discover_feed_links(html, PAGE_URL) == ["https://www.example.com/f?a=1&b=2"]


def test_html_page_raises_not_a_feed():
    html = page('<link rel="alternate" type="application/rss+xml" href="/rss.xml">')

    with pytest.raises(NotAFeed) as raised:
        parse_feed(html, PAGE_URL, content_type="text/html", fetched_at=FETCHED_AT)

    assert raised.value.feed_links == ["https://www.example.com/rss.xml"]
    assert raised.value.url == PAGE_URL


def test_html_after_leading_text():
    html = b"Warning: deprecated call\n" + page(
        '<link rel="alternate" type="application/atom+xml" href="/atom">'
    )

    with pytest.raises(NotAFeed) as raised:
        parse_feed(html, PAGE_URL, fetched_at=FETCHED_AT)

    assert raised.value.feed_links == ["https://www.example.com/atom"]


def test_other_xml_raises_not_a_feed():
    body = b'<?xml version="1.0"?><sitemap><loc>https://a.example/</loc></sitemap>'

    with pytest.raises(NotAFeed) as raised:
        parse_feed(body, PAGE_URL, fetched_at=FETCHED_AT)

    assert raised.value.feed_links == []


@pytest.mark.parametrize(
    "body",
    [b"", b"  \n ", b"just some text", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"],
)
def test_non_markup_raises_parse_error(body):
    with pytest.raises(ParseError) as raised:
        parse_feed(body, PAGE_URL, fetched_at=FETCHED_AT)

    assert type(raised.value) is ParseError
