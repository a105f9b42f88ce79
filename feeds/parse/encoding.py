"""Decode a fetched body to text from its byte order mark, charset and prolog."""

import codecs
import re

import charset_normalizer

# Checked longest first, so that a UTF-32 LE mark is not read as UTF-16 LE.
BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)

# The first characters of a document ("<?" or "<" and a letter) in encodings that
# are not ASCII-compatible, for documents without a byte order mark.
UNMARKED_PREFIXES = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
)

XML_DECLARATION_ENCODING = re.compile(
    rb"""^\s*<\?xml\s[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']"""
)

CHARSET_PARAMETER = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]{1,40})""", re.I)

# Labels that WHATWG Encoding maps to windows-1252: servers and prologs name
# ISO-8859-1 or ASCII for text that uses the windows-1252 quotes and dashes.
WINDOWS_1252_ALIASES = frozenset({"latin-1", "iso8859-1", "ascii", "cp1252"})

# windows-1252 as WHATWG Encoding defines it, applied to Latin-1 text. The five
# bytes that Python's cp1252 leaves undefined stay C1 controls, as in Latin-1.
WINDOWS_1252_C1 = {
    byte: bytes([byte]).decode("cp1252")
    for byte in range(0x80, 0xA0)
    if byte not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
}

# Legacy East Asian labels, decoded with the superset that WHATWG Encoding uses
# for them, because documents so labelled often contain the extra characters.
SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
    "big5": "big5hkscs",
}

# Python text codecs that are not character sets a document can be written in.
# UTF-7 is rejected because it can hide markup such as <script> from sanitizers.
NOT_CHARSETS = frozenset(
    {"idna", "punycode", "unicode-escape", "raw-unicode-escape", "undefined", "utf-7"}
)

# A document that is mostly UTF-8 is decoded as UTF-8 (bad bytes become U+FFFD)
# when it has no more invalid sequences than valid multi-byte ones, or at most
# this many invalid sequences. Otherwise it is read as windows-1252.
MAX_STRAY_BYTES = 3

# Legacy multi-byte encodings that charset detection may pick for a body with
# no label (Python codec names as charset_normalizer reports them).
MULTIBYTE_ENCODINGS = frozenset(
    {
        "shift_jis",
        "cp932",
        "euc_jp",
        "iso2022_jp",
        "gb2312",
        "gb18030",
        "gbk",
        "big5",
        "big5hkscs",
        "euc_kr",
        "cp949",
        "johab",
    }
)
DETECTION_SAMPLE_BYTES = 64 * 1024


def decode_body(body: bytes, content_type: str | None = None) -> str:
    """Decode a feed or page body to text.

    The order is: a byte order mark, then UTF-16/32 recognised from the first
    bytes, then UTF-8 when every byte sequence is valid UTF-8, then the charset of
    ``content_type``, then the encoding in the XML declaration. A label must decode
    the whole body without errors to be used.

    An HTTP charset thus beats the declaration, as RFC 3023 specifies. Without a
    charset, the declaration is used, although RFC 3023 makes ``text/xml`` default
    to us-ascii, because that default would garble every non-ASCII feed served
    as ``text/xml``. Bodies that no label decodes are read as UTF-8 with
    U+FFFD for invalid bytes when they look like UTF-8, else as windows-1252. The
    result never starts with a byte order mark.
    """
    for mark, encoding in BYTE_ORDER_MARKS:
        if body.startswith(mark):
            return body[len(mark) :].decode(encoding, errors="replace")

    unmarked = _unmarked_unicode_encoding(body)
    if unmarked:
        return body.decode(unmarked, errors="replace")

    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass

    for label in (charset_from_content_type(content_type), declared_encoding(body)):
        text = _decode_strictly(body, label)
        if text is not None:
            return text

    return _decode_fallback(body)


def charset_from_content_type(content_type: str | None) -> str | None:
    """Return the charset parameter of an HTTP Content-Type value, if any."""
    if not content_type:
        return None

    match = CHARSET_PARAMETER.search(content_type)
    return match.group(1) if match else None


def declared_encoding(body: bytes) -> str | None:
    """Return the encoding named in an ASCII-compatible XML declaration, if any."""
    match = XML_DECLARATION_ENCODING.match(body[:1024])
    return match.group(1).decode("ascii") if match else None


def _unmarked_unicode_encoding(body: bytes) -> str | None:
    for prefix, encoding in UNMARKED_PREFIXES:
        if body.startswith(prefix):
            return encoding
    return None


def _decode_strictly(body: bytes, label: str | None) -> str | None:
    """Decode with the encoding a label names, or return None.

    None means the label is unknown, is not a character set, names a Unicode
    encoding (those were tried before), or does not decode the body.
    """
    if not label:
        return None

    try:
        codec = codecs.lookup(label)
    except LookupError:
        return None

    name = codec.name
    if not getattr(codec, "_is_text_encoding", True) or name in NOT_CHARSETS:
        return None

    if name.startswith(("utf-16", "utf-32", "utf-8")):
        return None

    if name in WINDOWS_1252_ALIASES:
        return _decode_windows_1252(body)

    try:
        return body.decode(SUPERSETS.get(name, name))
    except UnicodeDecodeError:
        return None


def _decode_windows_1252(body: bytes) -> str:
    return body.decode("latin-1").translate(WINDOWS_1252_C1)


def _decode_fallback(body: bytes) -> str:
    text = body.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd") - body.count("\ufffd".encode())
    multibyte = sum(1 for char in text if char > "\x7f") - invalid
    if invalid <= max(multibyte, MAX_STRAY_BYTES):
        return text

    detected = _detect_multibyte_encoding(body)
    if detected is not None:
        return body.decode(detected, errors="replace")
    return _decode_windows_1252(body)


def _detect_multibyte_encoding(body: bytes) -> str | None:
    """Guess a legacy East Asian encoding of an unlabelled body, if it is one.

    Single-byte guesses are left to windows-1252, the encoding most unlabelled
    Western feeds use. Only the first DETECTION_SAMPLE_BYTES are examined.
    """
    best = charset_normalizer.from_bytes(body[:DETECTION_SAMPLE_BYTES]).best()
    if best is None or best.encoding not in MULTIBYTE_ENCODINGS:
        return None
    return best.encoding
