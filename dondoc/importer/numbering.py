"""Word's automatic list numbering, as the reader sees it: "2.1.", "a)", "III.", "-" in front of a paragraph.

python-docx gives a paragraph's text without the number Word draws in front of it. The number comes from the
paragraph's `w:numPr` (or its style's: list and heading styles carry one), naming a list instance (`w:num`, numId) and a
level (ilvl); the instance points to an abstract definition (`w:abstractNum`) whose levels give the start value, the
format (decimal, lowerLetter, upperRoman, bullet …) and the text with placeholders ("%1.%2."). Counting follows Word:
list instances of one abstract definition share their counters, an instance with a `w:startOverride` restarts its level
where it is first used, and using a level restarts the deeper ones (unless their `w:lvlRestart` says otherwise)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from docx.document import Document as DocxDocument
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement as _Element
from docx.text.paragraph import Paragraph as DocxParagraph

LEVELS = 9
_PLACEHOLDER = re.compile(r"%([1-9])")
_BULLETS = "-–—+*•·▪○"
_SYMBOL_BULLETS = {"o": "○", "\uf0b7": "•", "\uf0a7": "▪", "\uf0a8": "▪", "\uf06e": "▪", "\uf0fc": "•", "\uf0d8": "•"}
_ROMAN = [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc")]
_ROMAN += [(50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]


@dataclass
class Level:
    start: int = 1
    fmt: str = "decimal"
    text: str = ""  # "%1.%2." or the bullet character
    restart: int | None = None  # w:lvlRestart: restart when a level above this 1-based index is used; 0: never
    legal: bool = False  # w:isLgl: every number of the label in decimal
    style: str | None = None  # w:pStyle: the paragraph style bound to this level


@dataclass
class Instance:
    abstract: str
    starts: dict[int, int] = field(default_factory=dict)  # level -> w:startOverride
    levels: dict[int, Level] = field(default_factory=dict)  # level -> a w:lvl given in a w:lvlOverride


def _val(element: _Element | None, name: str) -> str | None:
    """The w:val of the child `name` of `element`."""
    if element is None:
        return None
    child = element.find(qn(name))
    return None if child is None else child.get(qn("w:val"))


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _level(element: _Element) -> Level:
    legal = element.find(qn("w:isLgl"))
    return Level(
        start=_int(_val(element, "w:start"), 1),
        fmt=_val(element, "w:numFmt") or "decimal",
        text=_val(element, "w:lvlText") or "",
        restart=_int(restart, 0) if (restart := _val(element, "w:lvlRestart")) is not None else None,
        legal=legal is not None and legal.get(qn("w:val")) not in ("0", "false", "off"),
        style=_val(element, "w:pStyle"),
    )


def _letters(n: int, upper: bool) -> str:
    """Word's letters: a … z, then aa … zz, aaa …"""
    if n < 1:
        return str(n)
    letter = chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)
    return letter.upper() if upper else letter


def _roman(n: int, upper: bool) -> str:
    if not 0 < n < 4000:
        return str(n)
    out = ""
    for value, symbol in _ROMAN:
        while n >= value:
            out, n = out + symbol, n - value
    return out.upper() if upper else out


def format_number(n: int, fmt: str) -> str:
    """One number in a level's format; formats Vietnamese documents do not use fall back to decimal."""
    if fmt in ("lowerLetter", "upperLetter"):
        return _letters(n, fmt == "upperLetter")
    if fmt in ("lowerRoman", "upperRoman"):
        return _roman(n, fmt == "upperRoman")
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt == "none":
        return ""
    return str(n)


def bullet_mark(text: str) -> str:
    """The bullet a level draws, as a character the importer reads as a bullet: Symbol and Wingdings glyphs (private
    use code points) become "•" or "▪", Courier's "o" "○"."""
    char = text.strip()[:1]
    if char in _BULLETS and char:
        return char
    if char in _SYMBOL_BULLETS:
        return _SYMBOL_BULLETS[char]
    if char and 0xF000 <= ord(char) <= 0xF0FF and chr(ord(char) - 0xF000) in _BULLETS:
        return chr(ord(char) - 0xF000)
    return "•"


class WordNumbering:
    """The numbers of one document's paragraphs, counted in reading order: call `label` on each paragraph in turn."""

    def __init__(self, document: DocxDocument) -> None:
        self._abstract: dict[str, dict[int, Level]] = {}
        self._style_link: dict[str, str] = {}  # abstractNum id -> the numbering style it takes its levels from
        self._instances: dict[str, Instance] = {}
        self._counters: dict[str, list[int | None]] = {}
        self._started: set[tuple[str, int]] = set()  # (numId, level) whose w:startOverride has been applied
        self._styles: dict[str, _Element] = {}
        styles = document.styles.element
        for style in styles.findall(qn("w:style")):
            style_id = style.get(qn("w:styleId"))
            if style_id:
                self._styles[style_id] = style
        self._default_style = next(
            (
                s.get(qn("w:styleId")) or ""
                for s in styles.findall(qn("w:style"))
                if s.get(qn("w:type")) == "paragraph" and s.get(qn("w:default")) in ("1", "true")
            ),
            None,
        )
        numbering = _numbering_element(document)
        if numbering is None:
            return
        for abstract in numbering.findall(qn("w:abstractNum")):
            abstract_id = abstract.get(qn("w:abstractNumId")) or ""
            levels = {_int(lvl.get(qn("w:ilvl")), 0): _level(lvl) for lvl in abstract.findall(qn("w:lvl"))}
            self._abstract[abstract_id] = levels
            link = _val(abstract, "w:numStyleLink")
            if link:
                self._style_link[abstract_id] = link
        for num in numbering.findall(qn("w:num")):
            num_id = num.get(qn("w:numId")) or ""
            instance = Instance(abstract=_val(num, "w:abstractNumId") or "")
            for override in num.findall(qn("w:lvlOverride")):
                level = _int(override.get(qn("w:ilvl")), 0)
                start = _val(override, "w:startOverride")
                if start is not None:
                    instance.starts[level] = _int(start, 1)
                lvl = override.find(qn("w:lvl"))
                if lvl is not None:
                    instance.levels[level] = _level(lvl)
            self._instances[num_id] = instance

    def label(self, paragraph: DocxParagraph) -> str | None:
        """The number Word shows in front of this paragraph ("2.1.", "a)", "•"), counting it; None when it has none."""
        found = self._num_pr(paragraph)
        if found is None:
            return None
        num_id, level = found
        instance = self._instances.get(num_id)
        if instance is None:
            return None
        abstract_id = self._resolve(instance.abstract)
        levels = self._levels(instance, abstract_id)
        if level not in levels or not 0 <= level < LEVELS:
            return None
        counters = self._counters.setdefault(abstract_id, [None] * LEVELS)
        if level in instance.starts and (num_id, level) not in self._started:
            self._started.add((num_id, level))
            counters[level] = instance.starts[level] - 1
        current = counters[level]
        counters[level] = levels[level].start if current is None else current + 1
        for deeper in range(level + 1, LEVELS):
            restart = levels[deeper].restart if deeper in levels else None
            if restart is None or (restart != 0 and level < restart):
                counters[deeper] = None
        this = levels[level]
        if this.fmt == "bullet":
            return bullet_mark(this.text)
        if this.fmt == "none" and not _PLACEHOLDER.search(this.text):
            return this.text.strip() or None

        def number(match: re.Match[str]) -> str:
            at = int(match.group(1)) - 1
            shown = levels.get(at, Level())
            value = counters[at] if counters[at] is not None else shown.start
            return format_number(value or 0, "decimal" if this.legal and at != level else shown.fmt)

        return _PLACEHOLDER.sub(number, this.text).strip() or None

    def _levels(self, instance: Instance, abstract_id: str) -> dict[int, Level]:
        levels = dict(self._abstract.get(abstract_id, {}))
        levels.update(instance.levels)
        return levels

    def _resolve(self, abstract_id: str) -> str:
        """An abstract definition that only links to a numbering style takes the levels of that style's list."""
        link = self._style_link.get(abstract_id)
        if link is None or self._abstract.get(abstract_id):
            return abstract_id
        style = self._styles.get(link)
        num_pr = _num_pr_of(style)
        if num_pr is None or num_pr[0] is None or num_pr[0] not in self._instances:
            return abstract_id
        return self._instances[num_pr[0]].abstract

    def _num_pr(self, paragraph: DocxParagraph) -> tuple[str, int] | None:
        """(numId, level) of the paragraph: its own w:numPr, completed from its style chain; numId 0 means none."""
        own = _num_pr_of(paragraph._p)
        num_id, level = own if own is not None else (None, None)
        style_id = _val(paragraph._p.find(qn("w:pPr")), "w:pStyle") or self._default_style
        seen: set[str] = set()
        bound_style: str | None = None
        while style_id and style_id not in seen and (num_id is None or level is None):
            seen.add(style_id)
            style = self._styles.get(style_id)
            if style is None:
                break
            found = _num_pr_of(style)
            if found is not None:
                num_id = num_id if num_id is not None else found[0]
                level = level if level is not None else found[1]
                bound_style = bound_style or style_id
            style_id = _val(style, "w:basedOn")
        if num_id is None or num_id == "0":
            return None
        if level is None:
            level = self._level_of_style(num_id, bound_style)
        return num_id, level

    def _level_of_style(self, num_id: str, style_id: str | None) -> int:
        """A style bound to a list without a level (a heading style) takes the level whose w:pStyle names it."""
        instance = self._instances.get(num_id)
        if instance is None or style_id is None:
            return 0
        levels = self._levels(instance, self._resolve(instance.abstract))
        return next((n for n, lvl in levels.items() if lvl.style == style_id), 0)


def _num_pr_of(element: _Element | None) -> tuple[str | None, int | None] | None:
    """(numId, ilvl) of a paragraph's or a style's w:pPr/w:numPr, either part possibly missing."""
    if element is None:
        return None
    ppr = element.find(qn("w:pPr"))
    num_pr = ppr.find(qn("w:numPr")) if ppr is not None else None
    if num_pr is None:
        return None
    level = _val(num_pr, "w:ilvl")
    return _val(num_pr, "w:numId"), (_int(level, 0) if level is not None else None)


def _numbering_element(document: DocxDocument) -> _Element | None:
    """The document's numbering.xml, or None when it has none (python-docx would create an empty one)."""
    part = document.part
    for rel in part.rels.values():
        if rel.reltype == RT.NUMBERING and not rel.is_external:
            element: _Element | None = getattr(rel.target_part, "element", None)  # None: a part not read as XML
            return element
    return None
