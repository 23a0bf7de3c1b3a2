"""A conclusion whose actions are a table (STT | Nội dung kiến nghị | Đơn vị thực hiện | Thời hạn) is read row by row
into actions with their unit, number, kind, amount and deadline, each pointing at its row."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dondoc.importer import ConclusionDraft, DeadlinePolicy, Imported, WarningCode, import_conclusion
from dondoc.importer.tables import column_role
from models.spec import ActionKind
from tests.importer.action_tables import ACTION_MERGES, ACTIONS, Merge, conclusion_with_tables
from tests.importer.documents import pdfs_of

POLICY = DeadlinePolicy(days=45)


def imported(path: Path) -> Imported:
    return import_conclusion(path.name, path.read_bytes(), POLICY)


@pytest.fixture(scope="module")
def table_docx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tables")
    intro = "Chánh Thanh tra tỉnh yêu cầu thực hiện các nội dung sau:"
    return conclusion_with_tables(folder / "kl-bang.docx", [(ACTIONS, ACTION_MERGES)], intro=intro)


@pytest.fixture(scope="module")
def draft(table_docx: Path) -> ConclusionDraft:
    return imported(table_docx).draft


@pytest.fixture(scope="module")
def table_pdf(table_docx: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Word file printed to PDF by LibreOffice: the table breaks across two pages, its header not repeated."""
    (pdf,) = pdfs_of([table_docx], tmp_path_factory.mktemp("tables-pdf"))
    return pdf


def test_each_row_is_an_action_of_its_unit_numbered_under_its_group(draft: ConclusionDraft) -> None:
    assert [(a.ref, a.unit, a.kind) for a in draft.actions] == [
        ("I.1", "ubnd-huyen-ly-son", ActionKind.recover),
        ("I.2", "ubnd-huyen-ly-son", ActionKind.discipline),  # the unit cell is merged over rows 1 and 2
        ("I.3.a", "ubnd-huyen-ly-son", ActionKind.remedy),  # no unit in the row: the group's ("Đối với …")
        ("I.3.b", "phong-tai-chinh-ke-hoach-huyen-ly-son", ActionKind.remedy),
        ("II.1", "ubnd-huyen-tra-bong", ActionKind.recover),
        ("II.2", "ubnd-huyen-tra-bong", ActionKind.sanction),  # "Chủ tịch UBND huyện Trà Bồng": the unit's head
    ]
    by_ref = {a.ref: a for a in draft.actions}
    assert by_ref["I.1"].amount_vnd == 120_000_000 and by_ref["II.1"].amount_vnd == 35_500_000
    assert by_ref["II.2"].addressee == "Chủ tịch UBND huyện Trà Bồng"


def test_the_deadline_column_in_its_short_forms(draft: ConclusionDraft) -> None:
    by_ref = {a.ref: a for a in draft.actions}
    assert (by_ref["I.1"].due, by_ref["I.1"].due_text, by_ref["I.1"].due_assumed) == (
        date(2023, 11, 30),
        "30/11/2023",
        False,
    )
    assert (by_ref["I.2"].due_in_days, by_ref["I.2"].due_working) == (30, True)
    assert by_ref["I.3.a"].due == date(2023, 12, 31)  # "Quý IV/2023"
    assert by_ref["II.1"].due == date(2023, 12, 31)  # "Tháng 12/2023"


def test_a_row_split_by_a_page_break_joins_the_row_above(draft: ConclusionDraft) -> None:
    second = next(a for a in draft.actions if a.ref == "II.1")
    assert second.text == "Thu hồi số tiền 35.500.000 đồng nộp ngân sách nhà nước và báo cáo kết quả về Thanh tra tỉnh."
    assert "I" not in {a.ref for a in draft.actions} and "I.3" not in {a.ref for a in draft.actions}  # group rows


def test_each_action_points_at_its_row(table_docx: Path) -> None:
    result = imported(table_docx)
    first = result.draft.actions[0]
    assert first.place.excerpt == (
        "1 | Thu hồi số tiền 120.000.000 đồng chi sai chế độ nộp vào tài khoản tạm giữ của Thanh tra tỉnh. | "
        "UBND huyện Lý Sơn | 30/11/2023"
    )
    paragraph = result.paragraphs[first.place.paragraph - 1]
    assert paragraph.text.startswith("Thu hồi số tiền 120.000.000 đồng") and paragraph.cell is not None


def test_the_same_table_printed_to_pdf_gives_the_same_actions(table_pdf: Path, draft: ConclusionDraft) -> None:
    from_pdf = imported(table_pdf)
    assert from_pdf.draft.spec_data() == draft.spec_data()
    assert [(w.code, w.message) for w in from_pdf.draft.warnings] == [(w.code, w.message) for w in draft.warnings]
    assert [a.place.excerpt for a in from_pdf.draft.actions] == [a.place.excerpt for a in draft.actions]
    assert [a.place.page for a in from_pdf.draft.actions] == [1, 1, 2, 2, 2, 2]


def test_rows_without_a_deadline_get_the_assumed_default_and_outsiders_a_warning(draft: ConclusionDraft) -> None:
    assumed = [a.ref for a in draft.actions if a.due_assumed]
    assert assumed == ["I.3.b", "II.2"]
    outsiders = [w for w in draft.warnings if w.code == WarningCode.unit_not_inspected]
    assert len(outsiders) == 1 and "Phòng Tài chính - Kế hoạch huyện Lý Sơn" in outsiders[0].message
    assert not [w for w in draft.warnings if w.code in (WarningCode.no_action, WarningCode.unit_without_action)]
    assert draft.tracking_body is not None and draft.tracking_body.value == "Phòng Nghiệp vụ 2"


@pytest.mark.parametrize(
    "header",
    [
        ["TT", "Nội dung yêu cầu", "Cơ quan, đơn vị chủ trì thực hiện", "Thời gian hoàn thành"],
        ["Số TT", "Kiến nghị xử lý", "Trách nhiệm thực hiện", "Thời hạn thực hiện"],
        ["STT", "Nội dung công việc", "Đơn vị thực hiện", "Tiến độ"],
        ["Số thứ tự", "Biện pháp khắc phục", "Đơn vị chịu trách nhiệm", "Hạn hoàn thành"],
    ],
)
def test_common_header_wordings(header: list[str], tmp_path: Path) -> None:
    rows = [
        header,
        ["1.", "Rà soát, điều chỉnh dự toán kinh phí năm 2024.", "UBND huyện Lý Sơn", "Trước ngày 31/3/2024"],
    ]
    path = conclusion_with_tables(tmp_path / "kl.docx", [(rows, [])])
    (action,) = imported(path).draft.actions
    assert (action.ref, action.unit, action.due, action.due_assumed) == (
        "1",
        "ubnd-huyen-ly-son",
        date(2024, 3, 31),
        False,
    )


TWO_ROW_HEADER = (
    [
        ["STT", "Nội dung kiến nghị", "Đơn vị thực hiện", "", "Thời hạn"],
        ["", "", "Chủ trì", "Phối hợp", ""],
        ["(1)", "(2)", "(3)", "(4)", "(5)"],
        ["1", "Thu hồi 20.000.000 đồng chi sai.", "UBND huyện Trà Bồng", "Kho bạc Nhà nước huyện", "15/12/2023"],
    ],
    [Merge((0, 0), (1, 0)), Merge((0, 1), (1, 1)), Merge((0, 2), (0, 3)), Merge((0, 4), (1, 4))],
)


def test_a_two_row_header_a_row_numbering_the_columns_and_the_coordinating_unit_left_out(tmp_path: Path) -> None:
    path = conclusion_with_tables(tmp_path / "kl.docx", [TWO_ROW_HEADER])
    (action,) = imported(path).draft.actions
    assert (action.ref, action.unit, action.amount_vnd, action.due) == (
        "1",
        "ubnd-huyen-tra-bong",
        20_000_000,
        date(2023, 12, 15),
    )


def test_a_table_going_on_without_its_header_and_the_unit_from_the_directive_above(tmp_path: Path) -> None:
    first = [
        ["STT", "Nội dung", "Thời hạn"],
        ["1", "Thu hồi số tiền 120.000.000 đồng nộp ngân sách.", "30/11/2023"],
    ]
    rest = [["2", "Kiểm điểm trách nhiệm cá nhân có liên quan.", "Quý I/2024"]]
    intro = "1. Yêu cầu UBND huyện Lý Sơn thực hiện các nội dung sau:"
    path = conclusion_with_tables(tmp_path / "kl.docx", [(first, []), (rest, [])], intro=intro)
    draft = imported(path).draft
    assert [(a.ref, a.unit, a.due) for a in draft.actions] == [
        ("1", "ubnd-huyen-ly-son", date(2023, 11, 30)),
        ("2", "ubnd-huyen-ly-son", date(2024, 3, 31)),
    ]
    assert not any(a.text.startswith("Yêu cầu") for a in draft.actions)  # the directive introduces the table


HEADER = ["STT", "Nội dung kiến nghị", "Đơn vị thực hiện", "Thời hạn"]
REPEATED_HEADER = [
    (
        [HEADER, ["I", "Đối với UBND huyện Trà Bồng", "", ""], ["1", "Thu hồi 35.500.000 đồng.", "", "Quý IV/2023"]],
        [Merge((1, 1), (1, 3))],
    ),
    ([HEADER, ["2", "Kiểm điểm trách nhiệm cá nhân có liên quan.", "", "Quý IV/2023"]], []),
]


def test_the_header_repeated_on_the_next_page_keeps_the_groups(tmp_path: Path) -> None:
    path = conclusion_with_tables(tmp_path / "kl.docx", REPEATED_HEADER)
    assert [(a.ref, a.unit) for a in imported(path).draft.actions] == [
        ("I.1", "ubnd-huyen-tra-bong"),
        ("I.2", "ubnd-huyen-tra-bong"),
    ]


MERGED_GROUP = (
    [
        ["TT", "Nội dung kiến nghị", "Đơn vị thực hiện", "Thời hạn"],
        ["I. ĐỐI VỚI UBND HUYỆN TRÀ BỒNG", "", "", ""],
        ["", "1. Thu hồi số tiền 35.500.000 đồng nộp ngân sách nhà nước.", "", "Quý IV/2023"],
        ["", "2. Kiểm điểm trách nhiệm cá nhân có liên quan.", "", "Quý IV/2023"],
    ],
    [Merge((1, 0), (1, 3))],
)


def test_a_group_row_merged_across_the_whole_row_and_numbers_typed_in_the_text(tmp_path: Path) -> None:
    path = conclusion_with_tables(tmp_path / "kl.docx", [MERGED_GROUP])
    draft = imported(path).draft
    assert [(a.ref, a.unit, a.text) for a in draft.actions] == [
        ("I.1", "ubnd-huyen-tra-bong", "Thu hồi số tiền 35.500.000 đồng nộp ngân sách nhà nước."),
        ("I.2", "ubnd-huyen-tra-bong", "Kiểm điểm trách nhiệm cá nhân có liên quan."),
    ]


def test_merged_headers_merged_rows_and_a_repeated_header_read_the_same_from_pdf(tmp_path: Path) -> None:
    """Spans of merged cells come from the cells' boxes in a PDF: the same tables printed give the same actions."""
    made = [
        conclusion_with_tables(tmp_path / "two-row-header.docx", [TWO_ROW_HEADER]),
        conclusion_with_tables(tmp_path / "repeated-header.docx", REPEATED_HEADER),
        conclusion_with_tables(tmp_path / "merged-group.docx", [MERGED_GROUP]),
    ]
    for docx, pdf in zip(made, pdfs_of(made, tmp_path), strict=True):
        assert imported(pdf).draft.spec_data() == imported(docx).draft.spec_data(), docx.name


def test_what_a_column_holds_by_its_header() -> None:
    assert column_role("Nội dung kiến nghị") == "text"
    assert column_role("Đơn vị thực hiện") == "unit"
    assert column_role("Thời hạn thực hiện") == "due"
    assert column_role("Số tiền thu hồi (đồng)") == "amount"
    assert column_role("Đơn vị phối hợp") == "other"
    assert column_role("Họ và tên") is None
