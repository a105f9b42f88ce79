"""Entry fields taken from feedparser's result: authors, images, links."""

from .support import atom, parse_text, rss

MEDIA_THUMBNAIL = '<media:thumbnail url="https://img.example/thumb.jpg"/>'
MEDIA_IMAGE = '<media:content url="https://img.example/content.jpg" medium="image"/>'
MEDIA_VIDEO = '<media:content url="https://img.example/video.mp4" type="video/mp4"/>'
IMAGE_ENCLOSURE = (
    '<enclosure url="https://img.example/enclosure.png" type="image/png" length="1"/>'
)


def first_entry(items: str, url: str = "https://example.org/feed.xml"):
    return parse_text(rss(items), url).entries[0]


def test_rss_author_beats_dc_creator():
    entry = first_entry(
        "<item><title>T</title><dc:creator>Ann</dc:creator>"
        "<author>bob@example.com (Bob)</author></item>"
    )

    assert entry.author == "Bob"


def test_rss_author_email_only():
    entry = first_entry(
        "<item><title>T</title><author>bob@example.com</author>"
        "<dc:creator>Ann</dc:creator></item>"
    )

    assert entry.author == "bob@example.com"


def test_dc_creator_alone():
    entry = first_entry(
        "<item><title>T</title><dc:creator> Ann  Lee </dc:creator></item>"
    )

    assert entry.author == "Ann Lee"


def test_rss_entry_does_not_inherit_channel_author():
    entry = first_entry(
        "<managingEditor>editor@example.com (Ed)</managingEditor>"
        "<item><title>T</title></item>"
    )

    assert entry.author is None


def test_atom_entry_own_author_wins():
    feed = parse_text(
        atom(
            "<entry><id>tag:a</id><title>A</title>"
            "<author><name>Entry Writer</name></author></entry>"
            "<entry><id>tag:b</id><title>B</title></entry>",
            feed="<title>T</title><author><name>Feed Writer</name></author>",
        )
    )

    assert [entry.author for entry in feed.entries] == ["Entry Writer", "Feed Writer"]


def test_media_thumbnail_beats_other_images():
    entry = first_entry(
        f"<item><title>T</title>{IMAGE_ENCLOSURE}{MEDIA_IMAGE}{MEDIA_THUMBNAIL}</item>"
    )

    assert entry.thumbnail == "https://img.example/thumb.jpg"


def test_media_content_image_beats_enclosure():
    entry = first_entry(
        f"<item><title>T</title>{IMAGE_ENCLOSURE}{MEDIA_VIDEO}{MEDIA_IMAGE}</item>"
    )

    assert entry.thumbnail == "https://img.example/content.jpg"


def test_image_enclosure_is_last_choice():
    entry = first_entry(f"<item><title>T</title>{MEDIA_VIDEO}{IMAGE_ENCLOSURE}</item>")

    assert entry.thumbnail == "https://img.example/enclosure.png"


def test_media_content_with_image_type():
    entry = first_entry(
        '<item><title>T</title><media:content url="https://img.example/a.webp"'
        ' type="image/webp"/></item>'
    )

    assert entry.thumbnail == "https://img.example/a.webp"


def test_audio_enclosure_is_not_a_thumbnail():
    entry = first_entry(
        '<item><title>T</title><enclosure url="https://pod.example/1.mp3"'
        ' type="audio/mpeg" length="1"/></item>'
    )

    assert entry.thumbnail is None


def test_relative_thumbnail_resolves_against_feed_url():
    entry = first_entry(
        '<item><title>T</title><media:thumbnail url="../img/t.jpg"/></item>',
        url="https://example.org/blog/feed.xml",
    )

    assert entry.thumbnail == "https://example.org/img/t.jpg"


def test_relative_thumbnail_resolves_against_xml_base():
    feed = parse_text(
        atom(
            '<entry xml:base="https://cdn.example/posts/"><id>tag:a</id><title>A</title>'
            '<media:thumbnail xmlns:media="http://search.yahoo.com/mrss/"'
            ' url="t.jpg"/></entry>'
        )
    )

    assert feed.entries[0].thumbnail == "https://cdn.example/posts/t.jpg"


def test_javascript_link_is_dropped():
    entry = first_entry("<item><title>T</title><link>javascript:alert(1)</link></item>")

    assert entry.url is None


def test_relative_link_resolves_against_feed_url():
    entry = first_entry(
        "<item><title>T</title><link>/posts/1</link></item>",
        url="https://example.org/blog/feed.xml",
    )

    assert entry.url == "https://example.org/posts/1"


def test_feed_link_is_alternate_not_id():
    feed = parse_text(
        atom("", feed='<title>T</title><link rel="self" href="/feed.atom"/>'),
        "https://example.org/feed.atom",
    )

    assert feed.link is None, "an Atom id or self link is not the site's page"


def test_feed_title_and_link():
    feed = parse_text(
        rss("", channel="<title>A &amp; B</title><link>https://example.org/</link>")
    )

    assert feed.title == "A & B"
    assert feed.link == "https://example.org/"
    assert feed.format == "rss20"
