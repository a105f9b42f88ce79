"""Clean strings for storage: forbidden characters, markup and length."""

import re
from html.parser import HTMLParser

# C0 controls other than tab, line feed and carriage return, plus the two
# noncharacters XML 1.0 also forbids.
FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

WHITESPACE = re.compile(r"\s+")

# Elements whose text is never shown to a reader.
HIDDEN_ELEMENTS = frozenset({"script", "style", "template", "noscript"})

# Phrasing elements that do not separate words when their tags are removed.
INLINE_ELEMENTS = frozenset(
    {
        "a",
        "abbr",
        "b",
        "bdi",
        "bdo",
        "big",
        "cite",
        "code",
        "data",
        "del",
        "dfn",
        "em",
        "font",
        "i",
        "ins",
        "kbd",
        "mark",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strike",
        "strong",
        "sub",
        "sup",
        "time",
        "tt",
        "u",
        "var",
    }
)

ELLIPSIS = "\u2026"


def remove_forbidden_characters(text: str) -> str:
    """Remove the control characters that XML 1.0 does not allow in a document."""
    return FORBIDDEN_CHARACTERS.sub("", text)


def clean_string(value: object) -> str | None:
    """Return a stripped string without forbidden characters, or None when empty.

    Values that are not strings (numbers or lists in a malformed JSON Feed) are
    treated as missing.
    """
    if not isinstance(value, str):
        return None

    cleaned = remove_forbidden_characters(value).strip()
    return cleaned or None


def collapse_whitespace(text: str) -> str:
    """Replace each run of whitespace with one space and strip both ends."""
    return WHITESPACE.sub(" ", text).strip()


def html_to_text(html: str) -> str:
    """Return the text a browser would show for an HTML fragment, on one line.

    Character references are decoded, tags are dropped, and the content of script
    and style elements is skipped. Forbidden characters that references such as
    ``&#1;`` produce are removed.
    """
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    text = remove_forbidden_characters("".join(extractor.parts))
    return collapse_whitespace(text)


def plain_text(value: str, content_type: str | None) -> str:
    """Convert a feedparser text construct to plain text on one line.

    feedparser returns ``text/plain`` values already unescaped; HTML and XHTML
    values keep their markup, which is removed here.
    """
    if content_type and "html" in content_type:
        return html_to_text(value)
    return collapse_whitespace(value)


def truncate(text: str, limit: int) -> str:
    """Cut text to at most ``limit`` characters, at a word boundary when possible.

    A cut text ends with an ellipsis, which counts toward the limit. The cut falls
    on the last space in the final fifth of the allowed length, or mid-word when the
    text has no such space.
    """
    if len(text) <= limit:
        return text

    head = text[: limit - len(ELLIPSIS)]
    space = head.rfind(" ")
    if space >= len(head) * 4 // 5:
        head = head[:space]
    return head.rstrip() + ELLIPSIS


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in HIDDEN_ELEMENTS:
            self.hidden_depth += 1
        if tag not in INLINE_ELEMENTS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN_ELEMENTS and self.hidden_depth:
            self.hidden_depth -= 1
        if tag not in INLINE_ELEMENTS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.hidden_depth:
            self.parts.append(data)
