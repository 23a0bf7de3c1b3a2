"""Specification of what a letter says (workflows/rules/notices.py), taken from the state when it is sent.

A letter is addressed by title ("Kính gửi: Chủ tịch UBND huyện Lý Sơn"), lists each item with the conclusion's own
numbering, its due date, how late it is, what was returned and why, cites only the letters really sent to the unit
before it, and splits its copies: the unit's own people get the copy that acts for the unit, everyone else a view.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from dondoc.letters.compose import body, letter_text
from models import commands as c
from models.mail import Audience, EarlierLetter, LetterRequest
from models.policy import Step
from models.state import ConclusionState, LetterRecord, NotificationStatus
from tests.rules.factories import (
    AGENCY_HEAD,
    HEAD_A,
    INSPECTORATE_HEAD,
    NOW,
    STAFF,
    SUPERVISOR,
    UNIT_A,
    UNIT_A2,
    UNIT_B,
    at,
    do,
    end_of,
    files,
    make_spec,
    make_state,
    plan_due,
    reject,
    run_until,
    send_due,
    settle,
    submit,
    unit_dict,
)
from workflows.rules import notices

REMINDER_1 = at(2025, 6, 19, 8)
REMINDER_2 = at(2025, 6, 27, 8)
OVERDUE = at(2025, 7, 1, 8)
SOURCE = "Báo cáo số 184/BC-UBND ngày 07/8/2018"


def ly_son(**spec: Any) -> ConclusionState:
    """phong-a is UBND huyện Lý Sơn, addressed through its chairman; the agency head is the province's chairman."""
    units = [
        unit_dict(
            "ly-son",
            [UNIT_A, UNIT_A2],
            HEAD_A,
            supervisor=SUPERVISOR,
            report_due="2025-06-30",
            head_title="Chủ tịch UBND huyện Lý Sơn",
            name="UBND huyện Lý Sơn",
        ),
        unit_dict("phong-b", [UNIT_B], report_due="2025-09-30"),
    ]
    actions = [
        {"id": "kn-1", "unit": "ly-son", "ref": "2.1.a", "text": "Rà soát hồ sơ đất đai.", "due": "2025-06-30"},
        {
            "id": "kn-2",
            "unit": "ly-son",
            "ref": "2.1.b",
            "text": "Hoàn thiện quy chế.",
            "due": "2025-06-30",
            "status": "partly_done",
            "as_of": "2025-06-10",
            "source": SOURCE,
        },
        {
            "id": "kn-3",
            "unit": "ly-son",
            "kind": "recover",
            "amount_vnd": 125_000_000,
            "text": "Thu hồi tiền chi sai.",
            "due": "2025-06-30",
            "due_assumed": True,
        },
        {"id": "kn-9", "unit": "phong-b", "text": "Khắc phục.", "due": "2025-06-30"},
    ]
    data: dict[str, Any] = {
        "units": units,
        "actions": actions,
        "agency_head_title": "Chủ tịch UBND tỉnh Quảng Ngãi",
    }
    data.update(spec)
    return make_state(make_spec(**data))


def request_for(state: ConclusionState, now: datetime, unit: str = "ly-son") -> tuple[LetterRecord, LetterRequest]:
    (letter,) = [p for p in plan_due(state, now) if p.unit == unit]
    return letter, notices.letter_request(state, letter, now)


# ---------------------------------------------------------------- days overdue


@pytest.mark.parametrize(
    ("due", "now", "days"),
    [
        (None, at(2025, 7, 1), 0),
        (end_of(2025, 6, 30), at(2025, 6, 30, 12), 0),
        (end_of(2025, 6, 30), end_of(2025, 6, 30), 0),
        (end_of(2025, 6, 30), at(2025, 7, 1, 0, 0, 1), 1),
        (end_of(2025, 6, 30), at(2025, 7, 3, 10), 3),
        (at(2025, 6, 30, 10), at(2025, 6, 30, 11), 1),  # past an exact due the same day: at least 1
        (end_of(2025, 6, 30), at(2025, 7, 31, 8), 31),
        (end_of(2025, 6, 30), datetime(2025, 6, 30, 18, 0, tzinfo=UTC), 1),  # 01:00 on 01/07 in Vietnam
    ],
)
def test_so_ngay_qua_han(due: datetime | None, now: datetime, days: int) -> None:
    assert notices.days_overdue(due, now) == days


# ---------------------------------------------------------------- the items


def test_van_ban_liet_ke_tung_noi_dung_voi_so_muc_han_va_so_ngay_qua_han() -> None:
    state = ly_son()
    reject(submit(state, "kn-1", at(2025, 6, 20)), "kn-1", at(2025, 6, 21), "Thiếu biên bản rà soát")
    do(state, c.SubmitReport(actor=UNIT_A, unit="ly-son", files=files("bao-cao.pdf")), at(2025, 6, 22))
    do(
        state,
        c.ReviewReport(actor=STAFF, report_id="rp-1", decision=c.Decision.reject, reason="Thiếu số liệu"),
        at(2025, 6, 23),
    )
    now = at(2025, 7, 3, 9)
    _, request = request_for(state, now)
    assert request.step == Step.overdue
    assert [line.target for line in request.items] == ["kn-1", "kn-2", "kn-3", "report.ly-son"]
    kn1, kn2, kn3, report = request.items
    assert (kn1.ref, kn1.text, kn1.kind, kn1.due, kn1.days_overdue) == (
        "2.1.a",
        "Rà soát hồ sơ đất đai.",
        "Khắc phục tồn tại, hạn chế",
        end_of(2025, 6, 30),
        3,
    )
    assert (kn1.last_reason, kn1.progress, kn1.is_report) == ("Thiếu biên bản rà soát", None, False)
    assert kn2.progress == f"Đã thực hiện một phần (theo {SOURCE})"
    assert kn2.last_reason is None
    # an assumed due date is never stated as fact: no days overdue counted on it
    assert (kn3.kind, kn3.amount_vnd, kn3.due_assumed, kn3.days_overdue) == (
        "Thu hồi tiền, tài sản",
        125_000_000,
        True,
        0,
    )
    assert (report.is_report, report.text, report.ref) == (True, notices.REPORT_TEXT, None)
    assert (report.last_reason, report.days_overdue) == ("Thiếu số liệu", 3)


def test_ly_do_tra_lai_la_lan_gan_nhat() -> None:
    state = ly_son()
    reject(submit(state, "kn-1", at(2025, 6, 20)), "kn-1", at(2025, 6, 21), "Lần 1: thiếu biên bản")
    reject(submit(state, "kn-1", at(2025, 6, 24)), "kn-1", at(2025, 6, 25), "Lần 2: biên bản chưa ký")
    _, request = request_for(state, OVERDUE)
    assert request.items[0].last_reason == "Lần 2: biên bản chưa ký"


def test_van_ban_mang_thong_tin_ket_luan_va_nguoi_ky() -> None:
    state = ly_son(
        signer={"title": "Phó Chánh Thanh tra", "name": "Trần Văn B", "acting_for": "KT. CHÁNH THANH TRA"},
        place="Quảng Ngãi",
        letter_symbol="TTr-NV",
    )
    letter, request = request_for(state, OVERDUE)
    assert (request.key, request.workflow_id, request.now, request.resend) == (
        letter.key,
        state.workflow_id,
        OVERDUE,
        False,
    )
    assert (request.number, request.issued_on, request.issuer) == ("15/KL-TTr", date(2025, 6, 2), state.issuer)
    assert (request.unit_code, request.unit_name) == ("ly-son", "UBND huyện Lý Sơn")
    assert (request.signature.title, request.signature.acting_for, request.signature.letter_symbol) == (
        "Phó Chánh Thanh tra",
        "KT. CHÁNH THANH TRA",
        "TTr-NV",
    )


# ---------------------------------------------------------------- earlier letters


def test_chi_trich_dan_van_ban_da_thuc_su_gui_cho_don_vi() -> None:
    state = ly_son()
    _, first = send_due(state, REMINDER_1)  # sent
    send_due(state, REMINDER_2, NotificationStatus.failed)  # never went out
    _, request = request_for(state, OVERDUE)
    sent_key = next(p.key for p in first if p.unit == "ly-son")
    assert request.earlier == [EarlierLetter(step=Step.reminder, sent_at=REMINDER_1)]
    assert [r.key for r in state.units["ly-son"].letters] == [sent_key]  # not phong-b's letters either


def test_trich_dan_so_van_ban_sau_khi_ghi_so() -> None:
    state = ly_son()
    _, first = send_due(state, REMINDER_1)
    key = next(p.key for p in first if p.unit == "ly-son")
    do(state, c.RecordLetterNumber(actor=STAFF, key=key, number="125/TTr-NV", signed_on=date(2025, 6, 19)), NOW)
    _, request = request_for(state, OVERDUE)
    assert request.earlier == [
        EarlierLetter(step=Step.reminder, sent_at=REMINDER_1, number="125/TTr-NV", signed_on=date(2025, 6, 19))
    ]


def test_van_ban_khong_tu_trich_dan_minh() -> None:
    state = ly_son()
    letter, _ = request_for(state, REMINDER_1)
    settle(state, [letter], REMINDER_1)
    assert notices.letter_request(state, letter, REMINDER_1).earlier == []


def sent_to_ly_son(state: ConclusionState, template: LetterRecord, steps: list[Step]) -> None:
    """Letters of `steps` sent to Lý Sơn one after the other, as the workflow records them."""
    for i, step in enumerate(steps):
        record = template.model_copy(update={"key": f"{template.key}-{i}", "step": step})
        state.letters.append(record)
        settle(state, [record], OVERDUE + timedelta(hours=i))


def test_so_lan_don_doc_tinh_ca_nhung_van_ban_khong_con_trich_dan() -> None:
    """A letter cites the unit's latest letters only (the state keeps 12), but counts every urging letter sent."""
    state = ly_son()
    letter, _ = request_for(state, OVERDUE)
    sent_to_ly_son(state, letter, [Step.urging, Step.second_urging] * 4 + [Step.overdue] * 12)
    unit = state.units["ly-son"]
    assert all(ref.step == Step.overdue for ref in unit.letters), "no urging letter is among those kept any more"
    later = OVERDUE + timedelta(days=2)
    proposal = notices.letter_request(state, letter.model_copy(update={"step": Step.proposal}), later)
    assert proposal.urgings_before == 8
    assert "UBND huyện Lý Sơn đã được đôn đốc 8 lần nhưng" in " ".join(body(proposal))
    urging = notices.letter_request(state, letter.model_copy(update={"step": Step.second_urging}), later)
    assert letter_text(urging).subject.startswith("đôn đốc lần thứ 9 thực hiện Kết luận")


def test_trang_thai_tu_truoc_khi_co_bo_dem_dem_cac_van_ban_don_doc_con_giu() -> None:
    """A state recorded before the count was kept (a run started earlier) counts the urging letters it kept, and
    goes on from there."""
    state = ly_son()
    letter, _ = request_for(state, OVERDUE)
    sent_to_ly_son(state, letter, [Step.urging, Step.second_urging])
    unit = state.units["ly-son"]
    assert unit.urgings_sent == 2
    unit.urgings_sent = None  # as decoded from a state of before
    assert unit.urgings() == 2
    sent_to_ly_son(state, letter.model_copy(update={"key": f"{letter.key}-more"}), [Step.overdue])
    assert unit.urgings_sent == 2, "fixed by the next letter of any kind, before the kept letters move on"
    sent_to_ly_son(state, letter.model_copy(update={"key": f"{letter.key}-last"}), [Step.second_urging])
    assert unit.urgings_sent == 3
    again = notices.letter_request(state, state.letters[-1], OVERDUE + timedelta(days=1))
    assert again.urgings_before == 2, "a letter sent already does not count itself"


# ---------------------------------------------------------------- addressees and copies


def copies_by_audience(request: LetterRequest) -> dict[Audience, tuple[list[str], list[str]]]:
    return {copy.audience: (copy.to, copy.cc) for copy in request.copies}


def test_ban_cua_don_vi_va_ban_giam_sat_khong_bao_gio_tron_lan() -> None:
    state = ly_son()
    own = {UNIT_A, UNIT_A2, HEAD_A}
    _, sent = run_until(state, NOW, at(2025, 8, 31))
    seen: dict[Step, dict[Audience, tuple[list[str], list[str]]]] = {}
    for letter in (p for p in sent if p.unit == "ly-son"):
        request = notices.letter_request(state, letter, letter.planned_at)
        by_audience = copies_by_audience(request)
        for audience, (to, cc) in by_audience.items():
            assert to, "every copy has someone to address"
            assert set(to + cc) <= own if audience == Audience.unit else not set(to + cc) & own
        assert sorted(request.recipients) == sorted({*letter.to, *letter.cc}), "everyone gets exactly one copy"
        seen[letter.step] = by_audience
    assert seen[Step.overdue] == {Audience.unit: ([UNIT_A, UNIT_A2, HEAD_A], [])}
    assert seen[Step.urging] == {Audience.unit: ([HEAD_A], []), Audience.oversight: ([INSPECTORATE_HEAD], [])}
    assert seen[Step.second_urging] == {Audience.unit: ([HEAD_A], []), Audience.oversight: ([SUPERVISOR], [])}
    assert seen[Step.proposal] == {Audience.oversight: ([AGENCY_HEAD, INSPECTORATE_HEAD], [])}


@pytest.mark.parametrize(
    ("step", "addressees", "copied_to"),
    [
        (Step.reminder, ["UBND huyện Lý Sơn"], []),
        (Step.overdue, ["Chủ tịch UBND huyện Lý Sơn"], ["UBND huyện Lý Sơn"]),
        (Step.urging, ["Chủ tịch UBND huyện Lý Sơn"], []),  # the Chánh Thanh tra signs: not among his recipients
        (
            Step.second_urging,
            ["Chủ tịch UBND huyện Lý Sơn", "Thủ trưởng cơ quan quản lý cấp trên trực tiếp của UBND huyện Lý Sơn"],
            [],
        ),
        (Step.proposal, ["Chủ tịch UBND tỉnh Quảng Ngãi"], []),
    ],
)
def test_kinh_gui_theo_chuc_danh(step: Step, addressees: list[str], copied_to: list[str]) -> None:
    state = ly_son()
    _, sent = run_until(state, NOW, at(2025, 8, 31))
    letter = next(p for p in sent if p.unit == "ly-son" and p.step == step)
    request = notices.letter_request(state, letter, letter.planned_at)
    assert (request.addressees, request.copied_to) == (addressees, copied_to)
    for title in request.addressees + request.copied_to:
        assert "@" not in title, "never an email address when a title exists"
        assert "ly-son" not in title and "report." not in title, "never an internal code"


@pytest.mark.parametrize(
    ("signer", "copied_to"),
    [
        ({"title": "Chánh Thanh tra"}, []),
        ({"title": "Phó Chánh Thanh tra", "acting_for": "KT. CHÁNH THANH TRA"}, ["Chánh Thanh tra (để b/c)"]),
        ({"title": "Phó Giám đốc", "acting_for": "KT. GIÁM ĐỐC"}, ["Giám đốc (để b/c)"]),
        (  # the body's name keeps its own capitals
            {"title": "Phó Chánh Thanh tra", "acting_for": "KT. CHÁNH THANH TRA TỈNH NAM ĐỊNH"},
            ["Chánh Thanh tra tỉnh Nam Định (để b/c)"],
        ),
        ({"title": "Chánh Thanh tra", "acting_for": "Q. CHÁNH THANH TRA"}, []),  # the acting head signs as head
    ],
)
def test_chanh_thanh_tra_ky_thi_khong_nhan_ban_pho_ky_thay_thi_de_bao_cao(
    signer: dict[str, str], copied_to: list[str]
) -> None:
    state = ly_son(signer=signer)
    _, sent = run_until(state, NOW, at(2025, 8, 31))
    urging = next(p for p in sent if p.unit == "ly-son" and p.step == Step.urging)
    assert INSPECTORATE_HEAD in urging.to + urging.cc, "the head still gets his copy by email"
    assert notices.letter_request(state, urging, urging.planned_at).copied_to == copied_to


def test_co_quan_cap_tren_duoc_goi_theo_chuc_danh_ghi_trong_ho_so() -> None:
    state = ly_son()
    state.units["ly-son"].supervisor_title = "Chủ tịch UBND tỉnh Quảng Ngãi"
    _, sent = run_until(state, NOW, at(2025, 8, 31))
    second = next(p for p in sent if p.unit == "ly-son" and p.step == Step.second_urging)
    request = notices.letter_request(state, second, second.planned_at)
    assert request.addressees == ["Chủ tịch UBND huyện Lý Sơn", "Chủ tịch UBND tỉnh Quảng Ngãi"]


def test_khong_co_chuc_danh_thi_goi_theo_ten_don_vi() -> None:
    state = make_state()
    _, sent = run_until(state, NOW, at(2025, 8, 31))
    proposal = next(p for p in sent if p.unit == "phong-a" and p.step == Step.proposal)
    urging = next(p for p in sent if p.unit == "phong-a" and p.step == Step.urging)
    assert notices.letter_request(state, urging, URGING_AT).addressees == ["Thủ trưởng Phòng PHONG-A"]
    assert notices.letter_request(state, proposal, URGING_AT).addressees == [
        "Thủ trưởng cơ quan quản lý nhà nước cùng cấp"
    ]


URGING_AT = at(2025, 7, 7, 8)


def test_van_ban_ket_thuc_goi_moi_don_vi_theo_chuc_danh() -> None:
    state = ly_son()
    for action_id in ("kn-1", "kn-2", "kn-3", "kn-9"):
        do(state, c.WaiveAction(actor=STAFF, action_id=action_id, reason="Thử nghiệm"), NOW)
    for unit in ("ly-son", "phong-b"):
        do(state, c.SubmitReport(actor=UNIT_A, unit=unit, files=files()), NOW)
        report = [r for r in state.reports if r.unit == unit][-1]
        do(state, c.ReviewReport(actor=STAFF, report_id=report.id, decision=c.Decision.accept), NOW)
    (closing,) = plan_due(state, NOW)
    request = notices.letter_request(state, closing, NOW)
    assert request.step == Step.closing and request.items == []
    # Lý Sơn's chairman speaks for it (its office is not named beside him); phong-b has no head named
    assert request.addressees == ["Chủ tịch UBND huyện Lý Sơn", "Phòng PHONG-B"]
    assert all("@" not in t for t in request.addressees + request.copied_to)
    assert "Chủ tịch UBND tỉnh Quảng Ngãi" in request.copied_to
    assert (request.waived, request.transferred) == (4, 0)


def test_gui_lai_duoc_danh_dau() -> None:
    state = ly_son()
    _, planned = send_due(state, REMINDER_1, NotificationStatus.failed)
    letter = next(p for p in planned if p.unit == "ly-son")
    do(state, c.ResendNotification(actor=STAFF, key=letter.key), REMINDER_1 + timedelta(hours=1))
    assert notices.letter_request(state, letter, REMINDER_1 + timedelta(hours=1)).resend is True


# ---------------------------------------------------------------- the draft staff download


def test_ban_du_thao_liet_ke_moi_noi_dung_con_no_va_khong_doi_trang_thai() -> None:
    state = ly_son()
    submit(state, "kn-2", NOW)  # waiting for review: not owed by the unit right now
    before = state.model_copy(deep=True)
    draft = notices.draft_letter(state, "ly-son", Step.urging, at(2025, 7, 8, 9))
    assert state.model_dump() == before.model_dump()
    assert draft.key.endswith("/ly-son/urging/draft")
    assert [line.target for line in draft.items] == ["kn-1", "kn-3", "report.ly-son"]
    assert draft.addressees == ["Chủ tịch UBND huyện Lý Sơn"]
