"""Repair XML text before feedparser reads it, and sniff what a document is.

Most feeds that are not well-formed fail on a few characters: a bare ``&``, an
HTML entity that XML does not define, or a control character. Fixing those
lets the strict XML parser read the document. Otherwise feedparser falls back to
its lenient parser, which inserts a ``;`` after a bare ``&D`` and keeps control
characters.
"""

import html
import re
from collections.abc import Iterator
from html.entities import html5

from feeds.errors import ParseError
from feeds.parse.text import remove_forbidden_characters

XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'

PREDEFINED_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})

# Sections where references are not repaired. CDATA sections, comments and
# processing instructions are copied unchanged. A DOCTYPE is read for its entity
# declarations and then dropped.
LITERAL_SECTION_START = re.compile(r"<!\[CDATA\[|<!--|<\?|<!(?i:DOCTYPE)")
LITERAL_SECTION_END = {"<![CDATA[": "]]>", "<!--": "-->", "<?": "?>"}

# An ampersand and the reference it starts, if any.
REFERENCE = re.compile(
    r"&(?:#([0-9]{1,8});|#[xX]([0-9A-Fa-f]{1,8});|([A-Za-z_][A-Za-z0-9_.-]{0,63});)?"
)

DOCTYPE_START = re.compile(r"<!DOCTYPE", re.IGNORECASE)

# A general entity declared with a quoted value. Parameter entities (``%``) and
# external entities (SYSTEM, PUBLIC) do not match.
ENTITY_DECLARATION = re.compile(
    r"""<!ENTITY\s+([A-Za-z_][A-Za-z0-9_.-]{0,63})\s+"""
    r"""(?:"([^"]{0,1000})"|'([^']{0,1000})')\s*>"""
)

# An entity value that is text and character references only, so that replacing
# the entity cannot expand other entities or insert markup.
PLAIN_ENTITY_VALUE = re.compile(r"(?:[^&%<]|&#[0-9]{1,8};|&#[xX][0-9A-Fa-f]{1,8};)*")

# Any entity declaration, external (SYSTEM, PUBLIC) or with a quoted value.
ANY_ENTITY_DECLARATION = re.compile(
    r"""<!ENTITY\s+(%\s+)?[^\s>]+\s+(?:(SYSTEM|PUBLIC)\b|"([^"]*)"|'([^']*)')"""
)
ENTITY_REFERENCE = re.compile(r"[&%][A-Za-z_][A-Za-z0-9_.:-]*;")

ELEMENT_NAME = re.compile(r"<([A-Za-z_][A-Za-z0-9_.:-]{0,100})")

HTML_MARKERS = re.compile(r"<!doctype\s+html|<html[\s>]", re.IGNORECASE)
HTML_ROOTS = frozenset({"html", "head", "body"})

# How far into a document the root element or an HTML marker is looked for.
SNIFF_LENGTH = 4096


def prepare_xml(text: str) -> str:
    """Return the document as well-formed as simple text fixes can make it.

    Leading whitespace and any XML declaration are replaced with a UTF-8
    declaration, because the caller encodes the result as UTF-8. Forbidden control
    characters are removed. The DOCTYPE is removed, so no parser can load an
    external DTD or expand nested entities. Outside CDATA sections, comments and
    processing instructions, references are repaired:

    - a bare ``&`` becomes ``&amp;``;
    - an entity the DOCTYPE declared with a plain text value becomes that text;
    - an HTML entity becomes a character reference;
    - any other undefined entity becomes literal text;
    - a character reference to a character XML forbids is removed.
    """
    text = remove_forbidden_characters(text).lstrip()
    text = _replace_declaration(text)

    entities: dict[str, str] = {}
    pieces = []
    for chunk, is_literal in split_literal_sections(text):
        if not is_literal:
            pieces.append(_repair_references(chunk, entities))
        elif DOCTYPE_START.match(chunk):
            reject_unsafe_entities(chunk)
            entities = _declared_entities(chunk) | entities
        else:
            pieces.append(chunk)
    return "".join(pieces)


def split_literal_sections(text: str) -> Iterator[tuple[str, bool]]:
    """Yield the text in order as chunks, each flagged true when it is literal.

    Literal chunks are CDATA sections, comments, processing instructions and
    DOCTYPE declarations. An unterminated section runs to the end of the text.
    """
    position = 0
    while position < len(text):
        match = LITERAL_SECTION_START.search(text, position)
        if match is None:
            yield text[position:], False
            return

        if match.start() > position:
            yield text[position : match.start()], False

        end = _literal_section_end(text, match)
        yield text[match.start() : end], True
        position = end


def root_element(text: str) -> str | None:
    """Return the name of the first element, or None when the text is not markup.

    Markup means the first non-blank character is ``<``, after any declaration,
    comments, processing instructions and DOCTYPE.
    """
    head = text[:SNIFF_LENGTH]
    for chunk, is_literal in split_literal_sections(head):
        if is_literal:
            continue

        stripped = chunk.lstrip()
        if not stripped:
            continue

        match = ELEMENT_NAME.match(stripped)
        return match.group(1) if match else None
    return None


def looks_like_html(text: str) -> bool:
    """Tell whether a document is an HTML page rather than an XML document.

    The root element decides. Only when text precedes the first tag, as in a page
    that starts with a server warning, is the start searched for an HTML DOCTYPE
    or ``<html>`` tag.
    """
    root = root_element(text)
    if root is not None:
        return root.lower() in HTML_ROOTS
    return HTML_MARKERS.search(text[:SNIFF_LENGTH]) is not None


def _replace_declaration(text: str) -> str:
    if text.startswith("<?xml") and text[5:6] in (" ", "\t", "\r", "\n", "?"):
        end = text.find("?>")
        if end != -1:
            return XML_DECLARATION + text[end + 2 :]
    return XML_DECLARATION + "\n" + text


def _literal_section_end(text: str, start: re.Match) -> int:
    opener = start.group(0)
    if opener.upper() == "<!DOCTYPE":
        return _doctype_end(text, start.end())

    closer = LITERAL_SECTION_END[opener]
    end = text.find(closer, start.end())
    return len(text) if end == -1 else end + len(closer)


def _doctype_end(text: str, position: int) -> int:
    """Return the index after a DOCTYPE, which may hold a ``[...]`` subset."""
    close = text.find(">", position)
    bracket = text.find("[", position)
    if close == -1:
        return len(text)

    if bracket == -1 or bracket > close:
        return close + 1

    subset_end = text.find("]", bracket)
    if subset_end == -1:
        return len(text)

    close = text.find(">", subset_end)
    return len(text) if close == -1 else close + 1


def reject_unsafe_entities(doctype: str) -> None:
    """Raise ParseError for the entity declarations of XXE and expansion bombs.

    An external entity (SYSTEM or PUBLIC), a parameter entity, or an entity
    whose value refers to other entities has no place in a feed: such
    documents are attacks (file or network access, exponential expansion), so
    they fail instead of being read with the references left as text.
    """
    for match in ANY_ENTITY_DECLARATION.finditer(doctype):
        parameter, external, double_quoted, single_quoted = match.groups()
        if external:
            raise ParseError("the document declares an external entity (XXE)")
        if parameter:
            raise ParseError("the document declares a parameter entity")
        value = double_quoted if double_quoted is not None else single_quoted
        if ENTITY_REFERENCE.search(value):
            raise ParseError(
                "the document declares entities that expand other entities "
                "(an entity expansion bomb)"
            )


def _declared_entities(doctype: str) -> dict[str, str]:
    """Return the DOCTYPE's entities that have plain text values, XML-escaped.

    The first declaration of a name wins, as in XML.
    """
    entities: dict[str, str] = {}
    for match in ENTITY_DECLARATION.finditer(doctype):
        name, double_quoted, single_quoted = match.groups()
        value = double_quoted if double_quoted is not None else single_quoted
        if name in entities or not PLAIN_ENTITY_VALUE.fullmatch(value):
            continue

        text = remove_forbidden_characters(html.unescape(value))
        entities[name] = html.escape(text)
    return entities


def _repair_references(chunk: str, entities: dict[str, str]) -> str:
    def replace(match: re.Match) -> str:
        decimal, hexadecimal, name = match.groups()
        if decimal is not None:
            return match.group(0) if _allowed_in_xml(int(decimal)) else ""
        if hexadecimal is not None:
            return match.group(0) if _allowed_in_xml(int(hexadecimal, 16)) else ""
        if name is None:
            return "&amp;"
        return _repair_named_reference(name, entities)

    return REFERENCE.sub(replace, chunk)


def _repair_named_reference(name: str, entities: dict[str, str]) -> str:
    if name in PREDEFINED_ENTITIES:
        return f"&{name};"

    if name in entities:
        return entities[name]

    replacement = html5.get(name + ";")
    if replacement is None:
        return f"&amp;{name};"
    return "".join(f"&#{ord(char)};" for char in replacement)


def _allowed_in_xml(code_point: int) -> bool:
    return (
        code_point in (0x9, 0xA, 0xD)
        or 0x20 <= code_point <= 0xD7FF
        or 0xE000 <= code_point <= 0xFFFD
        or 0x10000 <= code_point <= 0x10FFFF
    )
