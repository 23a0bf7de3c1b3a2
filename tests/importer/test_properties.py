"""Any text gives a draft (with warnings when fields are missing) or a clear refusal, never a crash."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dondoc.importer import DeadlinePolicy, NotAConclusion, import_text
from dondoc.importer.conclusion import parse_conclusion
from dondoc.importer.report import ReportRefused, parse_followup_report
from dondoc.importer.text import MARKER, CellAt, RawLine, paragraphs

PIECES = [
    "KẾT LUẬN",
    "BÁO CÁO",
    "Số: /KL-TTr",
    "Số: 12/KL-STTTT",
    "Hà Nội, ngày tháng 3 năm 2021",
    "Hà Nội, ngày 31 tháng 2 năm 2021",
    "I. KIẾN NGHỊ",
    "III. Nhận xét và kết luận",
    "2.1. Yêu cầu UBND huyện A và Phòng B thực hiện:",
    "Giao Thanh tra Sở theo dõi, đôn đốc",
    "Đối với UBND huyện C:",
    "a) Thu hồi 1.000.000 đồng (bằng chữ: hai triệu đồng)",
    "- Chỉ đạo sửa đổi",
    "+ Kiểm điểm trách nhiệm trong thời hạn 15 ngày làm việc",
    "* Xử phạt",
    "Đoàn thanh tra đã tiến hành thanh tra đối với UBND huyện A và Phòng B (PB).",
    "Giám đốc Sở X kết luận như sau:",
    "Quyết định số 1/QĐ-X ngày 1/1/2020",
    "Nơi nhận:",
    "- Lưu: VT.",
    "KT. CHỦ TỊCH",
    "Nguyễn Văn A",
    "trước ngày 45/13/2021",
    "",
    ")",
    "(",
    "Kết luận Thanh tra số 312/KL-Ttra ngày 31/5/2018",
]


REPORT_PIECES = [
    "BÁO CÁO",
    "Số: 184 /BC-UBND",
    "Thực hiện Kết luận Thanh tra số 312/KL-Ttra ngày 31/5/2018",
    "Kết luận số 45/KL-TTr",
    "II. Tình hình triển khai thực hiện kết luận",
    "1. UBND huyện Lý Sơn:",
    "1.1. Kết quả thực hiện",
    "1.2. Những vấn đề tiếp tục khắc phục",
    "III. Kết quả thực hiện các ý kiến đề nghị đối với UBND tỉnh:",
    "a) Đã rà soát",
    "- Sẽ thực hiện trong quý IV/2018",
]


def _imports_or_refuses(text: str) -> None:
    try:
        imported = import_text(text)
    except NotAConclusion as refused:
        assert refused.message.strip()
        return
    draft = imported.draft
    assert draft.actions or any(w.code == "no_action" for w in draft.warnings)
    assert len({a.id for a in draft.actions}) == len(draft.actions)
    codes = {u.code for u in draft.units}
    assert all(a.unit in codes for a in draft.actions)
    assert all(1 <= len(a.ref) <= 32 for a in draft.actions)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=600))
def test_any_text(text: str) -> None:
    _imports_or_refuses(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=40), max_size=40))
def test_any_arrangement_of_conclusion_parts(lines: list[str]) -> None:
    _imports_or_refuses("\n".join(lines))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40), st.sampled_from(["\n", "\n\n", " "]))
def test_conclusion_parts_with_any_line_breaks(lines: list[str], joiner: str) -> None:
    _imports_or_refuses("KẾT LUẬN\n\n" + joiner.join(lines))


def test_markers_are_recognised() -> None:
    for text in ["2.1. Yêu cầu", "2.1 Yêu cầu", "a) Thu hồi", "- Rà soát", "+ Lập", "* Đối với", "III. KIẾN NGHỊ"]:
        assert MARKER.match(text), text
    for text in ["2020 là năm", "Phòng TT", "1.500.000 đồng"]:
        assert not MARKER.match(text), text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([*PIECES, *REPORT_PIECES]) | st.text(max_size=40), max_size=40))
def test_any_text_as_a_follow_up_report(lines: list[str]) -> None:
    """A follow-up report is read per unit or refused with a reason, never a crash."""
    try:
        report = parse_followup_report(paragraphs([RawLine(line) for line in lines]), "312/KL-Ttra")
    except ReportRefused as refused:
        assert str(refused).strip()
        return
    assert report.cited_number.lower().replace(" ", "") == "312/kl-ttra"
    assert all(item.ref and len(item.ref) <= 32 for unit in report.units for item in unit.items)


CELLS = [
    "STT",
    "TT",
    "Nội dung kiến nghị",
    "Đơn vị thực hiện",
    "Thời hạn hoàn thành",
    "Chủ trì",
    "Phối hợp",
    "Số tiền",
    "(1)",
    "1",
    "1.",
    "I",
    "a",
    "",
    "Đối với UBND huyện A",
    "Thu hồi 1.000.000 đồng nộp ngân sách.",
    "UBND huyện A; Phòng B",
    "Chủ tịch UBND tỉnh",
    "30/11/2023",
    "Quý IV/2023",
    "Tháng 13/2023",
    "Thường xuyên",
    "Trong 30 ngày làm việc kể từ ngày ký",
    "Chấn chỉnh công tác quản lý:",
    "và báo cáo kết quả.",
]
HEAD = [
    "Số: 5/KL-TTr",
    "Hà Nội, ngày 2 tháng 3 năm 2024",
    "KẾT LUẬN THANH TRA",
    "Về việc quản lý kinh phí",
    "Đoàn thanh tra đã tiến hành thanh tra đối với UBND huyện A và Phòng B.",
    "III. KIẾN NGHỊ",
]


@st.composite
def table(draw: st.DrawFn, number: int) -> list[RawLine]:
    """A table of any shape: cells spanning rows and columns, even overlapping, with words of tables of actions."""
    lines: list[RawLine] = []
    columns = draw(st.integers(1, 5))
    for row in range(draw(st.integers(1, 7))):
        column = 0
        while column < columns:
            at = CellAt(number, row, column, draw(st.integers(1, 2)), draw(st.integers(1, columns - column)))
            for text in draw(st.lists(st.sampled_from(CELLS) | st.text(max_size=20), min_size=1, max_size=2)):
                lines.append(RawLine(text, hard=True, cell=True, at=at))
            lines.append(RawLine("", cell=True, at=at))
            column += at.columns
    return lines


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 3).flatmap(lambda n: table(n)), min_size=1, max_size=3), st.sampled_from(PIECES))
def test_any_table_gives_actions_with_due_dates_or_warnings(tables: list[list[RawLine]], between: str) -> None:
    """Tables of any shape among a conclusion's paragraphs never crash the importer; with a policy default every
    action has a due date, and exactly those the document gives none are assumed."""
    lines = [RawLine(text, hard=True) for text in HEAD]
    for found in tables:
        lines += [*found, RawLine(between, hard=True)]
    draft = parse_conclusion(paragraphs(lines), DeadlinePolicy(days=30))
    assert len({a.id for a in draft.actions}) == len(draft.actions)
    assert all(a.unit in {u.code for u in draft.units} for a in draft.actions)
    assert all(1 <= len(a.ref) <= 32 and a.text for a in draft.actions)
    assert all(a.due is not None or a.due_in_days is not None for a in draft.actions)
    assumed = [a for a in draft.actions if a.due_assumed]
    assert bool(assumed) == any(w.code == "assumed_due" for w in draft.warnings)
