"""The ruled tables of a PDF, cell by cell, in the place of their text: pypdf reads a table's cells as loose lines,
interleaved (a unit beside the end of an action's text), so the tables pdfplumber finds by their ruling lines are
taken out of pypdf's text (by the position of each piece of text) and put back as cells with their place in the
table's grid, as for a Word table. A merged cell is one cell spanning rows or columns. pdfplumber is slow: it only
looks at the pages whose drawing has enough lines to be a table."""

from __future__ import annotations

import io
import logging
from bisect import bisect_left
from dataclasses import dataclass

import pdfplumber
from pypdf import PageObject

from dondoc.importer.text import CellAt, RawLine

_TOLERANCE = 1.5  # points: text on a ruling line is still inside
_TERMINAL = (".", ";", ":", "!", "?")
MARK = "\x00table:"  # stands for a table among a page's lines until the lines are made
RULED = 4  # straight lines or rectangles a page draws at least when it has a ruled table (a text page: one clip)


@dataclass(frozen=True)
class PageTable:
    bbox: tuple[float, float, float, float]  # x0, top, x1, bottom, from the page's top left
    cells: list[tuple[CellAt, str]]  # row by row


def find_tables(content: bytes, pages: list[int]) -> dict[int, list[PageTable]]:
    """Page index -> its ruled tables, of the pages at these indexes, numbered across the document. A file pdfplumber
    cannot parse gives none: its text is still read by pypdf."""
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    found: dict[int, list[PageTable]] = {}
    number = 0
    if not pages:
        return found
    try:
        with pdfplumber.open(io.BytesIO(content), pages=[i + 1 for i in pages]) as pdf:
            for index, page in zip(pages, pdf.pages, strict=True):
                for table in page.find_tables():
                    cells = _cells(table, number)
                    if cells:
                        x0, top, x1, bottom = (float(v) for v in table.bbox)
                        found.setdefault(index, []).append(PageTable((x0, top, x1, bottom), cells))
                        number += 1
    except Exception:  # pdfminer raises many kinds on malformed files; their text is still read by pypdf
        return {}
    return found


def _cells(table: pdfplumber.table.Table, number: int) -> list[tuple[CellAt, str]]:
    """Each cell once with its grid place and span, from the cells' boxes."""
    boxes = [box for row in table.rows for box in row.cells if box is not None]
    if not boxes:
        return []
    xs = sorted({round(b[0], 1) for b in boxes} | {round(b[2], 1) for b in boxes})
    tops = sorted({round(b[1], 1) for b in boxes} | {round(b[3], 1) for b in boxes})
    texts = table.extract()
    out: list[tuple[CellAt, str]] = []
    for r, row in enumerate(table.rows):
        for c, box in enumerate(row.cells):
            if box is None:
                continue
            column, right = bisect_left(xs, round(box[0], 1)), bisect_left(xs, round(box[2], 1))
            row_at, bottom = bisect_left(tops, round(box[1], 1)), bisect_left(tops, round(box[3], 1))
            text = texts[r][c] if r < len(texts) and c < len(texts[r]) else None
            at = CellAt(number, row_at, column, max(bottom - row_at, 1), max(right - column, 1))
            out.append((at, text or ""))
    return out


def cell_lines(at: CellAt, text: str, page: int) -> list[RawLine]:
    """A cell's wrapped lines joined into its paragraphs (a line ending a sentence ends one), then a blank line."""
    paragraphs: list[str] = []
    for line in (part.strip() for part in text.splitlines()):
        if not line:
            continue
        if paragraphs and not paragraphs[-1].endswith(_TERMINAL):
            paragraphs[-1] = f"{paragraphs[-1]} {line}"
        else:
            paragraphs.append(line)
    lines = [RawLine(p, page=page, hard=True, cell=True, at=at) for p in paragraphs]
    return [*lines, RawLine("", page=page, cell=True, at=at)]


@dataclass
class PageScan:
    """A page's text as pypdf extracts it, piece by piece with where each piece is, and whether its drawing has
    enough straight lines and rectangles to be a ruled table."""

    parts: list[tuple[str, float, float, bool]]  # text, x, top (from the page's top left), whether it is placed
    ruled: bool

    def text(self, tables: list[PageTable]) -> str:
        """The text, each table's replaced by one line `MARK<n>` (n its number in the document)."""
        if not tables:
            return "".join(part[0] for part in self.parts)
        out: list[str] = []
        current: int | None = None  # the table the last placed piece of text was in
        done: set[int] = set()
        for text, x, top, placed in self.parts:
            if placed:
                current = _table_at(tables, x, top)
            if current is None:
                out.append(text)
            elif current not in done:
                done.add(current)
                out.append(f"\n{MARK}{tables[current].cells[0][0].table}\n")
        return "".join(out)


def scan(page: PageObject) -> PageScan:
    top = float(page.mediabox.top)
    left = float(page.mediabox.left)
    parts: list[tuple[str, float, float, bool]] = []
    drawn = 0

    def visit_text(text: str, cm: list[float], tm: list[float], font: object, size: object) -> None:
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        parts.append((text, x - left, top - y, not (x == 0 and y == 0) and text.strip() != ""))

    def visit_operator(operator: bytes, operands: object, cm: object, tm: object) -> None:
        nonlocal drawn
        if operator in (b"l", b"re"):
            drawn += 1

    page.extract_text(visitor_text=visit_text, visitor_operand_before=visit_operator)
    return PageScan(parts, drawn >= RULED)


def _table_at(tables: list[PageTable], x: float, top: float) -> int | None:
    for index, table in enumerate(tables):
        x0, t0, x1, t1 = table.bbox
        if x0 - _TOLERANCE <= x <= x1 + _TOLERANCE and t0 - _TOLERANCE <= top <= t1 + _TOLERANCE:
            return index
    return None
