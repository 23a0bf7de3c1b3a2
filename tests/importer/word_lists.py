"""Word documents whose numbers are Word's own list numbering (numbering.xml), not typed: what a conclusion drafted
in Word with "Multilevel list" looks like inside."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.text.paragraph import Paragraph


@dataclass(frozen=True)
class Lvl:
    fmt: str  # decimal, lowerLetter, upperLetter, lowerRoman, upperRoman, bullet
    text: str  # "%1.", "%2.%3.", "-"
    start: int = 1
    font: str | None = None  # "Symbol" for a Symbol-font bullet
    restart: int | None = None  # w:lvlRestart


def add_list(document: DocxDocument, abstract_id: int, levels: list[Lvl]) -> None:
    """A w:abstractNum with these levels (placed before every w:num, as the schema orders them)."""
    parts = []
    for ilvl, lvl in enumerate(levels):
        font = f'<w:rPr><w:rFonts w:ascii="{lvl.font}" w:hAnsi="{lvl.font}"/></w:rPr>' if lvl.font else ""
        restart = f'<w:lvlRestart w:val="{lvl.restart}"/>' if lvl.restart is not None else ""
        parts.append(
            f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="{lvl.start}"/><w:numFmt w:val="{lvl.fmt}"/>{restart}'
            f'<w:lvlText w:val="{lvl.text}"/><w:lvlJc w:val="left"/>'
            f'<w:pPr><w:ind w:left="{567 * (ilvl + 1)}" w:hanging="567"/></w:pPr>{font}</w:lvl>'
        )
    abstract = parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}">'
        f'<w:multiLevelType w:val="multilevel"/>{"".join(parts)}</w:abstractNum>'
    )
    numbering = document.part.numbering_part.element
    first_num = numbering.find(qn("w:num"))
    if first_num is None:
        numbering.append(abstract)
    else:
        first_num.addprevious(abstract)


def add_instance(document: DocxDocument, num_id: int, abstract_id: int, starts: dict[int, int] | None = None) -> None:
    """A w:num (a list instance) of that definition; `starts` restarts levels (w:startOverride), as "Restart at 1"."""
    overrides = "".join(
        f'<w:lvlOverride w:ilvl="{lvl}"><w:startOverride w:val="{value}"/></w:lvlOverride>'
        for lvl, value in (starts or {}).items()
    )
    num = parse_xml(
        f'<w:num {nsdecls("w")} w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/>{overrides}</w:num>'
    )
    document.part.numbering_part.element.append(num)


def numbered(paragraph: Paragraph, num_id: int, ilvl: int) -> Paragraph:
    num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = ilvl
    num_pr.get_or_add_numId().val = num_id
    return paragraph


# The levels a Vietnamese conclusion uses: "I.", "1.", "1.1.", "a)", "+", then a Symbol-font bullet.
OUTLINE = [
    Lvl("upperRoman", "%1."),
    Lvl("decimal", "%2."),
    Lvl("decimal", "%2.%3."),
    Lvl("lowerLetter", "%4)"),
    Lvl("bullet", "+"),
    Lvl("bullet", "\uf0b7", font="Symbol"),
]
DASHES = [Lvl("bullet", "-")]
# typed marker -> level of OUTLINE
_MARKERS = [("roman", 0), ("num", 1), ("sub", 2), ("letter", 3), ("plus", 4), ("star", 5)]


def _typed(line: str) -> tuple[str, int | None, str]:
    """(kind, OUTLINE level or None, text without the typed marker) of a line of the typed conclusion."""
    patterns = [
        ("roman", r"^[IVX]+\.\s+"),
        ("sub", r"^\d+\.\d+\.\s+"),
        ("num", r"^\d+\.\s+"),
        ("letter", r"^[a-z]\)\s+"),
        ("plus", r"^\+\s+"),
        ("star", r"^\*\s+"),
        ("dash", r"^-\s+"),
    ]
    for kind, pattern in patterns:
        match = re.match(pattern, line)
        if match:
            level = dict(_MARKERS).get(kind)
            return kind, level, line[match.end() :]
    return "text", None, line


def docx_with_word_numbering(text: str, path: Path) -> Path:
    """The typed conclusion with every typed number replaced by Word's list numbering: one multilevel list for
    the outline, another for the "-" list of Nơi nhận. A numbered block is one paragraph (its lines wrap), other
    blocks a paragraph per line."""
    document = Document()
    add_list(document, 90, OUTLINE)
    add_list(document, 91, DASHES)
    add_instance(document, 90, 90)
    add_instance(document, 91, 91)
    blocks = [b.strip() for b in text.split("\n\n") if b.strip()]
    for block in blocks:
        lines = block.splitlines()
        if lines[0].startswith(("Nơi nhận", "- ")):
            for line in lines:
                kind, _, rest = _typed(line)
                if kind == "dash":
                    numbered(document.add_paragraph(rest), 91, 0)
                else:
                    document.add_paragraph(line)
            continue
        kind, level, rest = _typed(" ".join(lines))
        if level is None:
            for line in lines:
                document.add_paragraph(line)
            continue
        numbered(document.add_paragraph(rest), 90, level)
    document.save(str(path))
    return path
