"""A document as numbered paragraphs: line breaks inside sentences joined, page-break artefacts removed, markdown
emphasis dropped. Every field the importer finds points back to a paragraph here."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

# A list marker at the start of a paragraph: "II.", "2.1.", "2.1 ", "a)", "-", "+", "*", "•".
MARKER = re.compile(
    r"^(?:(?P<roman>[IVX]{1,5})\.(?=\s)"
    r"|(?P<num>\d{1,2}(?:\.\d{1,2}){0,3})(?:\.|(?<=\d\.\d)|(?<=\d\.\d\d))(?=\s)"
    r"|(?P<letter>[a-zđ])\)(?=\s)"
    r"|(?P<bullet>[-–—+*•·▪○]+)(?=\s))\s*"
)
_TERMINAL = (".", ";", ":", "!", "?", "./.", "”", '"', ")")
_PAGE_NUMBER = re.compile(r"^[-–—\s]*(?:trang\s*)?\d{1,3}(?:\s*/\s*\d{1,3})?[-–—\s]*$", re.IGNORECASE)
_EMPHASIS = re.compile(r"\*\*|__|(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u3000]+")
# Bullets drawn in the Symbol or Wingdings font come out of a PDF as private-use code points.
_SYMBOL_BULLETS = {"\uf0b7": "•", "\uf0a7": "▪", "\uf0a8": "▪", "\uf06e": "▪", "\uf0fc": "•", "\uf0d8": "•"}
_SYMBOL_BULLET = re.compile("|".join(_SYMBOL_BULLETS))
_ROMAN_AND_DIGITS = re.compile(r"^[IVXLCDM]+\W*\d")


class Place(BaseModel):
    """Where something was read: the paragraph number (1-based), the PDF page when known, and the words."""

    model_config = ConfigDict(frozen=True)

    paragraph: int
    page: int | None = None
    excerpt: str

    def label(self) -> str:
        where = f"đoạn {self.paragraph}"
        return f"{where}, trang {self.page}" if self.page else where


@dataclass(frozen=True)
class CellAt:
    """Where a table cell is: the table (numbered in the document from 0), its first row and column in the table's
    grid, and how many rows and columns it spans (merged cells)."""

    table: int
    row: int
    column: int
    rows: int = 1
    columns: int = 1


@dataclass(frozen=True)
class RawLine:
    """One line as extracted; `page` for PDFs; `hard` when the source marks a paragraph end (DOCX paragraphs)."""

    text: str
    page: int | None = None
    hard: bool = False
    cell: bool = False  # inside a table cell: never joined with what is outside it
    at: CellAt | None = None  # which cell, when the extractor knows the table's grid


@dataclass(frozen=True)
class Paragraph:
    number: int  # 1-based, as shown to staff
    text: str
    page: int | None = None
    cell: CellAt | None = None  # the table cell it is in, when the extractor knows the table's grid

    def place(self, excerpt: str | None = None) -> Place:
        words = excerpt if excerpt is not None else self.text
        return Place(paragraph=self.number, page=self.page, excerpt=words[:300])


def clean(text: str) -> str:
    text = unicodedata.normalize("NFC", _SYMBOL_BULLET.sub(lambda m: _SYMBOL_BULLETS[m.group(0)], text))
    text = _EMPHASIS.sub(lambda m: m.group(1) or "", text)
    return _SPACES.sub(" ", text).strip()


def is_caps(text: str) -> bool:
    """A line in capitals (a heading, a header line); not a quarter's "IV/2023" wrapped onto its own line."""
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters) and not _ROMAN_AND_DIGITS.match(text)


def _ends_sentence(text: str) -> bool:
    return text.endswith(_TERMINAL) or is_caps(text)


# Words that open a paragraph of an official document, as written there (capitalised: "thực hiện" inside a wrapped
# sentence does not open one).
_STARTS = re.compile(r"^(?:Số\s*:|Nơi nhận|Kính gửi|V/v|Căn cứ|Thực hiện|Xét |Từ ngày|[A-ZĐ][\w ]{1,30}, ngày\b)")


def _opens(line: str) -> bool:
    """Whether a line can only start a paragraph: a list item, a heading in capitals, a header or closing line."""
    return bool(MARKER.match(line) or is_caps(line) or _STARTS.match(line))


def _lower_start(line: str) -> bool:
    return line[0].islower() or line[0].isdigit() or line[0] in "(,&"


def _broken(previous: str, line: str) -> bool:
    """A paragraph end that is really a page break or a hard line break inside a sentence."""
    return not _ends_sentence(previous) and not _opens(line) and _lower_start(line)


def _wrapped(previous: str, line: str, width: int | None) -> bool:
    """A soft line break (PDF, wrapped text) inside a paragraph: the previous line is full and leaves its sentence
    open, and the next one does not start a new item."""
    if _opens(line) or is_caps(previous):
        return False
    if _broken(previous, line):
        return True
    return not _ends_sentence(previous) and width is not None and len(previous) >= width * 3 // 4


def _width(lines: list[str]) -> int | None:
    """The usual length of a full line when text is wrapped (PDF), from the longer lines."""
    sizes = sorted(len(line) for line in lines if line)
    if len(sizes) < 8:
        return None
    return sizes[len(sizes) * 9 // 10]


def paragraphs(lines: list[RawLine]) -> list[Paragraph]:
    """Lines to numbered paragraphs. A blank line, a hard break (a DOCX paragraph) or a table cell ends a paragraph
    unless the next text plainly continues the sentence (a page break inside it); a soft break (PDF, wrapped text)
    joins lines of one paragraph."""
    cleaned = [(clean(raw.text), raw) for raw in lines]
    width = _width([text for text, raw in cleaned if not raw.hard and not raw.cell])
    merged: list[tuple[str, RawLine]] = []  # the text so far and the paragraph's first line
    hard = True  # whether the break before the next line is a paragraph end
    for text, raw in cleaned:
        if not text:
            hard = True
            continue
        if merged:
            previous, first = merged[-1]
            joined = (
                raw.cell == first.cell and raw.at == first.at and not hard and _wrapped(previous, text, width)
            ) or (not raw.cell and not first.cell and hard and _broken(previous, text))
            if joined:
                merged[-1] = (f"{previous} {text}", first)
                hard = raw.hard
                continue
        merged.append((text, raw))
        hard = raw.hard
    return [
        Paragraph(number=i + 1, text=text, page=first.page, cell=first.at) for i, (text, first) in enumerate(merged)
    ]


def drop_page_artefacts(pages: list[list[str]]) -> list[list[str]]:
    """Page numbers alone on a line at a page's top or bottom, and running headers or footers repeated on most pages."""
    if not pages:
        return pages
    edges: dict[str, int] = {}
    for lines in pages:
        texts = [clean(t) for t in lines if clean(t)]
        for text in {*texts[:2], *texts[-2:]}:
            edges[text] = edges.get(text, 0) + 1
    repeated = {t for t, n in edges.items() if len(pages) >= 3 and n >= max(3, len(pages) * 2 // 3)}
    result = []
    for lines in pages:
        kept = [line for line in lines if clean(line) not in repeated]
        filled = [i for i, line in enumerate(kept) if clean(line)]
        edge = set(filled[:1] + filled[-1:])
        result.append([line for i, line in enumerate(kept) if not (i in edge and _PAGE_NUMBER.match(clean(line)))])
    return result
