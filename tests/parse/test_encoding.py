"""Decoding: byte order mark, HTTP charset and XML declaration reconciled."""

import codecs

import pytest

from feeds.parse import parse_feed
from feeds.parse.encoding import decode_body

from .support import FEEDS_DATA, FETCHED_AT


def feed_bytes(title: str, encoding: str, declared: str | None = None) -> bytes:
    declaration = f'<?xml version="1.0" encoding="{declared}"?>' if declared else ""
    document = (
        f'{declaration}<rss version="2.0"><channel><title>Feed</title>'
        f"<item><title>{title}</title><link>https://a.example/1</link></item>"
        "</channel></rss>"
    )
    return document.encode(encoding)


def entry_title(body: bytes, content_type: str | None) -> str:
    feed = parse_feed(
        body, "https://a.example/feed", content_type=content_type, fetched_at=FETCHED_AT
    )
    return feed.entries[0].title


def test_utf8_bom_beats_charset_and_declaration():
    body = codecs.BOM_UTF8 + feed_bytes("Crème", "utf-8", declared="ISO-8859-1")

    assert entry_title(body, "text/xml; charset=windows-1251") == "Crème"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_documents(encoding):
    body = feed_bytes("Fête", encoding, declared="utf-16")
    if encoding == "utf-16-be":
        body = codecs.BOM_UTF16_BE + body

    assert entry_title(body, "application/rss+xml") == "Fête"


def test_utf16_without_bom_is_recognised():
    body = feed_bytes("Fête", "utf-16-le", declared="utf-16")

    assert entry_title(body, None) == "Fête"


def test_declaration_beats_text_xml_without_charset():
    body = feed_bytes("Zürich", "iso-8859-1", declared="ISO-8859-1")

    assert entry_title(body, "text/xml") == "Zürich"


def test_http_charset_beats_declaration():
    body = feed_bytes("Погода", "koi8-r", declared="windows-1251")

    assert entry_title(body, "application/rss+xml; charset=KOI8-R") == "Погода"


def test_valid_utf8_beats_wrong_declaration():
    body = feed_bytes("Euro €", "utf-8", declared="windows-1252")

    assert entry_title(body, "application/rss+xml") == "Euro €"


def test_valid_utf8_beats_wrong_http_charset():
    body = feed_bytes("Crème", "utf-8", declared="utf-8")

    assert entry_title(body, "text/xml; charset=iso-8859-1") == "Crème"


def test_unknown_declared_encoding_is_ignored():
    body = feed_bytes("Crème", "utf-8", declared="bogus")

    assert entry_title(body, None) == "Crème"


def test_undeclared_latin1_read_as_windows_1252():
    body = feed_bytes("Fête à Zürich \u2019", "cp1252")

    assert entry_title(body, None) == "Fête à Zürich \u2019"


def test_latin1_label_reads_windows_1252():
    body = feed_bytes("don\u2019t", "cp1252", declared="iso-8859-1")

    assert entry_title(body, None) == "don\u2019t"


def test_stray_byte_in_utf8_text():
    body = feed_bytes("Café XYZ ok", "utf-8", declared="utf-8").replace(b"XYZ", b"\xff")

    assert entry_title(body, "application/rss+xml; charset=utf-8") == "Café \ufffd ok"


def test_stray_byte_in_ascii_text():
    body = feed_bytes("Hello XYZ world", "utf-8").replace(b"XYZ", b"\xff")

    assert entry_title(body, None) == "Hello \ufffd world"


def test_charset_parameter_forms():
    body = "Погода".encode("windows-1251")

    assert decode_body(body, 'text/xml; Charset="windows-1251"') == "Погода"
    assert decode_body(body, "text/xml;charset = windows-1251") == "Погода"


def test_shift_jis_declared_in_prolog():
    body = feed_bytes("日本語のニュース", "shift_jis", declared="Shift_JIS")

    assert entry_title(body, "application/rss+xml") == "日本語のニュース"


def test_decode_never_returns_byte_order_mark():
    assert decode_body(codecs.BOM_UTF8 + b"<rss/>") == "<rss/>"
    assert decode_body(codecs.BOM_UTF16_LE + "<rss/>".encode("utf-16-le")) == "<rss/>"


def test_non_charset_codec_names_are_ignored():
    body = b'<?xml version="1.0" encoding="unicode_escape"?><rss>\\u0041 \xe9</rss>'

    text = decode_body(body)

    assert "\\u0041" in text, "the escape must stay text, not become 'A'"


@pytest.mark.parametrize(
    ("encoding", "title"),
    [
        ("euc_kr", "오늘의 주요 뉴스와 날씨 소식입니다"),
        ("gb18030", "今天的主要新闻和天气预报消息"),
    ],
)
def test_unlabelled_east_asian_feed_is_detected(encoding, title):
    items = "".join(
        f"<item><title>{title} {n}</title><link>https://a.example/{n}</link></item>"
        for n in range(5)
    )
    document = (
        f'<rss version="2.0"><channel><title>{title}</title>{items}</channel></rss>'
    )

    feed = parse_feed(
        document.encode(encoding), "https://a.example/", fetched_at=FETCHED_AT
    )

    assert feed.title == title
    assert feed.entries[0].title == f"{title} 0"


def test_unlabelled_shift_jis_feed_is_detected():
    body = (FEEDS_DATA / "corpus/encoding/fp-chardet-shiftjis.xml").read_bytes()

    feed = parse_feed(body, "https://a.example/", fetched_at=FETCHED_AT)

    assert feed.entries[0].title == "DrecomRSSに記事投稿が反映されない…"


def test_unlabelled_western_feed_stays_windows_1252():
    document = (
        '<rss version="2.0"><channel><title>Caf\u00e9 \u201cquoted\u201d</title>'
        "<description>Cr\u00e8me br\u00fbl\u00e9e \u2013 na\u00efve</description>"
        "</channel></rss>"
    )

    feed = parse_feed(
        document.encode("cp1252"), "https://a.example/", fetched_at=FETCHED_AT
    )

    assert feed.title == "Caf\u00e9 \u201cquoted\u201d"
