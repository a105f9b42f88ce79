"""Parse throughput: every corpus file parsed and turned into article rows.

No database is involved: the rows are the parameters ``insert_articles``
builds, captured by a connection stand-in that only records them.
"""

import cProfile
import pstats
import statistics
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import feedparser

from feeds.articles import insert_articles
from feeds.errors import ParseError
from feeds.parse import parse_feed

FEEDPARSER_ENTRY = ("api.py", "parse")


class RecordingConnection:
    """Stands in for a psycopg connection: keeps the parameters, runs nothing."""

    def __init__(self) -> None:
        self.rows = 0

    def execute(self, sql: str, params: dict) -> SimpleNamespace:
        self.rows += len(params["url"])
        return SimpleNamespace(rowcount=len(params["url"]))


@dataclass(frozen=True)
class Document:
    name: str
    body: bytes
    content_type: str | None


@dataclass
class ParseResult:
    files: int
    rejected: int
    articles: int
    megabytes: float
    seconds: float
    feedparser_share: float
    profiled_share: float
    top_own_functions: list[tuple[str, float]]

    @property
    def articles_per_second(self) -> float:
        return self.articles / self.seconds

    @property
    def megabytes_per_second(self) -> float:
        return self.megabytes / self.seconds


def load_corpus(corpus: Path) -> list[Document]:
    documents = []
    for path in sorted(corpus.rglob("*")):
        if not path.is_file() or path.suffix in (".tsv", ".md"):
            continue
        content_type = "application/feed+json" if path.suffix == ".json" else None
        name = str(path.relative_to(corpus))
        documents.append(Document(name, path.read_bytes(), content_type))
    return documents


def parse_all(documents: list[Document]) -> tuple[int, int]:
    """Parse every document and build its rows; returns (articles, rejected)."""
    connection = RecordingConnection()
    rejected = 0
    fetched_at = datetime.now(UTC)
    for document in documents:
        try:
            parsed = parse_feed(
                document.body,
                f"https://example.com/{document.name}",
                content_type=document.content_type,
                fetched_at=fetched_at,
            )
        except ParseError:
            rejected += 1
            continue
        insert_articles(
            connection,
            feed_id=uuid.uuid4(),
            user_id=uuid.uuid4(),
            entries=parsed.entries,
            seen_at=fetched_at,
        )
    return connection.rows, rejected


def run_parse(corpus: Path, *, passes: int) -> ParseResult:
    """Time ``passes`` passes over the corpus and profile one more."""
    documents = load_corpus(corpus)
    parse_all(documents)

    timings, shares = [], []
    for _ in range(passes):
        seconds, inside = _timed_pass(documents)
        timings.append(seconds)
        shares.append(inside / seconds)
    articles, rejected = parse_all(documents)
    profiled_share, top = _profiled_pass(documents)
    return ParseResult(
        files=len(documents),
        rejected=rejected,
        articles=articles,
        megabytes=sum(len(d.body) for d in documents) / 1e6,
        seconds=statistics.median(timings),
        feedparser_share=statistics.median(shares),
        profiled_share=profiled_share,
        top_own_functions=top,
    )


def _timed_pass(documents: list[Document]) -> tuple[float, float]:
    """Return the pass's seconds and the seconds spent inside feedparser.parse."""
    original = feedparser.parse
    inside = 0.0

    def timed_parse(*args, **kwargs):
        nonlocal inside
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            inside += time.perf_counter() - started

    feedparser.parse = timed_parse
    try:
        started = time.perf_counter()
        parse_all(documents)
        return time.perf_counter() - started, inside
    finally:
        feedparser.parse = original


def _profiled_pass(documents: list[Document]) -> tuple[float, list]:
    """Profile one pass; return feedparser's share and the top own functions."""
    profiler = cProfile.Profile()
    profiler.runcall(parse_all, documents)
    stats = pstats.Stats(profiler).stats
    total = sum(entry[2] for entry in stats.values())
    inside = sum(
        entry[3]
        for (filename, _, name), entry in stats.items()
        if name == FEEDPARSER_ENTRY[1] and filename.endswith("feedparser/api.py")
    )
    own = [
        (f"{Path(filename).parent.name}/{Path(filename).name}:{name}", entry[2])
        for (filename, _, name), entry in stats.items()
        if "/feeds/" in filename and "site-packages" not in filename
    ]
    own.sort(key=lambda item: item[1], reverse=True)
    top = [(label, seconds / total) for label, seconds in own[:8]]
    return inside / total, top


def refresh_document_cost(bodies: list[bytes], *, repeats: int) -> dict[str, float]:
    """Return CPU seconds per document inside feedparser and in all of parse_feed.

    Used to compare with the worker CPU of one new-content refresh of the same
    documents.
    """
    original = feedparser.parse
    inside = 0.0

    def timed_parse(*args, **kwargs):
        nonlocal inside
        started = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            inside += time.process_time() - started

    fetched_at = datetime.now(UTC)
    feedparser.parse = timed_parse
    try:
        started = time.process_time()
        for _ in range(repeats):
            for body in bodies:
                parse_feed(body, "https://example.com/feed.xml", fetched_at=fetched_at)
        total = time.process_time() - started
    finally:
        feedparser.parse = original
    count = repeats * len(bodies)
    return {"feedparser_cpu": inside / count, "parse_feed_cpu": total / count}
