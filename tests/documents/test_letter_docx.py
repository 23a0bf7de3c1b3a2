"""The urging letter as DOCX: the layout of Nghị định 30/2020/NĐ-CP, re-read with python-docx and (in CI) LibreOffice."""

from __future__ import annotations

import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import docx
from docx.document import Document
from docx.table import Table
from pypdf import PdfReader

from dondoc.letters.docx import letter_docx
from dondoc.letters.text import LetterText
from tests.conftest import skip_or_fail

ROWS = [
    ["1", "Thu hồi số tiền chi sai chế độ 125.400.000 đồng nộp ngân sách nhà nước", "30/9/2018", "Chưa thực hiện"],
    ["2", "Tổ chức kiểm điểm trách nhiệm tập thể, cá nhân có sai phạm trong quản lý đất đai", "31/12/2018", "Quá hạn"],
    ["3", "Rà soát, điều chỉnh quy hoạch sử dụng đất xã An Hải theo đúng quy định", "31/3/2019", "Đang thực hiện"],
]


def _letter(**changes: object) -> LetterText:
    fields: dict[str, object] = {
        "issuing_parent": "UBND tỉnh Quảng Ngãi",
        "issuing_body": "Thanh tra tỉnh",
        "number_line": "Số:        /TTr-NV",
        "place_date": "Quảng Ngãi, ngày 01 tháng 12 năm 2026",
        "subject": "đôn đốc thực hiện Kết luận thanh tra số 312/KL-Ttra",
        "addressees": ["Chủ tịch UBND huyện Lý Sơn"],
        "paragraphs_before": [
            "Ngày 31 tháng 5 năm 2018, Chánh Thanh tra tỉnh ban hành Kết luận thanh tra số 312/KL-Ttra về việc "
            "thanh tra công tác quản lý đất đai tại UBND huyện Lý Sơn. Đến nay, các nội dung sau chưa được thực hiện:"
        ],
        "table_header": ["TT", "Nội dung kiến nghị", "Hạn thực hiện", "Tình trạng"],
        "table_rows": ROWS,
        "paragraphs_after": [
            "Thanh tra tỉnh đề nghị Chủ tịch UBND huyện Lý Sơn chỉ đạo thực hiện dứt điểm các nội dung trên và báo "
            "cáo kết quả bằng văn bản về Thanh tra tỉnh trước ngày 15 tháng 12 năm 2026."
        ],
        "recipients": ["Như trên;", "Chủ tịch UBND tỉnh (để b/c);", "Chánh Thanh tra (để b/c);", "Lưu: VT, NV."],
        "signer_title": "CHÁNH THANH TRA",
        "signer_name": "Nguyễn Văn Hùng",
        "notes": ["Hạn giả định: hạn do hệ thống đề xuất khi kết luận không ghi hạn cụ thể."],
    }
    fields.update(changes)
    return LetterText(**fields)  # type: ignore[arg-type]


def _read(text: LetterText) -> Document:
    return docx.Document(BytesIO(letter_docx(text)))


def _cells(table: Table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def test_header_holds_issuer_number_subject_motto_and_date() -> None:
    header = _read(_letter()).tables[0]
    left = header.cell(0, 0).text.splitlines()
    right = header.cell(0, 1).text.splitlines()
    assert left[:2] == ["UBND TỈNH QUẢNG NGÃI", "THANH TRA TỈNH"]
    assert right[:2] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert header.cell(1, 0).text.splitlines() == [
        "Số:        /TTr-NV",
        "V/v đôn đốc thực hiện Kết luận thanh tra số 312/KL-Ttra",
    ]
    assert header.cell(1, 1).text == "Quảng Ngãi, ngày 01 tháng 12 năm 2026"
    assert header.cell(1, 1).paragraphs[0].runs[0].italic is True
    assert header.cell(0, 0).paragraphs[1].runs[0].bold is True


def test_header_without_parent_starts_with_the_issuer() -> None:
    header = _read(_letter(issuing_parent=None)).tables[0]
    assert header.cell(0, 0).text.splitlines()[0] == "THANH TRA TỈNH"


def test_addressee_body_and_notes_follow_the_header() -> None:
    texts = [p.text for p in _read(_letter()).paragraphs if p.text]
    assert texts[0] == "Kính gửi: Chủ tịch UBND huyện Lý Sơn."
    assert texts[1].startswith("Ngày 31 tháng 5 năm 2018, Chánh Thanh tra tỉnh ban hành Kết luận thanh tra số 312/KL")
    assert texts[2].startswith("Hạn giả định:")
    assert texts[3].endswith("trước ngày 15 tháng 12 năm 2026.")


def test_several_addressees_are_listed_one_per_line() -> None:
    document = _read(_letter(addressees=["Chủ tịch UBND huyện Lý Sơn", "Giám đốc Sở Xây dựng"]))
    texts = [p.text for p in document.paragraphs if p.text]
    assert texts[:3] == ["Kính gửi:", "- Chủ tịch UBND huyện Lý Sơn;", "- Giám đốc Sở Xây dựng."]


def test_items_table_lists_every_item_in_order_with_a_repeated_bold_header() -> None:
    items = _read(_letter()).tables[1]
    assert _cells(items) == [["TT", "Nội dung kiến nghị", "Hạn thực hiện", "Tình trạng"], *ROWS]
    assert items.style is not None and items.style.name == "Table Grid"
    assert all(run.bold for cell in items.rows[0].cells for run in cell.paragraphs[0].runs)
    assert items.rows[0]._tr.trPr is not None
    assert (
        items.rows[0]._tr.trPr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tblHeader")
        is not None
    )
    widths = [column.width for column in items.columns]
    assert all(w is not None for w in widths)
    assert widths[0] is not None and widths[1] is not None and widths[0] < widths[1] / 4


def test_recipients_and_signer_close_the_letter() -> None:
    closing = _read(_letter(signer_prefix="KT. CHÁNH THANH TRA", signer_title="PHÓ CHÁNH THANH TRA")).tables[-1]
    assert closing.cell(0, 0).text.splitlines() == [
        "Nơi nhận:",
        "- Như trên;",
        "- Chủ tịch UBND tỉnh (để b/c);",
        "- Chánh Thanh tra (để b/c);",
        "- Lưu: VT, NV.",
    ]
    right = closing.cell(0, 1).text.splitlines()
    assert right[:2] == ["KT. CHÁNH THANH TRA", "PHÓ CHÁNH THANH TRA"]
    assert right[-1] == "Nguyễn Văn Hùng"
    assert right[2:-1] == ["", "", "", ""]


def test_unsigned_letter_leaves_the_name_out() -> None:
    right = _read(_letter(signer_name="")).tables[-1].cell(0, 1).text.splitlines()
    assert right[0] == "CHÁNH THANH TRA"
    assert "Nguyễn Văn Hùng" not in right


def test_page_is_a4_with_the_decree_margins_and_times_new_roman() -> None:
    document = _read(_letter())
    section = document.sections[0]
    sizes = [section.page_width, section.page_height, section.top_margin, section.bottom_margin]
    sizes += [section.left_margin, section.right_margin]
    assert [None if size is None else round(size.mm) for size in sizes] == [210, 297, 20, 20, 30, 15]
    normal = document.styles["Normal"]
    assert normal.font.name == "Times New Roman"
    rpr = normal.element.rPr
    assert rpr is not None and rpr.rFonts is not None
    assert rpr.rFonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "Times New Roman"
    assert normal.font.size is not None and normal.font.size.pt == 14


def test_libreoffice_converts_it_to_a_pdf_with_the_national_header(tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        skip_or_fail("LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui")
    assert soffice is not None
    source = tmp_path / "don-doc.docx"
    source.write_bytes(letter_docx(_letter()))
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        timeout=180,
        capture_output=True,
    )
    pdf = tmp_path / "don-doc.pdf"
    assert pdf.exists() and pdf.stat().st_size > 0
    reader = PdfReader(pdf)
    assert len(reader.pages) == 1  # three items fit on one A4 page with the signature
    text = " ".join((page.extract_text() or "") for page in reader.pages)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Chủ tịch UBND huyện Lý Sơn" in text
    assert "312/KL-Ttra" in text
