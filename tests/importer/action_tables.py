"""Word conclusions whose actions are a table, as inspectorates lay them out: a header row (STT | Nội dung kiến nghị |
Đơn vị thực hiện | Thời hạn …), merged cells, group rows, a row split by a page break."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.table import Table

HEAD = """UBND TỈNH QUẢNG NGÃI
THANH TRA TỈNH
Số: 45/KL-TTr
Quảng Ngãi, ngày 12 tháng 9 năm 2023
KẾT LUẬN THANH TRA
Về việc quản lý, sử dụng kinh phí xây dựng nông thôn mới tại UBND huyện Lý Sơn và UBND huyện Trà Bồng
Thực hiện Quyết định số 210/QĐ-TTr ngày 05/6/2023 của Chánh Thanh tra tỉnh về thanh tra việc quản lý, sử dụng kinh phí xây dựng nông thôn mới;
Từ ngày 12/6/2023 đến ngày 20/7/2023, Đoàn thanh tra đã tiến hành thanh tra đối với UBND huyện Lý Sơn và UBND huyện Trà Bồng.
Chánh Thanh tra tỉnh kết luận như sau:
I. KHÁI QUÁT CHUNG
Hai huyện được giao kinh phí theo kế hoạch.
II. KẾT QUẢ KIỂM TRA, XÁC MINH
1. Chi sai chế độ 155.500.000 đồng.
III. KIẾN NGHỊ BIỆN PHÁP XỬ LÝ"""

CLOSING = """Giao Phòng Nghiệp vụ 2 theo dõi, đôn đốc việc thực hiện kết luận này./.
Nơi nhận:
- Chủ tịch UBND tỉnh;
- UBND huyện Lý Sơn;
- UBND huyện Trà Bồng;
- Lưu: VT, NV2.
KT. CHÁNH THANH TRA
PHÓ CHÁNH THANH TRA
Nguyễn Văn An"""


@dataclass(frozen=True)
class Merge:
    """Cells to merge: from (row, column) to (row, column), both included."""

    top: tuple[int, int]
    bottom: tuple[int, int]


def add_table(document: DocxDocument, rows: list[list[str]], merges: Sequence[Merge] = ()) -> Table:
    """A bordered table ("Table Grid") with these rows; merged cells keep the text of their first cell."""
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Table Grid"
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    for merge in merges:
        first = table.cell(*merge.top)
        keep = first.text
        merged = first.merge(table.cell(*merge.bottom))
        merged.text = keep
    return table


def conclusion_with_tables(
    path: Path, tables: list[tuple[list[list[str]], Sequence[Merge]]], intro: str | None = None, closing: str = CLOSING
) -> Path:
    """The conclusion's head, an optional paragraph introducing the tables, the tables one after another, the
    closing."""
    document = Document()
    for line in HEAD.splitlines():
        document.add_paragraph(line)
    if intro:
        document.add_paragraph(intro)
    for rows, merges in tables:
        add_table(document, rows, merges)
    for line in closing.splitlines():
        document.add_paragraph(line)
    document.save(str(path))
    return path


ACTIONS = [
    ["STT", "Nội dung kiến nghị", "Đơn vị thực hiện", "Thời hạn hoàn thành", "Ghi chú"],
    ["I", "Đối với UBND huyện Lý Sơn", "", "", ""],
    [
        "1",
        "Thu hồi số tiền 120.000.000 đồng chi sai chế độ nộp vào tài khoản tạm giữ của Thanh tra tỉnh.",
        "UBND huyện Lý Sơn",
        "30/11/2023",
        "",
    ],
    ["2", "Tổ chức kiểm điểm trách nhiệm đối với tập thể, cá nhân có liên quan.", "", "Trong 30 ngày làm việc", ""],
    ["3", "Chấn chỉnh công tác quản lý:", "", "", ""],
    ["a", "Rà soát hồ sơ thanh toán các công trình;", "", "Quý IV/2023", ""],
    ["b", "Hoàn thành việc lập hồ sơ quyết toán.", "Phòng Tài chính - Kế hoạch huyện Lý Sơn", "", ""],
    ["II", "Đối với UBND huyện Trà Bồng", "", "", ""],
    ["1", "Thu hồi số tiền 35.500.000 đồng nộp ngân sách nhà nước", "UBND huyện Trà Bồng", "Tháng 12/2023", ""],
    ["", "và báo cáo kết quả về Thanh tra tỉnh.", "", "", ""],
    [
        "2",
        "Xử phạt vi phạm hành chính đối với nhà thầu thi công theo quy định.",
        "Chủ tịch UBND huyện Trà Bồng",
        "",
        "",
    ],
]
ACTION_MERGES = [
    Merge((1, 1), (1, 4)),  # the group row's text across the row
    Merge((2, 2), (3, 2)),  # UBND huyện Lý Sơn for rows 1 and 2
    Merge((7, 1), (7, 4)),
    Merge((8, 2), (9, 2)),  # the row split by a page break shares the unit cell
    Merge((8, 3), (9, 3)),
]
