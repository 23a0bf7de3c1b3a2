"""The text of a document file: plain text (UTF-8, UTF-16 or Windows-1258), DOCX (paragraphs and tables in reading
order, python-docx, Word's list numbers included) or PDF with a text layer (pypdf; its ruled tables cell by cell,
pdfplumber). A scanned PDF or another format is refused with a reason."""

from __future__ import annotations

import io
import logging
import zipfile
from dataclasses import dataclass

from docx import Document
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph as DocxParagraph
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from dondoc.importer.numbering import WordNumbering
from dondoc.importer.pdf_tables import MARK, cell_lines, find_tables, scan
from dondoc.importer.text import CellAt, Paragraph, RawLine, drop_page_artefacts, paragraphs

MAX_BYTES = 20 * 1024 * 1024
MAX_PDF_PAGES = 300
SUFFIXES = (".txt", ".docx", ".pdf")


class UnreadableDocument(ValueError):
    """The file cannot be read as a document (a Vietnamese message for staff)."""


def kind_of(name: str, content: bytes) -> str:
    """'pdf', 'docx' or 'txt', by content first (a renamed file is still read), then by name."""
    if content.startswith(b"%PDF-"):
        return "pdf"
    if content.startswith(b"PK\x03\x04"):
        return "docx"
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableDocument(
            "Tệp Word cũ (.doc) chưa đọc được: hãy mở bằng Word hoặc LibreOffice và lưu lại dưới dạng .docx."
        )
    lower = name.lower()
    if lower.endswith((".pdf", ".docx")):
        raise UnreadableDocument(f"Tệp {name} bị hỏng hoặc không đúng định dạng như tên tệp.")
    return "txt"


def read_document(name: str, content: bytes) -> list[Paragraph]:
    if len(content) > MAX_BYTES:
        raise UnreadableDocument(f"Tệp quá lớn (tối đa {MAX_BYTES // (1024 * 1024)} MB).")
    kind = kind_of(name, content)
    if kind == "pdf":
        lines = _pdf_lines(content)
    elif kind == "docx":
        lines = _docx_lines(content)
    else:
        lines = [RawLine(line) for line in _decode(content).splitlines()]
    result = paragraphs(lines)
    if not result:
        if kind == "pdf":
            raise UnreadableDocument(
                "Tệp PDF không có lớp chữ (có lẽ là bản quét): hãy dùng bản Word, hoặc PDF đã nhận dạng chữ (OCR)."
            )
        raise UnreadableDocument("Tệp không có nội dung chữ.")
    return result


def _decode(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if b"\x00" in content[:4096]:
        raise UnreadableDocument("Tệp không phải văn bản (không đọc được dưới dạng chữ).")
    return content.decode("cp1258", errors="replace")


def _docx_lines(content: bytes) -> list[RawLine]:
    try:
        document = Document(io.BytesIO(content))
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise UnreadableDocument(f"Không mở được tệp Word: {error}") from None
    reader = _DocxReader(WordNumbering(document))
    for block in document.iter_inner_content():
        if isinstance(block, DocxParagraph):
            reader.paragraph(block, None)
        else:
            reader.table(block)
    return reader.lines


@dataclass
class _GridCell:
    cell: _Cell
    row: int
    column: int
    columns: int
    rows: int = 1


class _DocxReader:
    """Paragraphs and tables in reading order, each paragraph with the number Word shows in front of it, each table
    cell once (a merged cell is one cell spanning rows or columns) with its place in the table's grid."""

    def __init__(self, numbering: WordNumbering) -> None:
        self.numbering = numbering
        self.lines: list[RawLine] = []
        self.tables = 0

    def paragraph(self, paragraph: DocxParagraph, at: CellAt | None) -> None:
        """A paragraph's manual line breaks (Shift+Enter) become lines of their own; its end is a hard break."""
        label = self.numbering.label(paragraph)
        text = paragraph.text
        if label:
            text = f"{label} {text}" if text.strip() else label
        parts = text.split("\n")
        for i, part in enumerate(parts):
            self.lines.append(RawLine(part, hard=i == len(parts) - 1, cell=at is not None, at=at))

    def table(self, table: Table) -> None:
        number = self.tables
        self.tables += 1
        for grid in _grid(table):
            at = CellAt(number, grid.row, grid.column, grid.rows, grid.columns)
            for block in grid.cell.iter_inner_content():
                if isinstance(block, DocxParagraph):
                    self.paragraph(block, at)
                else:
                    self.table(block)
            self.lines.append(RawLine("", cell=True, at=at))


def _grid(table: Table) -> list[_GridCell]:
    """The table's cells row by row, each once: a cell's grid column counts the spans before it (w:gridBefore,
    w:gridSpan); a w:vMerge continuation adds a row to the cell above it instead of being a cell."""
    cells: list[_GridCell] = []
    above: dict[int, _GridCell] = {}  # grid column -> the cell last started there
    for row_index, tr in enumerate(table._tbl.tr_lst):
        column = tr.grid_before
        for tc in tr.tc_lst:
            span = tc.grid_span
            merge = tc.vMerge
            if merge == "continue" and column in above:
                above[column].rows += 1
            else:
                cell = _GridCell(_Cell(tc, table), row_index, column, span)
                cells.append(cell)
                for covered in range(column, column + span):
                    above[covered] = cell
            column += span
    return cells


def _pdf_lines(content: bytes) -> list[RawLine]:
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed PDFs are common; a warning per object is noise
    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableDocument("Tệp PDF có mật khẩu: hãy gỡ mật khẩu rồi tải lên lại.")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise UnreadableDocument(f"Tệp PDF quá dài (tối đa {MAX_PDF_PAGES} trang).")
        scans = [scan(page) for page in reader.pages]
        tables = find_tables(content, [i for i, page in enumerate(scans) if page.ruled])
        pages = [page.text(tables.get(i, [])).splitlines() for i, page in enumerate(scans)]
    except (PdfReadError, ValueError, KeyError, TypeError) as error:
        if isinstance(error, UnreadableDocument):
            raise
        raise UnreadableDocument(f"Không đọc được tệp PDF: {error}") from None
    cells = {t.cells[0][0].table: t for page in tables.values() for t in page}
    lines: list[RawLine] = []
    for number, page_lines in enumerate(drop_page_artefacts(pages), start=1):
        for line in page_lines:
            table = cells.get(int(line[len(MARK) :])) if line.startswith(MARK) else None
            if table is None:
                lines.append(RawLine(line, page=number))
                continue
            for at, text in table.cells:
                lines.extend(cell_lines(at, text, number))
    return lines
