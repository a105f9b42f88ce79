"""A small reader of serialized HTML: elements with their attributes and text."""

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID_ELEMENTS = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
    "source", "track", "wbr",
}  # fmt: skip


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parent: "Element | None"
    # Text and child elements in document order.
    content: list["str | Element"] = field(default_factory=list)

    @property
    def children(self) -> list["Element"]:
        return [node for node in self.content if isinstance(node, Element)]

    @property
    def text(self) -> str:
        """Return the text of this element and its descendants, stripped."""
        return "".join(self._texts()).strip()

    def _texts(self):
        for node in self.content:
            if isinstance(node, Element):
                yield from node._texts()
            else:
                yield node

    def iter(self):
        yield self
        for child in self.children:
            yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list["Element"]:
        """Return descendants with this tag and these attribute values.

        Attribute names use underscores for hyphens: data_state="queued".
        """
        expected_attrs = {
            name.replace("_", "-"): value for name, value in attrs.items()
        }
        return [
            element
            for element in self.iter()
            if (tag is None or element.tag == tag)
            and all(element.attrs.get(k) == v for k, v in expected_attrs.items())
        ]

    def by_id(self, element_id: str) -> "Element":
        found = self.find_all(id=element_id)
        assert len(found) == 1, f"expected one element with id {element_id!r}"
        return found[0]


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self._current = self.root

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: v or "" for k, v in attrs}, self._current)
        self._current.content.append(element)
        if tag not in VOID_ELEMENTS:
            self._current = element

    def handle_startendtag(self, tag, attrs):
        element = Element(tag, {k: v or "" for k, v in attrs}, self._current)
        self._current.content.append(element)

    def handle_endtag(self, tag):
        node = self._current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self._current = node.parent

    def handle_data(self, data):
        self._current.content.append(data)


def parse(html: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root
