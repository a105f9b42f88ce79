"""OPML subscription lists: read the feed outlines of a document, write OPML 2.0.

Reading uses the standard library's expat parser and rejects any document
with a DOCTYPE. Without a DOCTYPE a document cannot declare entities, so
neither external entities nor entity expansion (the "billion laughs" attack)
can occur. Only the five predefined entities and character references remain.
"""

import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from xml.parsers import expat

from feeds.errors import FeedsError

OPML_MEDIA_TYPE = "text/x-opml"

# Characters that XML 1.0 does not allow anywhere in a document.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class OpmlError(FeedsError):
    """The document is not well-formed OPML, at the 1-based ``line`` when known."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message if line is None else f"line {line}: {message}")
        self.message = message
        self.line = line


@dataclass(frozen=True)
class Outline:
    """An outline with an xmlUrl attribute: one subscription of the document."""

    line: int
    url: str
    title: str | None


def parse_outlines(document: bytes) -> list[Outline]:
    """Return every outline with xmlUrl under <body>, in document order.

    Nested outlines (categories) are walked to any depth. The URL is returned
    as written, and the title is the outline's title or, failing that, its
    text attribute. Raises OpmlError for a document that is not well-formed
    XML, has a DOCTYPE, or is not an <opml> document with a <body>.
    """
    reader = _OutlineReader()
    try:
        reader.parser.Parse(document, True)
    except expat.ExpatError as error:
        message = expat.ErrorString(error.code)
        raise OpmlError(
            f"{message} (column {error.offset + 1})", line=error.lineno
        ) from None

    if not reader.saw_body:
        raise OpmlError("the document has no <body> element")
    return reader.outlines


class _OutlineReader:
    """Expat callbacks that collect outlines and enforce the document's shape."""

    def __init__(self) -> None:
        self.outlines: list[Outline] = []
        self.saw_body = False
        self._path: list[str] = []

        parser = expat.ParserCreate()
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = self._reject_doctype
        parser.EntityDeclHandler = self._reject_entity
        parser.ExternalEntityRefHandler = self._reject_entity
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        self.parser = parser

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        line = self.parser.CurrentLineNumber
        if not self._path and name != "opml":
            raise OpmlError(f"the root element is <{name}>, not <opml>", line=line)

        self._path.append(name)
        if self._path[:2] == ["opml", "body"]:
            self.saw_body = True
        if name == "outline" and self._path[:2] == ["opml", "body"]:
            self._add_outline(line, attributes)

    def _end(self, name: str) -> None:
        self._path.pop()

    def _add_outline(self, line: int, attributes: dict[str, str]) -> None:
        url = _xml_url(attributes)
        if url is None:
            return

        title = (attributes.get("title") or attributes.get("text") or "").strip()
        # Exporters that have no title often repeat the URL as text.
        if not title or title == url.strip():
            title = None
        self.outlines.append(Outline(line, url, title))

    def _reject_doctype(self, *args: object) -> None:
        raise OpmlError(
            "DOCTYPE declarations are not accepted",
            line=self.parser.CurrentLineNumber,
        )

    def _reject_entity(self, *args: object) -> None:
        raise OpmlError(
            "entity declarations are not accepted",
            line=self.parser.CurrentLineNumber,
        )


def _xml_url(attributes: dict[str, str]) -> str | None:
    """Return the xmlUrl attribute, matched case-insensitively, or None."""
    if "xmlUrl" in attributes:
        return attributes["xmlUrl"]
    for name, value in attributes.items():
        if name.lower() == "xmlurl":
            return value
    return None


def render_opml(feeds: Iterable[dict], *, title: str, created: datetime) -> bytes:
    """Write feeds (rows with url and title) as a UTF-8 OPML 2.0 document.

    Each feed becomes one outline with text, title, type="rss" and xmlUrl.
    A feed without a title gets its URL as text, which OPML 2.0 requires,
    and no title attribute.
    """
    root = ElementTree.Element("opml", version="2.0")
    head = ElementTree.SubElement(root, "head")
    ElementTree.SubElement(head, "title").text = _xml_text(title)
    date = format_datetime(created, usegmt=True)
    ElementTree.SubElement(head, "dateCreated").text = date

    body = ElementTree.SubElement(root, "body")
    for feed in feeds:
        ElementTree.SubElement(body, "outline", _outline_attributes(feed))

    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _outline_attributes(feed: dict) -> dict[str, str]:
    url = _xml_text(feed["url"])
    title = _xml_text(feed["title"] or "").strip()
    attributes = {"text": title or url}
    if title:
        attributes["title"] = title
    attributes["type"] = "rss"
    attributes["xmlUrl"] = url
    return attributes


def _xml_text(text: str) -> str:
    return _NOT_XML_CHAR.sub("", text)
