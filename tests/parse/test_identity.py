"""Entry keys: stable across fetches, distinct within a document."""

from feeds.parse.identity import EntryDraft, assign_keys, content_hash

from .support import atom, parse_text, rss


def draft(**fields) -> EntryDraft:
    values = {
        "entry_id": None,
        "title": "Title",
        "url": None,
        "content": None,
        "summary": None,
        "author": None,
        "published_at": None,
        "thumbnail": None,
        "enclosure_url": None,
    }
    values.update(fields)
    return EntryDraft(**values)


def test_unique_link_is_the_key():
    entries = assign_keys([draft(url="https://a.example/1", entry_id="g1")])

    assert entries[0].key == "https://a.example/1"


def test_shared_link_distinct_ids():
    entries = assign_keys(
        [
            draft(url="https://a.example/", entry_id="g1"),
            draft(url="https://a.example/", entry_id="g2"),
        ]
    )

    assert len(entries) == 2
    assert entries[0].key != entries[1].key
    assert all(entry.key.startswith("https://a.example/") for entry in entries)


def test_shared_link_without_ids_uses_enclosures():
    entries = assign_keys(
        [
            draft(
                url="https://pod.example/", enclosure_url="https://pod.example/1.mp3"
            ),
            draft(
                url="https://pod.example/", enclosure_url="https://pod.example/2.mp3"
            ),
        ]
    )

    assert len(entries) == 2
    assert entries[0].key != entries[1].key


def test_no_link_uses_id():
    entries = assign_keys([draft(entry_id="urn:uuid:1")])

    assert entries[0].key == "urn:uuid:1"


def test_no_link_no_id_uses_enclosure():
    entries = assign_keys([draft(enclosure_url="https://pod.example/1.mp3")])

    assert entries[0].key == "https://pod.example/1.mp3"


def test_nothing_but_text_uses_content_hash():
    entries = assign_keys([draft(title="A", content="<p>x</p>")])

    assert entries[0].key == content_hash("A", "<p>x</p>")
    assert entries[0].key.startswith("sha256:")


def test_content_hash_inputs():
    assert content_hash("A", "x") != content_hash("A", "y")
    assert content_hash("A", "x") != content_hash("B", "x")
    assert content_hash("A", None) == content_hash("A", "")


def test_repeated_key_keeps_first_entry():
    entries = assign_keys(
        [
            draft(entry_id="g", title="first"),
            draft(entry_id="g", title="second"),
        ]
    )

    assert [entry.title for entry in entries] == ["first"]


def item(link: str | None, guid: str | None, title: str = "T") -> str:
    link_element = f"<link>{link}</link>" if link else ""
    guid_element = f'<guid isPermaLink="false">{guid}</guid>' if guid else ""
    return f"<item><title>{title}</title>{link_element}{guid_element}</item>"


def test_changing_guid_keeps_key():
    first = parse_text(rss(item("https://a.example/post", "session-1")))
    second = parse_text(rss(item("https://a.example/post", "session-2")))

    assert first.entries[0].entry_id != second.entries[0].entry_id
    assert first.entries[0].key == second.entries[0].key


def test_shared_links_keep_all_items():
    feed = parse_text(
        rss(
            item("https://a.example/", "release-2", "Two")
            + item("https://a.example/", "release-1", "One")
        )
    )

    assert [entry.title for entry in feed.entries] == ["Two", "One"]
    assert len({entry.key for entry in feed.entries}) == 2


def test_feed_without_links_keys_by_guid():
    feed = parse_text(rss(item(None, "abc-1") + item(None, "abc-2")))

    assert [entry.key for entry in feed.entries] == ["abc-1", "abc-2"]
    assert [entry.url for entry in feed.entries] == [None, None]


def test_no_link_or_guid_uses_enclosure():
    enclosure = '<enclosure url="https://pod.example/{}.mp3" type="audio/mpeg"/>'
    feed = parse_text(
        rss(
            f"<item><title>A</title>{enclosure.format(1)}</item>"
            f"<item><title>B</title>{enclosure.format(2)}</item>"
        )
    )

    assert [entry.key for entry in feed.entries] == [
        "https://pod.example/1.mp3",
        "https://pod.example/2.mp3",
    ]


def test_empty_guid_is_not_a_key():
    feed = parse_text(
        rss(
            "<item><title>A</title><guid></guid><description>one</description></item>"
            "<item><title>B</title><guid></guid><description>two</description></item>"
        )
    )

    assert len(feed.entries) == 2
    assert all(entry.key.startswith("sha256:") for entry in feed.entries)
    assert all(entry.entry_id is None for entry in feed.entries)


def test_content_hash_key_is_stable():
    document = rss("<item><title>A</title><description>one</description></item>")

    assert parse_text(document).entries[0].key == parse_text(document).entries[0].key


def test_atom_entries_keyed_by_alternate_link():
    feed = parse_text(
        atom(
            "<entry><id>tag:x,2024:1</id><title>A</title>"
            '<link rel="alternate" href="https://a.example/a"/></entry>'
        )
    )

    assert feed.entries[0].key == "https://a.example/a"
    assert feed.entries[0].entry_id == "tag:x,2024:1"
