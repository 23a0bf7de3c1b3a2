"""Actions the conclusion gives no deadline of their own: the conclusion's general deadline when it states one, else
the policy default counted from the conclusion's date on the deadline calendar. Either way the due date is marked
assumed, and a warning says where it came from, so staff confirm it."""

from __future__ import annotations

from datetime import date

import pytest

from activities.calendar import CalendarOverrides
from dondoc import drafts
from dondoc.importer import ConclusionDraft, DeadlinePolicy, WarningCode, import_text
from dondoc.importer.deadlines import deadline_in_cell, deadline_of
from dondoc.settings import Settings
from models.spec import ConclusionSpec

POLICY = DeadlinePolicy(days=45)


def conclusion(day: str = "12 tháng 9 năm 2023", closing: str = "") -> str:
    return f"""THANH TRA TỈNH

Số: 45/KL-TTr

Quảng Ngãi, ngày {day}

KẾT LUẬN THANH TRA

Về việc quản lý kinh phí tại UBND huyện Lý Sơn

Đoàn thanh tra đã tiến hành thanh tra đối với UBND huyện Lý Sơn.

III. KIẾN NGHỊ

1. Yêu cầu UBND huyện Lý Sơn:

a) Thu hồi số tiền 12.000.000 đồng nộp ngân sách trước ngày 30/11/2023.

b) Kiểm điểm trách nhiệm tập thể, cá nhân có liên quan.

c) Rà soát hồ sơ thanh toán các công trình.

{closing}

Nơi nhận:
- UBND huyện Lý Sơn;
- Lưu: VT.

CHÁNH THANH TRA

Nguyễn Văn An
"""


def read(text: str, policy: DeadlinePolicy = POLICY) -> ConclusionDraft:
    return import_text(text, policy).draft


def assumed_warning(draft: ConclusionDraft) -> str:
    (warning,) = [w for w in draft.warnings if w.code == WarningCode.assumed_due]
    return warning.message


def test_the_general_deadline_counted_from_the_signing_day_goes_to_actions_without_their_own() -> None:
    draft = read(
        conclusion(
            closing="2. Yêu cầu UBND huyện Lý Sơn tổ chức thực hiện kết luận này trong thời hạn 30 ngày kể từ ngày ký."
        )
    )
    due = {a.ref: (a.due, a.due_in_days, a.due_assumed) for a in draft.actions}
    assert due["III.1.a"] == (date(2023, 11, 30), None, False)  # its own deadline stays, stated
    assert due["III.1.b"] == due["III.1.c"] == (date(2023, 10, 12), None, True)  # 12/9/2023 + 30 days
    message = assumed_warning(draft)
    assert "III.1.b, III.1.c" in message and "“trong thời hạn 30 ngày kể từ ngày ký”" in message
    assert "ngày 12/10/2023" in message and "hạn giả định" in message
    warning = next(w for w in draft.warnings if w.code == WarningCode.assumed_due)
    assert warning.place is not None and warning.place.excerpt.startswith("2. Yêu cầu UBND huyện Lý Sơn tổ chức")


@pytest.mark.parametrize(
    ("closing", "due"),
    [
        (
            "2. Yêu cầu UBND huyện Lý Sơn báo cáo kết quả thực hiện kết luận này về Thanh tra tỉnh trước ngày "
            "31/12/2023.",
            date(2023, 12, 31),
        ),
        ("Các đơn vị hoàn thành các nội dung kiến nghị nêu trên trong quý I/2024.", date(2024, 3, 31)),
        ("- Thời hạn thực hiện: 15 ngày làm việc kể từ ngày ký kết luận.", date(2023, 10, 3)),
    ],
)
def test_general_deadlines_as_conclusions_word_them(closing: str, due: date) -> None:
    draft = read(conclusion(closing=closing))
    assert [(a.ref, a.due, a.due_assumed) for a in draft.actions if a.ref.startswith("III.1.")][1:] == [
        ("III.1.b", due, True),
        ("III.1.c", due, True),
    ]


def test_the_deadline_to_carry_it_out_is_preferred_to_the_one_to_report() -> None:
    closing = (
        "2. Yêu cầu UBND huyện Lý Sơn báo cáo kết quả thực hiện kết luận này trước ngày 31/12/2023.\n\n"
        "3. UBND huyện Lý Sơn thực hiện các nội dung trên trong thời hạn 30 ngày kể từ ngày ký."
    )
    draft = read(conclusion(closing=closing))
    assert {a.due for a in draft.actions if a.due_assumed} == {date(2023, 10, 12)}


def test_the_inspection_period_is_no_deadline_in_a_conclusion_without_sections() -> None:
    text = (
        conclusion()
        .replace("III. KIẾN NGHỊ\n", "")
        .replace(
            "Đoàn thanh tra đã tiến hành",
            "Thực hiện Quyết định số 9/QĐ-TTr ngày 2/6/2023 về kiểm tra việc thực hiện kết luận thanh tra số 3/KL-TTr, "
            "từ ngày 5/6/2023 đến ngày 30/6/2023.\n\nĐoàn thanh tra đã tiến hành",
        )
    )
    draft = read(text)
    assert {a.due for a in draft.actions if a.due_assumed} == {date(2023, 10, 27)}  # the default, not 30/6/2023
    assert "mặc định" in assumed_warning(draft)


def test_a_period_from_receipt_stays_a_period() -> None:
    closing = "Yêu cầu UBND huyện Lý Sơn thực hiện kết luận này trong thời hạn 30 ngày kể từ ngày nhận được kết luận."
    draft = read(conclusion(closing=closing))
    assumed = [a for a in draft.actions if a.due_assumed]
    assert {(a.due, a.due_in_days, a.due_working) for a in assumed} == {(None, 30, False)}
    assert "30 ngày kể từ ngày nhận kết luận" in assumed_warning(draft)


def test_without_a_general_deadline_the_policy_default_on_the_deadline_calendar() -> None:
    # 25/12/2023 + 45 days is 8/2/2024, the first day of Tết: the due date moves to the next working day
    draft = read(conclusion(day="25 tháng 12 năm 2023"))
    assert {(a.ref, a.due) for a in draft.actions if a.due_assumed} == {
        ("III.1.b", date(2024, 2, 15)),
        ("III.1.c", date(2024, 2, 15)),
    }
    message = assumed_warning(draft)
    assert "mặc định của hệ thống, 45 ngày kể từ ngày kết luận (ngày 15/02/2024)" in message
    working = read(conclusion(day="29 tháng 1 năm 2024"), DeadlinePolicy(days=10, working=True))
    assert {a.due for a in working.actions if a.due_assumed} == {date(2024, 2, 19)}  # Tết is not counted


def test_a_blank_day_leaves_the_default_as_a_period_and_zero_proposes_none() -> None:
    blank = read(conclusion(day="tháng 9 năm 2023"))
    assert {(a.due, a.due_in_days) for a in blank.actions if a.due_assumed} == {(None, 45)}
    none = read(conclusion(), DeadlinePolicy(days=0))
    assert [a.ref for a in none.actions if a.due is None and a.due_in_days is None] == ["III.1.b", "III.1.c"]
    assert not any(a.due_assumed for a in none.actions)
    assert "hãy nhập hạn cho từng kiến nghị" in assumed_warning(none)


def test_the_policy_comes_from_the_settings() -> None:
    policy = DeadlinePolicy.from_settings(Settings(import_due_days=30, import_due_working=True))
    assert (policy.days, policy.working) == (30, True)
    assert Settings().import_due_days == 45
    # 25/12/2023 + 45 days lands on 8/2/2024; with that day declared a working day it stays there
    saved = CalendarOverrides(working_days=[date(2024, 2, 8)])
    draft = read(conclusion(day="25 tháng 12 năm 2023"), DeadlinePolicy.from_settings(Settings(), saved))
    assert {a.due for a in draft.actions if a.due_assumed} == {date(2024, 2, 8)}


def test_an_assumed_due_date_reaches_the_spec_and_the_form_marked_as_such() -> None:
    draft = read(conclusion())
    data = draft.spec_data()
    assert [a.get("due_assumed", False) for a in data["actions"]] == [False, True, True]
    data |= {"tracking_body": "Thanh tra tỉnh", "inspectorate_head": "cva@tt.example.vn", "agency_head": "ct@x.vn"}
    for unit in data["units"]:
        unit["contacts"] = ["vp@lyson.example.vn"]
    spec = ConclusionSpec.model_validate(data)
    assert [(a.due, a.due_assumed) for a in spec.actions][1] == (date(2023, 10, 27), True)
    form = drafts.form_of(draft, [])
    assert [row["due_assumed"] for row in form["actions"]] == ["", "1", "1"]


def test_deadline_phrases() -> None:
    stated = deadline_of("hoàn thành trong thời hạn 20 ngày làm việc, kể từ ngày ban hành kết luận")
    assert stated is not None and (stated.days, stated.working, stated.anchor) == (20, True, "signed")
    assert stated.text == "trong thời hạn 20 ngày làm việc, kể từ ngày ban hành"
    cell = deadline_in_cell("30 ngày kể từ ngày nhận")
    assert cell is not None and (cell.days, cell.anchor, cell.text) == (30, "received", "30 ngày kể từ ngày nhận")
    assert deadline_in_cell("Năm 2024") is not None and deadline_in_cell("Năm 2024").due == date(2024, 12, 31)  # type: ignore[union-attr]
    assert deadline_in_cell("Tháng 2/2024").due == date(2024, 2, 29)  # type: ignore[union-attr]
    assert deadline_in_cell("Thường xuyên") is None and deadline_in_cell("Ngay") is None
    assert deadline_in_cell("Tháng 13/2024") is None
