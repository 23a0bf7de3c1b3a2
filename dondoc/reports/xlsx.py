"""Excel workbooks as offices use them: a title, the filters applied, a bold frozen header with an autofilter,
set column widths, dates as dates (dd/mm/yyyy), đồng as whole numbers with a thousands separator."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from models.vn import VN

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "dd/mm/yyyy"
MONEY_FORMAT = "#,##0"
FONT = "Times New Roman"
Cell = str | int | date | datetime | None


@dataclass(frozen=True)
class Column:
    title: str
    width: float  # in characters
    kind: str = "text"  # text | int | money | date | wrap

    @property
    def number_format(self) -> str | None:
        return {"money": MONEY_FORMAT, "int": "0", "date": DATE_FORMAT}.get(self.kind)


_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def add_sheet(
    book: Workbook,
    name: str,
    title: str,
    notes: Sequence[str],
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    total: Sequence[Cell] | None = None,
) -> Worksheet:
    """A sheet: title and notes above, then the table; the header row frozen and filterable; an optional bold total
    row under the data."""
    sheet: Worksheet = book.create_sheet(name[:31])
    sheet.append([_clean(title)])
    sheet.cell(1, 1).font = Font(name=FONT, bold=True, size=14)
    for note in notes:
        sheet.append([_clean(note)])
        sheet.cell(sheet.max_row, 1).font = Font(name=FONT, italic=True)
    header_row = len(notes) + 3  # a blank row between the notes and the table
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(header_row, index, column.title)
        cell.font = Font(name=FONT, bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6F0")
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.border = _BORDER
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    for offset, values in enumerate(rows, start=1):
        _write(sheet, header_row + offset, columns, values, bold=False)
    last_data = header_row + len(rows)
    if total is not None:
        _write(sheet, last_data + 1, columns, total, bold=True)
    sheet.freeze_panes = f"A{header_row + 1}"
    if rows:
        sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(columns))}{last_data}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    return sheet


def _write(sheet: Worksheet, row: int, columns: Sequence[Column], values: Sequence[Cell], bold: bool) -> None:
    for index, (column, value) in enumerate(zip(columns, values, strict=True), start=1):
        cell = sheet.cell(row, index, _value(value))
        cell.font = Font(name=FONT, bold=bold)
        cell.border = _BORDER
        cell.alignment = Alignment(wrap_text=column.kind in ("wrap", "text"), vertical="top")
        if column.number_format and isinstance(cell.value, int | date):
            cell.number_format = column.number_format


def _value(value: Cell) -> str | int | date | None:
    """Times as the Vietnamese calendar day they fall on (Excel has no time zones)."""
    if isinstance(value, datetime):
        return value.astimezone(VN).date()
    return _clean(value) if isinstance(value, str) else value


def _clean(text: str) -> str:
    """Control characters (from a search typed by a user, say) cannot be written to a worksheet: dropped."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def workbook() -> Workbook:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    return book


def to_bytes(book: Workbook) -> bytes:
    out = BytesIO()
    book.save(out)
    return out.getvalue()
