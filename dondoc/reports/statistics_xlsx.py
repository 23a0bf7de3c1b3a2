"""The statistics of a period as an XLSX workbook: one sheet per issuer and in total, one per unit."""

from __future__ import annotations

from datetime import datetime

from dondoc.reports import xlsx
from dondoc.reports.statistics import COLUMNS, MONEY, Figures, Line, Statistics
from models.vn import VN


def _columns(first: str) -> list[xlsx.Column]:
    return [
        xlsx.Column("STT", 6, "int"),
        xlsx.Column(first, 36, "wrap"),
        *(xlsx.Column(title, 18 if key in MONEY else 12, "money" if key in MONEY else "int") for key, title in COLUMNS),
    ]


def _cells(figures: Figures) -> list[xlsx.Cell]:
    return [int(getattr(figures, key)) for key, _ in COLUMNS]


def _rows(lines: list[Line]) -> list[list[xlsx.Cell]]:
    return [[i, line.name, *_cells(line.figures)] for i, line in enumerate(lines, start=1)]


def statistics_xlsx(stats: Statistics, now: datetime, scope: str) -> bytes:
    book = xlsx.workbook()
    notes = [
        f"Kỳ báo cáo: {stats.period}. Lập ngày {now.astimezone(VN):%d/%m/%Y}. Phạm vi: {scope}.",
        "Kiến nghị theo dõi trong kỳ = hoàn thành đúng hạn + hoàn thành quá hạn + quá hạn chưa hoàn thành "
        "+ đang thực hiện trong hạn + miễn thực hiện + chuyển cơ quan điều tra.",
        "Hạn được gia hạn trước khi hết hạn thì tính theo hạn mới; gia hạn sau khi đã quá hạn không xóa việc quá hạn.",
    ]
    total: list[xlsx.Cell] = [None, "Tổng cộng", *_cells(stats.total)]
    title = f"THỐNG KÊ KẾT QUẢ THEO DÕI, ĐÔN ĐỐC THỰC HIỆN KẾT LUẬN THANH TRA — {stats.period.upper()}"
    xlsx.add_sheet(
        book, "Theo cơ quan ban hành", title, notes, _columns("Cơ quan ban hành"), _rows(stats.by_issuer), total
    )
    xlsx.add_sheet(book, "Theo đơn vị", title, notes, _columns("Đơn vị thực hiện"), _rows(stats.by_unit), total)
    return xlsx.to_bytes(book)
