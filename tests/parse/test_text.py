"""Stored text: titles, summaries, forbidden characters and XML repairs."""

import pytest

from feeds.parse.markup import prepare_xml
from feeds.parse.text import html_to_text, remove_forbidden_characters, truncate

from .support import atom, parse_text, rss


def one_entry(items: str):
    feed = parse_text(rss(items))
    assert len(feed.entries) == 1, feed.entries
    return feed.entries[0]


def test_control_characters_removed_from_every_field():
    entry = one_entry(
        "<item><title>A\x01B</title><link>https://a.example/\x02x</link>"
        "<author>Ann\x1f Lee</author><description>one\x0btwo\x0c</description>"
        '<guid isPermaLink="false">id\x7f\x08</guid></item>'
    )

    assert entry.title == "AB"
    assert entry.url == "https://a.example/x"
    assert entry.author == "Ann Lee"
    assert entry.content == "onetwo"
    assert entry.entry_id == "id\x7f", "DEL is allowed by XML and kept"


def test_control_character_references_removed():
    entry = one_entry("<item><title>A&#8;B&#x1F;C</title></item>")

    assert entry.title == "ABC"


def test_filter_keeps_tab_and_newlines():
    assert remove_forbidden_characters("a\tb\nc\rd\x00") == "a\tb\nc\rd"


def test_bare_ampersand_in_link():
    entry = one_entry(
        "<item><title>T</title><link>https://a.example/p?x=1&y=2&amp;z=3</link></item>"
    )

    assert entry.url == "https://a.example/p?x=1&y=2&z=3"


def test_bare_ampersand_in_title():
    entry = one_entry("<item><title>Fish & chips &amp; peas</title></item>")

    assert entry.title == "Fish & chips & peas"


def test_ampersand_in_cdata():
    entry = one_entry("<item><title><![CDATA[Fish & chips]]></title></item>")

    assert entry.title == "Fish & chips"


def test_html_entities_in_xml_are_decoded():
    entry = one_entry("<item><title>Caf&eacute;&nbsp;&mdash; menu</title></item>")

    assert entry.title == "Café — menu"


def test_undefined_entity_is_kept_as_text():
    entry = one_entry("<item><title>Say &bogus; twice</title></item>")

    assert entry.title == "Say &bogus; twice"


def test_doctype_plain_entity_expanded():
    document = rss("<item><title>&brand; news</title></item>").replace(
        "<rss", '<!DOCTYPE rss [<!ENTITY brand "Acme &#169;">]>\n<rss', 1
    )

    feed = parse_text(document)

    assert feed.entries[0].title == "Acme © news"


def test_prepare_xml_replaces_declaration():
    prepared = prepare_xml('\n  <?xml version="1.0" encoding="ISO-8859-1"?><rss/>')

    assert prepared == '<?xml version="1.0" encoding="utf-8"?><rss/>'


def test_prepare_xml_keeps_comments_cdata():
    document = "<rss><!-- a & b --><x><![CDATA[c & d]]></x>e & f</rss>"

    prepared = prepare_xml(document)

    assert "<!-- a & b -->" in prepared
    assert "<![CDATA[c & d]]>" in prepared
    assert "e &amp; f" in prepared


def test_missing_title_is_untitled():
    entry = one_entry("<item><link>https://a.example/1</link></item>")

    assert entry.title == "Untitled"


def test_blank_title_is_untitled():
    entry = one_entry(
        "<item><title>  \n </title><link>https://a.example/1</link></item>"
    )

    assert entry.title == "Untitled"


def test_title_whitespace_collapsed():
    entry = one_entry("<item><title>\n  Two\n\tlines  </title></item>")

    assert entry.title == "Two lines"


def test_html_title_is_plain_text():
    feed = parse_text(
        atom(
            '<entry><id>tag:a</id><title type="html">'
            "A &lt;b&gt;bold&lt;/b&gt; move &amp;amp; more</title></entry>"
        )
    )

    assert feed.entries[0].title == "A bold move & more"


def test_plain_text_title_keeps_angle_brackets():
    feed = parse_text(
        atom('<entry><id>tag:a</id><title type="text">x &lt; y</title></entry>')
    )

    assert feed.entries[0].title == "x < y"


def test_plain_text_content_is_escaped_html():
    feed = parse_text(
        atom(
            "<entry><id>tag:a</id><title>T</title>"
            '<content type="text">a &lt; b &amp; c</content></entry>'
        )
    )

    assert feed.entries[0].content == "a &lt; b &amp; c"


def test_content_prefers_content_over_description():
    entry = one_entry(
        '<item xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        "<title>T</title><description>Short.</description>"
        "<content:encoded><![CDATA[<p>Long.</p>]]></content:encoded></item>"
    )

    assert entry.content == "<p>Long.</p>"
    assert entry.summary == "Short."


def test_content_is_sanitized():
    entry = one_entry(
        "<item><title>T</title><description><![CDATA["
        '<p onclick="x()">Hi</p><script>alert(1)</script>'
        "]]></description></item>"
    )

    assert entry.content == "<p>Hi</p>"


def test_summary_is_plain_text():
    entry = one_entry(
        "<item><title>T</title><description>"
        "&lt;p&gt;One &lt;b&gt;two&lt;/b&gt;&lt;/p&gt;"
        "</description></item>"
    )

    assert entry.summary == "One two"
    assert entry.content == "<p>One <b>two</b></p>"


def test_summary_cut_at_500_characters():
    words = " ".join(f"word{number}" for number in range(200))
    entry = one_entry(
        f"<item><title>T</title><description>{words}</description></item>"
    )

    assert len(entry.summary) <= 500
    assert entry.summary.endswith("\u2026")
    assert words.startswith(entry.summary[:-1]), "the cut keeps the text's start"
    assert not entry.summary[:-1].endswith(" "), "no space before the ellipsis"


def test_summary_of_500_characters_kept():
    text = "a" * 500
    entry = one_entry(f"<item><title>T</title><description>{text}</description></item>")

    assert entry.summary == text


def test_missing_summary_is_none():
    entry = one_entry("<item><title>T</title></item>")

    assert entry.summary is None
    assert entry.content is None


@pytest.mark.parametrize(
    ("length", "expected_length"),
    [(10, 10), (499, 499), (500, 500), (501, 500), (10_000, 500)],
)
def test_truncate_without_spaces_cuts_mid_word(length, expected_length):
    assert len(truncate("x" * length, 500)) == expected_length


def test_truncate_prefers_last_space():
    text = "alpha beta gamma delta"

    assert truncate(text, 19) == "alpha beta gamma\u2026"


def test_html_to_text_drops_scripts():
    html = "<p>One</p><p>Two <em>and</em> three</p><script>var x;</script>"

    assert html_to_text(html) == "One Two and three"


def test_html_to_text_control_references():
    assert html_to_text("a&#1;b&#x8;c") == "abc"


def test_html_to_text_inline_tags():
    assert html_to_text("un<b>break</b>able &amp; done") == "unbreakable & done"
