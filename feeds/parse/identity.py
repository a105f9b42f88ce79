"""Give each entry a key that stays the same across fetches of the same feed."""

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from feeds.parse.model import Entry


@dataclass(frozen=True)
class EntryDraft:
    """An entry's stored fields before its key is known.

    ``enclosure_url`` is the first enclosure or attachment URL. It distinguishes
    entries that share a link and have no id, as podcast episodes often do.
    """

    entry_id: str | None
    title: str
    url: str | None
    content: str | None
    summary: str | None
    author: str | None
    published_at: datetime | None
    thumbnail: str | None
    enclosure_url: str | None = None


def assign_keys(drafts: list[EntryDraft]) -> list[Entry]:
    """Key every draft and drop later entries whose key repeats an earlier one.

    The key is the link when no other entry of the document has the same link.
    Entries that share a link get the link plus their id, or plus their enclosure
    URL. An entry without a link is keyed by its id, then its enclosure URL, then
    a SHA-256 of its title and content. Keys therefore depend only on the
    document, so identical bytes give identical keys, and an entry whose id
    changes between fetches keeps its key as long as its link is unique.
    """
    link_counts = Counter(draft.url for draft in drafts if draft.url)

    entries: list[Entry] = []
    seen: set[str] = set()
    for draft in drafts:
        key = _key(draft, shared_link=link_counts[draft.url] > 1)
        if key in seen:
            continue

        seen.add(key)
        entries.append(_entry(draft, key))
    return entries


def content_hash(title: str, content: str | None) -> str:
    """Return the key of an entry that has neither a link, an id nor an enclosure."""
    digest = hashlib.sha256(f"{title}\n{content or ''}".encode()).hexdigest()
    return f"sha256:{digest}"


def _key(draft: EntryDraft, *, shared_link: bool) -> str:
    if draft.url and not shared_link:
        return draft.url

    if draft.url:
        if draft.entry_id:
            return f"{draft.url} id:{draft.entry_id}"
        if draft.enclosure_url:
            return f"{draft.url} enclosure:{draft.enclosure_url}"
        return draft.url

    if draft.entry_id:
        return draft.entry_id
    if draft.enclosure_url:
        return draft.enclosure_url
    return content_hash(draft.title, draft.content)


def _entry(draft: EntryDraft, key: str) -> Entry:
    return Entry(
        key=key,
        entry_id=draft.entry_id,
        title=draft.title,
        url=draft.url,
        content=draft.content,
        summary=draft.summary,
        author=draft.author,
        published_at=draft.published_at,
        thumbnail=draft.thumbnail,
    )
