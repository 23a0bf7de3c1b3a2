"""A `LetterText` as a Word document laid out per Nghị định 30/2020/NĐ-CP (A4, Times New Roman, national header)."""

from __future__ import annotations

from datetime import UTC
from io import BytesIO

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Length, Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from dondoc.letters.text import LetterText
from models.spec import printable

FONT = "Times New Roman"
LANGUAGE = "vi-VN"  # spelling and hyphenation in Word
BODY_PT = 14
TEXT_WIDTH = Mm(210 - 30 - 15)
SHORT_COLUMN = 30  # characters: a column whose values are all this short gets them on one line
MIN_TEXT_COLUMN = int(Mm(50))  # room a long-text column keeps beside the short ones
MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
TIEU_NGU = "Độc lập - Tự do - Hạnh phúc"
Blocks = DocumentObject | _Cell


def letter_docx(text: LetterText) -> bytes:
    doc = Document()
    _setup(doc, text)
    _header(doc, text)
    _addressees(doc, text.addressees)
    for body in text.paragraphs_before:
        _body(doc, body)
    if text.table_header:
        _items(doc, text.table_header, text.table_rows)
    for note in text.notes:
        _para(doc, note, size=11, italic=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY).paragraph_format.space_after = Pt(6)
    for body in text.paragraphs_after:
        _body(doc, body)
    _signature(doc, text)
    out = BytesIO()
    doc.save(out)
    return out.getvalue()


def _setup(doc: DocumentObject, text: LetterText) -> None:
    """A4 portrait with the decree's margins; Times New Roman (Latin and East Asian slots) as the default font."""
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance = Mm(10)
    # Page numbers centred at the top, hidden on the first page.
    section.different_first_page_header_footer = True
    number = section.header.paragraphs[0]
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = _element("w:fldSimple", {"w:instr": "PAGE"})
    field.append(number.add_run("2")._r)  # the run moves into the field: its cached result until recomputed
    number._p.append(field)
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr_default = None if defaults is None else defaults.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
    normal = doc.styles["Normal"]
    for rpr in (rpr_default, normal.element.get_or_add_rPr()):
        if rpr is None:
            continue
        for old in rpr.findall(qn("w:rFonts")):
            rpr.remove(old)
        slots = ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs")
        rpr.insert(0, _element("w:rFonts", dict.fromkeys(slots, FONT)))
        for old in rpr.findall(qn("w:lang")):
            rpr.remove(old)
        rpr.append(_element("w:lang", {"w:val": LANGUAGE, "w:eastAsia": LANGUAGE, "w:bidi": "ar-SA"}))
    normal.font.size = Pt(BODY_PT)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.0
    doc.core_properties.author = printable(text.author or text.issuing_body)
    doc.core_properties.title = printable(f"V/v {text.subject}") if text.subject else ""
    doc.core_properties.comments = ""
    doc.core_properties.language = LANGUAGE
    if text.dated is not None:  # not the template's dates of 2013
        moment = text.dated.astimezone(UTC).replace(tzinfo=None)
        doc.core_properties.created = doc.core_properties.modified = moment
        doc.core_properties.last_modified_by = printable(text.author or text.issuing_body)
        doc.core_properties.revision = 1


def _header(doc: DocumentObject, text: LetterText) -> None:
    """Issuer and number on the left, national motto and place/date on the right (two rows so they line up)."""
    table = _grid(doc, 2, [Mm(68), Length(TEXT_WIDTH - Mm(68))])
    left, right = table.cell(0, 0), table.cell(0, 1)
    if text.issuing_parent:
        _para(left, text.issuing_parent.upper(), size=13)
    _para(left, text.issuing_body.upper(), size=13, bold=True)
    _rule(left, Mm(68), Mm(22))
    _para(right, MOTTO, size=12, bold=True)
    _para(right, TIEU_NGU, size=13, bold=True)
    _rule(right, Length(TEXT_WIDTH - Mm(68)), Mm(58))
    _para(table.cell(1, 0), text.number_line, size=13).paragraph_format.space_before = Pt(4)
    if text.subject:  # letters carry a V/v line; reports have a title instead
        _para(table.cell(1, 0), f"V/v {text.subject}", size=12).paragraph_format.space_before = Pt(2)
    _para(table.cell(1, 1), text.place_date, italic=True).paragraph_format.space_before = Pt(4)
    _para(doc, "").paragraph_format.space_after = Pt(6)


def _addressees(doc: DocumentObject, addressees: list[str]) -> None:
    names = [a.rstrip(" ;.") for a in addressees]
    if len(names) == 1:
        _para(doc, f"Kính gửi: {names[0]}.").paragraph_format.space_after = Pt(12)
        return
    _para(doc, "Kính gửi:").paragraph_format.left_indent = Mm(20)
    for i, name in enumerate(names):
        line = _para(doc, f"- {name}{'.' if i == len(names) - 1 else ';'}", align=WD_ALIGN_PARAGRAPH.LEFT)
        line.paragraph_format.left_indent = Mm(45)
    doc.paragraphs[-1].paragraph_format.space_after = Pt(12)


def _body(doc: DocumentObject, text: str) -> None:
    p = _para(doc, text, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    p.paragraph_format.first_line_indent = Mm(10)
    p.paragraph_format.space_after = Pt(6)


def _items(doc: DocumentObject, header: list[str], rows: list[list[str]]) -> None:
    """The outstanding items: bordered grid, bold header row repeated on every page, narrow columns for short data."""
    widths = _column_widths(header, rows)
    table = _grid(doc, 1 + len(rows), widths)
    table.style = doc.styles["Table Grid"]
    _row_flag(table, 0, "w:tblHeader")
    for r, values in enumerate([header, *rows]):
        _row_flag(table, r, "w:cantSplit")
        for c, value in enumerate(values):
            cell = table.cell(r, c)
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            centred = r == 0 or widths[c] < Mm(45)
            align = WD_ALIGN_PARAGRAPH.CENTER if centred else WD_ALIGN_PARAGRAPH.LEFT
            spacing = _para(cell, value, size=12, bold=r == 0, align=align).paragraph_format
            spacing.space_before = spacing.space_after = Pt(2)
    _para(doc, "").paragraph_format.space_after = Pt(3)


def _column_widths(header: list[str], rows: list[list[str]]) -> list[Length]:
    """As a browser lays out a table: no column narrower than its longest word; a short column (number, date) gets
    its longest value on one line while the long-text columns keep room; what is left goes to the long-text columns
    by their length. A date with a note ("01/10/2018 (hạn giả định)") wraps after the date, never inside it."""

    def width(chars: int) -> int:
        return int(Mm(2.3 * chars + 5))

    columns = [[*title.split(), *(r[i] for r in rows)] for i, title in enumerate(header)]
    words = [max([1, *(len(w) for value in col for w in value.split())]) for col in columns]
    lines = [max([1, *(len(r[i]) for r in rows)]) for i in range(len(header))]
    low = [width(n) for n in words]
    if sum(low) >= TEXT_WIDTH:  # not even the longest words fit: shrink them all alike
        return [Length(TEXT_WIDTH * w // sum(low)) for w in low]
    short = [n <= SHORT_COLUMN for n in lines]
    full = [max(lo, width(n)) if s else lo for lo, n, s in zip(low, lines, short, strict=True)]
    if sum(full) + MIN_TEXT_COLUMN * short.count(False) > TEXT_WIDTH:
        full = low  # the short columns wrap too, at their words
    spare = TEXT_WIDTH - sum(full)
    growing = [n if not s else 0 for n, s in zip(lines, short, strict=True)]
    if not any(growing):
        growing = lines
    return [Length(f + spare * g // sum(growing)) for f, g in zip(full, growing, strict=True)]


def _signature(doc: DocumentObject, text: LetterText) -> None:
    _para(doc, "")
    table = _grid(doc, 1, [Mm(80), Length(TEXT_WIDTH - Mm(80))])
    _row_flag(table, 0, "w:cantSplit")
    left, right = table.cell(0, 0), table.cell(0, 1)
    _para(left, "Nơi nhận:", size=12, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    for line in text.recipients:
        _para(left, f"- {line}", size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    if text.signer_prefix:
        _para(right, text.signer_prefix, bold=True)
    _para(right, text.signer_title, bold=True)
    for _ in range(4):
        _para(right, "")
    if text.signer_name:
        _para(right, text.signer_name, bold=True)


def _grid(doc: DocumentObject, rows: int, widths: list[Length]) -> Table:
    """A fixed-width table; the first (empty) paragraph of each cell is dropped so `_para` can append freely."""
    table: Table = doc.add_table(rows=rows, cols=len(widths))
    table.autofit = False
    for c, width in enumerate(widths):
        table.columns[c].width = width
        for cell in table.columns[c].cells:
            cell.width = width
            cell._tc.remove(cell.paragraphs[0]._p)
    return table


def _para(
    where: Blocks,
    text: str,
    *,
    size: int = BODY_PT,
    bold: bool = False,
    italic: bool = False,
    align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.CENTER,
) -> Paragraph:
    p = where.add_paragraph()
    p.alignment = align
    run = p.add_run(printable(text))  # text stored before input was cleaned may still hold control characters
    run.font.size, run.font.bold, run.font.italic = Pt(size), bold, italic
    return p


def _rule(cell: _Cell, cell_width: Length, length: Length) -> None:
    """A short centred horizontal line: the bottom border of a 1pt-high paragraph indented from both sides."""
    p = cell.add_paragraph()
    # pBdr goes in first: python-docx then inserts spacing and indents after it, in schema order.
    borders = _element("w:pBdr", {})
    borders.append(_element("w:bottom", {"w:val": "single", "w:sz": "6", "w:space": "1", "w:color": "auto"}))
    p._p.get_or_add_pPr().append(borders)
    p.paragraph_format.line_spacing = Pt(1)
    p.paragraph_format.space_before = Pt(2)
    p.paragraph_format.left_indent = p.paragraph_format.right_indent = Length((cell_width - length) // 2)


def _row_flag(table: Table, row: int, tag: str) -> None:
    table.rows[row]._tr.get_or_add_trPr().append(_element(tag, {}))


def _element(tag: str, attrs: dict[str, str]) -> BaseOxmlElement:
    element = OxmlElement(tag)
    for name, value in attrs.items():
        element.set(qn(name), value)
    return element
