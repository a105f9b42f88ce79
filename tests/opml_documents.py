"""OPML documents for the import and export tests."""

from xml.sax.saxutils import quoteattr

# Line numbers below are those of the outlines in this document.
NESTED = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Reader export</title></head>
  <body>
    <outline text="News">
      <outline type="rss" text="Daily News" title="Daily"
               xmlUrl="https://news.example.com/rss.xml"/>
      <outline text="Local">
        <outline type="rss" text="Harbour &amp; Pier"
                 xmlUrl="https://harbour.example.org/feed.atom"/>
      </outline>
    </outline>
    <outline type="rss" text="https://untitled.example.net/feed"
             xmlUrl="https://untitled.example.net/feed"/>
    <outline text="No feed here" htmlUrl="https://example.com/"/>
  </body>
</opml>
"""

NESTED_FEEDS = [
    (6, "https://news.example.com/rss.xml", "Daily"),
    (9, "https://harbour.example.org/feed.atom", "Harbour & Pier"),
    (13, "https://untitled.example.net/feed", None),
]

OPML_1 = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<opml version="1.0">
<head><title>mySubscriptions</title></head>
<body>
<outline text="Caf\xe9 notes" type="rss" xmlUrl="http://cafe.example.com/index.xml"/>
</body>
</opml>
"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE opml [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<opml version="2.0"><head/><body>
  <outline text="&lol3;" xmlUrl="https://example.com/feed.xml"/>
</body></opml>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><head/><body>
  <outline text="&secret;" xmlUrl="https://example.com/feed.xml"/>
</body></opml>
"""

MALFORMED = b"""<?xml version="1.0"?>
<opml version="2.0">
  <body>
    <outline text="A" xmlUrl="https://a.example.com/feed.xml"/>
    <outline text="B" xmlUrl="https://b.example.com/feed.xml">
  </body>
</opml>
"""


def build_opml(outlines: list[tuple[str, str | None]]) -> bytes:
    """Build an OPML 2.0 document, one (url, title) outline per line from line 4."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "<head><title>Generated</title></head><body>",
    ]
    for url, title in outlines:
        text = quoteattr(title) if title is not None else '""'
        lines.append(f'<outline type="rss" text={text} xmlUrl={quoteattr(url)}/>')
    lines.extend(["</body>", "</opml>", ""])
    return "\n".join(lines).encode("utf-8")


def generated_opml(count: int) -> bytes:
    """Build a document of ``count`` distinct feeds spread over 10 categories."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "<head><title>Large</title></head><body>",
    ]
    per_category = max(1, count // 10)
    for index in range(count):
        if index % per_category == 0:
            if index:
                lines.append("</outline>")
            lines.append(f'<outline text="Category {index // per_category}">')
        url = f"https://feeds{index % 7}.example.com/{index}/rss.xml"
        lines.append(f'<outline type="rss" text="Feed {index}" xmlUrl="{url}"/>')
    if count:
        lines.append("</outline>")
    lines.extend(["</body>", "</opml>", ""])
    return "\n".join(lines).encode("utf-8")
