"""The numbered structure of a document: "I." sections, "1.", "1.1." points, "a)" letters and "-", "+", "*" bullets,
each paragraph under the item it belongs to."""

from __future__ import annotations

from dataclasses import dataclass, field

from dondoc.importer.text import MARKER, Paragraph, Place

LETTER_RANK = 10
BULLET_RANK = 20


@dataclass
class Item:
    paragraph: Paragraph | None  # None for the document root
    marker: str  # "II", "2.1", "a", "-" … ("" for a paragraph without a marker)
    kind: str  # roman | num | letter | bullet | text | root
    rank: int
    body: str  # the paragraph's text without its marker
    children: list[Item] = field(default_factory=list)
    parent: Item | None = None

    def place(self) -> Place:
        assert self.paragraph is not None, "the root has no place"
        return self.paragraph.place()

    def descendants(self) -> list[Item]:
        found: list[Item] = []
        for child in self.children:
            found.append(child)
            found.extend(child.descendants())
        return found


def parse_marker(text: str) -> tuple[str, str, str]:
    """(kind, marker, body) of one paragraph's text."""
    match = MARKER.match(text)
    if match is None:
        return "text", "", text
    body = text[match.end() :].strip()
    for kind in ("roman", "num", "letter", "bullet"):
        value = match.group(kind)
        if value is not None:
            return kind, value[0] if kind == "bullet" else value, body
    return "text", "", text  # pragma: no cover - the pattern has no other group


def build(paragraphs: list[Paragraph]) -> Item:
    """Each numbered or bulleted paragraph under the nearest item above it of a higher rank; plain paragraphs under
    the item they follow. A bullet nests under a bullet of another character and is a sibling of one of its own."""
    root = Item(None, "", "root", -1, "")
    stack: list[Item] = [root]
    for paragraph in paragraphs:
        kind, marker, body = parse_marker(paragraph.text)
        if kind == "text":
            item = Item(paragraph, "", "text", 99, body, parent=stack[-1])
            stack[-1].children.append(item)
            continue
        if kind == "roman":
            rank = 0
        elif kind == "num":
            rank = marker.count(".") + 1
        elif kind == "letter":
            rank = LETTER_RANK
        else:
            rank = _bullet_rank(stack, marker)
        while len(stack) > 1 and stack[-1].rank >= rank:
            stack.pop()
        item = Item(paragraph, marker, kind, rank, body, parent=stack[-1])
        stack[-1].children.append(item)
        stack.append(item)
    return root


def _bullet_rank(stack: list[Item], char: str) -> int:
    """A bullet character already open on the stack keeps its rank (a sibling); a new one nests under the top."""
    for item in stack:
        if item.kind == "bullet" and item.marker == char:
            return item.rank
    top = stack[-1]
    return top.rank + 1 if top.kind == "bullet" else BULLET_RANK
