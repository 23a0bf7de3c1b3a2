"""Specification of the follow-up state transitions: who may do what, when, and what it changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from models import commands as c
from models.planning import report_target
from models.policy import Step
from models.spec import ActionKind, ActionSpec
from models.state import (
    ActionStatus,
    ConclusionState,
    ConclusionStatus,
    ExtensionStatus,
    LetterRef,
    NotificationStatus,
    ReportStatus,
    ReviewStatus,
    Schedule,
)
from tests.rules.factories import (
    HEAD_A,
    NOW,
    STAFF,
    UNIT_A,
    UNIT_A2,
    UNIT_B,
    WORKFLOW_ID,
    accept,
    action_dict,
    at,
    do,
    end_of,
    extend,
    files,
    finish_action,
    finish_report,
    make_spec,
    make_state,
    plan,
    plan_due,
    reject,
    run_until,
    schedule_for,
    send_due,
    submit,
    targets_of,
    unit_dict,
)
from workflows.rules import ladder, transitions
from workflows.rules.transitions import SYSTEM, RuleViolation

LATER = NOW + timedelta(hours=1)
REMINDER_1 = at(2025, 6, 19, 8)  # a-1 and b-1 (due 30/06/2025): 7 working days before


def refused(state: ConclusionState, command: c.Command, now: datetime = LATER, *fragments: str) -> str:
    """Assert that `check` and `apply` both refuse, in Vietnamese, without touching the state."""
    before = state.model_dump()
    with pytest.raises(RuleViolation) as by_check:
        transitions.check(state, command)
    with pytest.raises(RuleViolation) as by_apply:
        transitions.apply(state, command, now, "u-refused", schedule_for_safe(state, command, now))
    assert str(by_check.value) == str(by_apply.value)
    assert state.model_dump() == before
    message = str(by_check.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


def schedule_for_safe(state: ConclusionState, command: c.Command, now: datetime) -> Schedule | None:
    try:
        return schedule_for(state, command, now)
    except RuleViolation:
        return None


def waive(state: ConclusionState, action_id: str, now: datetime = LATER) -> ConclusionState:
    return do(state, c.WaiveAction(actor=STAFF, action_id=action_id, reason="Đơn vị đã giải thể"), now)


def transfer(state: ConclusionState, action_id: str, now: datetime = LATER) -> ConclusionState:
    return do(state, c.TransferAction(actor=STAFF, action_id=action_id, reason="CV 12/TTr gửi CQĐT"), now)


def action_in(status: ActionStatus, action_id: str = "a-1") -> ConclusionState:
    state = make_state()
    if status == ActionStatus.open:
        return state
    if status == ActionStatus.evidence_submitted:
        return submit(state, action_id, LATER)
    if status == ActionStatus.done:
        return finish_action(state, action_id, LATER)
    if status == ActionStatus.waived:
        return waive(state, action_id)
    return transfer(state, action_id)


RESOLVED = [ActionStatus.done, ActionStatus.waived, ActionStatus.transferred]
PENDING = [ActionStatus.open, ActionStatus.evidence_submitted]


# ---------------------------------------------------------------- starting a follow-up


def test_bat_dau_theo_doi_tao_trang_thai_dau_tien() -> None:
    state = make_state()
    assert state.workflow_id == WORKFLOW_ID
    assert state.status == ConclusionStatus.active
    assert state.version == 1
    assert [(e.seq, e.kind, e.actor) for e in state.events] == [(1, "started", "staff")]
    assert state.events[0].message == "Bắt đầu theo dõi kết luận 15/KL-TTr: 2 đơn vị, 3 kiến nghị"
    assert all(a.status == ActionStatus.open and a.due_version == 1 for a in state.actions.values())
    assert all(u.report_status == ReportStatus.awaited for u in state.units.values())
    assert state.actions["a-1"].original_due == state.actions["a-1"].due == end_of(2025, 6, 30)
    assert state.received_on == date(2025, 6, 2)  # the issued day when no received_on is given


def test_workflow_id_co_the_do_nguoi_goi_dat() -> None:
    spec = make_spec()
    state = transitions.new_conclusion(spec, plan(spec), NOW, "staff", workflow_id="kl-thu-nghiem")
    assert state.workflow_id == "kl-thu-nghiem"


# ---------------------------------------------------------------- evidence


def test_don_vi_nop_minh_chung_khi_kien_nghi_dang_thuc_hien() -> None:
    state = submit(make_state(), "a-1", LATER)
    action = state.actions["a-1"]
    assert action.status == ActionStatus.evidence_submitted
    (evidence,) = state.evidence
    assert (evidence.id, evidence.action_id, evidence.submitted_by, evidence.submitted_at) == (
        "ev-1",
        "a-1",
        UNIT_A,
        LATER,
    )
    assert evidence.status == ReviewStatus.submitted
    assert state.events[-1].kind == "evidence_submitted"
    assert state.events[-1].target == "a-1"


@pytest.mark.parametrize("status", [ActionStatus.evidence_submitted, *RESOLVED])
def test_khong_the_nop_minh_chung_khi_kien_nghi_khong_con_mo(status: ActionStatus) -> None:
    command = c.SubmitEvidence(actor=UNIT_A, action_id="a-1", files=files())
    refused(
        action_in(status),
        command,
        LATER,
        "Kiến nghị «Khắc phục tồn tại a-1.» đang ở trạng thái «",  # by its text: it has no number; never its key
        "không thể nộp minh chứng",
    )


def test_khong_the_nop_minh_chung_cho_kien_nghi_khong_ton_tai() -> None:
    command = c.SubmitEvidence(actor=UNIT_A, action_id="a-99", files=files())
    refused(make_state(), command, LATER, "Không tìm thấy kiến nghị 'a-99' trong kết luận 15/KL-TTr.")


def test_minh_chung_phai_co_tep() -> None:
    with pytest.raises(ValidationError):
        c.SubmitEvidence(actor=UNIT_A, action_id="a-1", files=[])


def test_chap_nhan_minh_chung_hoan_thanh_kien_nghi() -> None:
    state = accept(submit(make_state(), "a-1", LATER), "a-1", LATER + timedelta(days=1))
    action, evidence = state.actions["a-1"], state.evidence[0]
    assert action.status == ActionStatus.done
    assert action.resolved_at == LATER + timedelta(days=1)
    assert (evidence.status, evidence.reviewed_by) == (ReviewStatus.accepted, STAFF)
    assert state.status == ConclusionStatus.active  # other actions and the reports remain


def test_yeu_cau_bo_sung_minh_chung_dua_kien_nghi_ve_dang_thuc_hien() -> None:
    state = reject(submit(make_state(), "a-1", LATER), "a-1", LATER, "Thiếu quyết định thu hồi hộp thư")
    action = state.actions["a-1"]
    assert action.status == ActionStatus.open
    assert action.status_reason == "Thiếu quyết định thu hồi hộp thư"
    assert state.evidence[0].status == ReviewStatus.rejected
    assert state.events[-1].message == "Yêu cầu bổ sung minh chứng ev-1: Thiếu quyết định thu hồi hộp thư"
    # and the unit can submit again
    again = submit(state, "a-1", LATER)
    assert [e.id for e in again.evidence] == ["ev-1", "ev-2"]


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_yeu_cau_bo_sung_minh_chung_phai_co_ly_do(reason: str | None) -> None:
    state = submit(make_state(), "a-1", LATER)
    command = c.ReviewEvidence(actor=STAFF, evidence_id="ev-1", decision=c.Decision.reject, reason=reason)
    refused(state, command, LATER, "Cần nêu lý do khi yêu cầu bổ sung minh chứng.")


@pytest.mark.parametrize("decision", list(c.Decision))
def test_minh_chung_da_xem_xet_khong_xem_xet_lai(decision: c.Decision) -> None:
    state = accept(submit(make_state(), "a-1", LATER), "a-1", LATER)
    command = c.ReviewEvidence(actor=STAFF, evidence_id="ev-1", decision=decision, reason="lần 2")
    refused(state, command, LATER, "Minh chứng 'ev-1' đã được xem xét.")


def test_khong_tim_thay_minh_chung() -> None:
    command = c.ReviewEvidence(actor=STAFF, evidence_id="ev-7", decision=c.Decision.accept)
    refused(make_state(), command, LATER, "Không tìm thấy minh chứng 'ev-7'.")


def test_chap_nhan_minh_chung_cu_khong_lam_thay_doi_kien_nghi_da_mien() -> None:
    state = waive(submit(make_state(), "a-1", LATER), "a-1")
    state = accept(state, "a-1", LATER)
    assert state.actions["a-1"].status == ActionStatus.waived
    assert state.evidence[0].status == ReviewStatus.accepted


def test_yeu_cau_bo_sung_minh_chung_cu_khong_xoa_ly_do_mien_thuc_hien() -> None:
    state = waive(submit(make_state(), "a-1", LATER), "a-1")
    state = reject(state, "a-1", LATER, "Thiếu biên bản")
    assert state.actions["a-1"].status == ActionStatus.waived
    assert state.actions["a-1"].status_reason == "Đơn vị đã giải thể"


# ---------------------------------------------------------------- several items at once


def test_mot_lan_nop_cho_nhieu_kien_nghi_tao_moi_kien_nghi_mot_minh_chung() -> None:
    """A unit's one dispatch proves several items: each gets its own evidence, reviewed on its own."""
    state = make_state()
    command = c.SubmitEvidence(actor=UNIT_A, action_id="a-1", also_action_ids=["a-2"], files=files(), note="CV 15/UBND")
    do(state, command, LATER, "upd-batch")
    assert [(e.id, e.action_id, e.note) for e in state.evidence] == [
        ("ev-1", "a-1", "CV 15/UBND"),
        ("ev-2", "a-2", "CV 15/UBND"),
    ]
    assert {state.actions[a].status for a in ("a-1", "a-2")} == {ActionStatus.evidence_submitted}
    assert [(e.kind, e.target) for e in state.events[-2:]] == [
        ("evidence_submitted", "a-1"),
        ("evidence_submitted", "a-2"),
    ]
    assert transitions.created_by(state, "upd-batch") == ["ev-1", "ev-2"]


def test_nop_cho_nhieu_kien_nghi_bi_tu_choi_ca_khi_mot_kien_nghi_khong_con_mo() -> None:
    state = submit(make_state(), "a-2", LATER)
    command = c.SubmitEvidence(actor=UNIT_A, action_id="a-1", also_action_ids=["a-2"], files=files())
    refused(
        state, command, LATER, "Kiến nghị «Khắc phục tồn tại a-2.»", "không thể nộp minh chứng"
    )  # a-1 unchanged too


def test_nop_cho_nhieu_kien_nghi_khong_lap_lai_va_khong_ghi_so_tien() -> None:
    with pytest.raises(ValidationError, match="also_action_ids: 'a-1' có mặt hai lần"):
        c.SubmitEvidence(actor=UNIT_A, action_id="a-1", also_action_ids=["a-1"], files=files())
    with pytest.raises(ValidationError, match="recovered_vnd"):
        c.SubmitEvidence(actor=UNIT_A, action_id="a-1", also_action_ids=["a-2"], files=files(), recovered_vnd=5)


def test_mot_quyet_dinh_chap_nhan_nhieu_minh_chung() -> None:
    state = submit(submit(make_state(), "a-1", LATER), "a-2", LATER)
    command = c.ReviewEvidence(actor=STAFF, evidence_id="ev-1", also_evidence_ids=["ev-2"], decision=c.Decision.accept)
    do(state, command, LATER)
    assert [(e.id, e.status) for e in state.evidence] == [
        ("ev-1", ReviewStatus.accepted),
        ("ev-2", ReviewStatus.accepted),
    ]
    assert {state.actions[a].status for a in ("a-1", "a-2")} == {ActionStatus.done}


def test_mot_quyet_dinh_tra_lai_nhieu_minh_chung_voi_cung_ly_do_va_han_moi() -> None:
    state = submit(submit(make_state(), "a-1", LATER), "a-2", LATER)
    command = c.ReviewEvidence(
        actor=STAFF,
        evidence_id="ev-1",
        also_evidence_ids=["ev-2"],
        decision=c.Decision.reject,
        reason="Thiếu biên bản",
        new_due=date(2025, 9, 30),
    )
    do(state, command, LATER)
    for action_id in ("a-1", "a-2"):
        action = state.actions[action_id]
        assert (action.status, action.status_reason, action.due) == (
            ActionStatus.open,
            "Thiếu biên bản",
            end_of(2025, 9, 30),
        )
        assert action.due_version == 2
    assert state.actions["a-1"].schedule is not state.actions["a-2"].schedule  # each item's ladder is its own


def test_quyet_dinh_nhieu_minh_chung_bi_tu_choi_ca_khi_mot_minh_chung_da_xem_xet() -> None:
    state = accept(submit(submit(make_state(), "a-1", LATER), "a-2", LATER), "a-2", LATER)
    command = c.ReviewEvidence(actor=STAFF, evidence_id="ev-1", also_evidence_ids=["ev-2"], decision=c.Decision.accept)
    refused(state, command, LATER, "Minh chứng 'ev-2' đã được xem xét.")
    with pytest.raises(ValidationError, match="also_evidence_ids"):
        c.ReviewEvidence(actor=STAFF, evidence_id="ev-1", also_evidence_ids=["ev-1"], decision=c.Decision.accept)


# ---------------------------------------------------------------- extensions (gia hạn)


def request_extension(state: ConclusionState, due: date | datetime = date(2025, 7, 31)) -> ConclusionState:
    command = c.RequestExtension(actor=UNIT_A, action_id="a-1", requested_due=due, reason="Chờ bố trí kinh phí")
    return do(state, command, LATER)


@pytest.mark.parametrize("status", PENDING)
def test_xin_gia_han_khi_kien_nghi_chua_xong(status: ActionStatus) -> None:
    state = request_extension(action_in(status))
    (request,) = state.extension_requests
    assert (request.id, request.action_id, request.status) == ("ext-1", "a-1", ExtensionStatus.requested)
    assert request.requested_due == date(2025, 7, 31)
    assert state.actions["a-1"].due == end_of(2025, 6, 30)  # nothing moves until staff decide
    assert state.events[-1].message == "Đề nghị gia hạn ext-1 đến 31/07/2025: Chờ bố trí kinh phí"


@pytest.mark.parametrize("status", RESOLVED)
def test_khong_xin_gia_han_khi_kien_nghi_da_xong(status: ActionStatus) -> None:
    command = c.RequestExtension(actor=UNIT_A, action_id="a-1", requested_due=date(2025, 7, 31), reason="x")
    refused(action_in(status), command, LATER, "không thể xin gia hạn")


@pytest.mark.parametrize("due", [date(2025, 6, 30), date(2025, 6, 1), at(2025, 6, 30, 23, 59, 59)])
def test_han_de_nghi_phai_sau_han_hien_tai(due: date | datetime) -> None:
    command = c.RequestExtension(actor=UNIT_A, action_id="a-1", requested_due=due, reason="x")
    refused(make_state(), command, LATER, "requested_due: hạn đề nghị phải sau hạn hiện tại (30/06/2025).")


def test_chi_mot_de_nghi_gia_han_cho_quyet_dinh_moi_luc() -> None:
    state = request_extension(make_state())
    command = c.RequestExtension(actor=UNIT_A, action_id="a-1", requested_due=date(2025, 8, 31), reason="x")
    refused(state, command, LATER, "Kiến nghị «Khắc phục tồn tại a-1.» đã có một đề nghị gia hạn đang chờ quyết định")
    numbered = request_extension(make_state(make_spec(actions=[action_dict("a-1", "phong-a", ref="2.1.a")])))
    refused(numbered, command, LATER, "Kiến nghị mục 2.1.a đã có một đề nghị gia hạn đang chờ quyết định")
    # another action is not blocked
    other = c.RequestExtension(actor=UNIT_A, action_id="b-1", requested_due=date(2025, 8, 31), reason="x")
    transitions.check(state, other)


def test_xin_gia_han_phai_co_ly_do() -> None:
    with pytest.raises(ValidationError):
        c.RequestExtension(actor=UNIT_A, action_id="a-1", requested_due=date(2025, 7, 31), reason="  ")


def test_han_gia_han_la_thoi_diem_khong_mui_gio_bi_tu_choi() -> None:
    naive = datetime(2025, 7, 10, 17, 0)
    with pytest.raises((ValidationError, RuleViolation)):
        command = c.RequestExtension(actor=UNIT_A, action_id="a-1", requested_due=naive, reason="x")
        transitions.check(make_state(), command)


def test_ke_hoach_can_cho_gia_han_dung_han_de_nghi_hoac_han_duoc_chap_thuan() -> None:
    state = request_extension(make_state())
    approve = c.DecideExtension(actor=STAFF, request_id="ext-1", approve=True)
    request = transitions.plan_needed(state, approve, LATER)
    assert request is not None
    assert set(request.targets) == {"a-1"}
    assert request.targets["a-1"].due == date(2025, 7, 31)
    assert request.policy == state.policy
    granted = c.DecideExtension(actor=STAFF, request_id="ext-1", approve=True, granted_due=date(2025, 7, 15))
    request = transitions.plan_needed(state, granted, LATER)
    assert request is not None and request.targets["a-1"].due == date(2025, 7, 15)
    deny = c.DecideExtension(actor=STAFF, request_id="ext-1", approve=False, reason="Không có căn cứ")
    assert transitions.plan_needed(state, deny, LATER) is None
    assert transitions.plan_needed(state, c.Withdraw(actor=STAFF, reason="x"), LATER) is None


def test_chap_thuan_gia_han_lap_lai_lich_moi() -> None:
    state = request_extension(make_state())
    send_due(state, at(2025, 6, 19, 8))
    assert state.actions["a-1"].last_step is not None
    assert state.actions["a-1"].last_letter_at == at(2025, 6, 19, 8)
    approve = c.DecideExtension(actor=STAFF, request_id="ext-1", approve=True)
    schedule = schedule_for(state, approve, LATER)
    assert schedule is not None
    new = transitions.apply(state, approve, LATER, None, schedule)
    action = new.actions["a-1"]
    assert action.due_version == 2
    assert action.schedule == schedule
    assert action.due == end_of(2025, 7, 31)
    assert (action.last_step, action.last_step_index, action.last_letter_at) == (None, None, None)
    assert action.original_due == end_of(2025, 6, 30)
    request = new.extension_requests[0]
    assert (request.status, request.granted_due, request.decided_by) == (ExtensionStatus.approved, action.due, STAFF)
    assert new.events[-1].kind == "extension_approved"
    assert new.events[-1].data == {"due": action.due.isoformat()}


def test_chap_thuan_gia_han_den_ngay_khac_ngay_de_nghi() -> None:
    state = request_extension(make_state())
    state = do(
        state, c.DecideExtension(actor=STAFF, request_id="ext-1", approve=True, granted_due=date(2025, 7, 15)), LATER
    )
    assert state.actions["a-1"].due == end_of(2025, 7, 15)


def test_chap_thuan_gia_han_can_lich_da_tinh() -> None:
    state = request_extension(make_state())
    approve = c.DecideExtension(actor=STAFF, request_id="ext-1", approve=True)
    before = state.model_copy(deep=True)
    with pytest.raises(RuleViolation, match=r"Chưa tính được thời hạn cho thay đổi này\."):
        transitions.apply(state, approve, LATER, "upd-x")
    assert state.model_dump() == before.model_dump()
    assert not transitions.already_applied(state, "upd-x")


def test_han_duoc_chap_thuan_phai_sau_han_hien_tai() -> None:
    state = request_extension(make_state())
    command = c.DecideExtension(actor=STAFF, request_id="ext-1", approve=True, granted_due=date(2025, 6, 30))
    refused(state, command, LATER, "granted_due: hạn mới phải sau hạn hiện tại (30/06/2025).")


@pytest.mark.parametrize("reason", [None, "", "  "])
def test_khong_chap_thuan_gia_han_phai_co_ly_do(reason: str | None) -> None:
    state = request_extension(make_state())
    command = c.DecideExtension(actor=STAFF, request_id="ext-1", approve=False, reason=reason)
    refused(state, command, LATER, "Cần nêu lý do khi không chấp thuận gia hạn.")


def test_khong_chap_thuan_gia_han_giu_nguyen_han() -> None:
    state = request_extension(make_state())
    state = do(
        state, c.DecideExtension(actor=STAFF, request_id="ext-1", approve=False, reason="Không có căn cứ"), LATER
    )
    assert state.extension_requests[0].status == ExtensionStatus.denied
    assert state.extension_requests[0].decision_reason == "Không có căn cứ"
    assert state.actions["a-1"].due_version == 1
    assert state.actions["a-1"].due == end_of(2025, 6, 30)
    # a new request may follow
    transitions.check(
        state, c.RequestExtension(actor=UNIT_A, action_id="a-1", requested_due=date(2025, 8, 1), reason="x")
    )


@pytest.mark.parametrize("approve", [True, False])
def test_de_nghi_da_quyet_dinh_khong_quyet_dinh_lai(approve: bool) -> None:
    state = extend(make_state(), "a-1", date(2025, 7, 31), LATER)
    command = c.DecideExtension(actor=STAFF, request_id="ext-1", approve=approve, reason="lần 2")
    refused(state, command, LATER, "Đề nghị gia hạn 'ext-1' đã được quyết định.")


def test_khong_tim_thay_de_nghi_gia_han() -> None:
    command = c.DecideExtension(actor=STAFF, request_id="ext-9", approve=False, reason="x")
    refused(make_state(), command, LATER, "Không tìm thấy đề nghị gia hạn 'ext-9'.")


def test_khong_gia_han_kien_nghi_da_mien() -> None:
    state = waive(request_extension(make_state()), "a-1")
    command = c.DecideExtension(actor=STAFF, request_id="ext-1", approve=True)
    refused(state, command, LATER, "không thể gia hạn")


def test_de_nghi_gia_han_con_treo_van_tu_choi_duoc_sau_khi_kien_nghi_da_mien() -> None:
    state = waive(request_extension(make_state()), "a-1")
    state = do(state, c.DecideExtension(actor=STAFF, request_id="ext-1", approve=False, reason="Đã miễn"), LATER)
    assert state.extension_requests[0].status == ExtensionStatus.denied


# ---------------------------------------------------------------- follow-up reports


def submit_report(state: ConclusionState, unit: str = "phong-a") -> ConclusionState:
    return do(state, c.SubmitReport(actor=UNIT_A, unit=unit, files=files("bao-cao.pdf")), LATER)


def review_report(state: ConclusionState, decision: c.Decision, reason: str | None = None) -> ConclusionState:
    report_id = state.reports[-1].id
    return do(state, c.ReviewReport(actor=STAFF, report_id=report_id, decision=decision, reason=reason), LATER)


def test_don_vi_nop_bao_cao_ket_qua() -> None:
    state = submit_report(make_state())
    assert state.units["phong-a"].report_status == ReportStatus.submitted
    (report,) = state.reports
    assert (report.id, report.unit, report.status) == ("rp-1", "phong-a", ReviewStatus.submitted)
    assert state.events[-1].target == report_target("phong-a")


def test_bao_cao_cho_xem_xet_khong_nop_lai() -> None:
    command = c.SubmitReport(actor=UNIT_A, unit="phong-a", files=files())
    refused(submit_report(make_state()), command, LATER, "«Đã nộp báo cáo, chờ xem xét»", "không thể nộp")


def test_bao_cao_bi_tra_lai_duoc_nop_lai() -> None:
    state = review_report(submit_report(make_state()), c.Decision.reject, "Thiếu số liệu quý III")
    assert state.units["phong-a"].report_status == ReportStatus.returned
    assert state.reports[0].status == ReviewStatus.rejected
    assert state.reports[0].reason == "Thiếu số liệu quý III"
    state = submit_report(state)
    assert state.units["phong-a"].report_status == ReportStatus.submitted
    assert [r.id for r in state.reports] == ["rp-1", "rp-2"]


def test_bao_cao_da_chap_nhan_khong_nop_lai() -> None:
    state = review_report(submit_report(make_state()), c.Decision.accept)
    assert state.units["phong-a"].report_status == ReportStatus.accepted
    command = c.SubmitReport(actor=UNIT_A, unit="phong-a", files=files())
    refused(state, command, LATER, "«Báo cáo đã được chấp nhận»")


@pytest.mark.parametrize("reason", [None, " "])
def test_tra_lai_bao_cao_phai_co_ly_do(reason: str | None) -> None:
    command = c.ReviewReport(actor=STAFF, report_id="rp-1", decision=c.Decision.reject, reason=reason)
    refused(submit_report(make_state()), command, LATER, "Cần nêu lý do khi trả lại báo cáo.")


def test_bao_cao_da_xem_xet_khong_xem_xet_lai() -> None:
    state = review_report(submit_report(make_state()), c.Decision.accept)
    command = c.ReviewReport(actor=STAFF, report_id="rp-1", decision=c.Decision.accept)
    refused(state, command, LATER, "Báo cáo 'rp-1' đã được xem xét.")


def test_bao_cao_cua_don_vi_khong_ton_tai() -> None:
    command = c.SubmitReport(actor=UNIT_A, unit="phong-z", files=files())
    refused(make_state(), command, LATER, "Không tìm thấy đơn vị 'phong-z' trong kết luận 15/KL-TTr.")
    review = c.ReviewReport(actor=STAFF, report_id="rp-3", decision=c.Decision.accept)
    refused(make_state(), review, LATER, "Không tìm thấy báo cáo 'rp-3'.")


# ---------------------------------------------------------------- waive, transfer


@pytest.mark.parametrize("status", PENDING)
def test_mien_thuc_hien_kien_nghi_chua_xong(status: ActionStatus) -> None:
    state = waive(action_in(status), "a-1")
    action = state.actions["a-1"]
    assert (action.status, action.status_reason, action.resolved_at) == (
        ActionStatus.waived,
        "Đơn vị đã giải thể",
        LATER,
    )
    assert state.events[-1].message == "Miễn thực hiện: Đơn vị đã giải thể"


@pytest.mark.parametrize("status", PENDING)
def test_chuyen_co_quan_dieu_tra_kien_nghi_chua_xong(status: ActionStatus) -> None:
    state = transfer(action_in(status), "a-1")
    action = state.actions["a-1"]
    assert (action.status, action.status_reason) == (ActionStatus.transferred, "CV 12/TTr gửi CQĐT")
    assert state.events[-1].kind == "action_transferred"


@pytest.mark.parametrize("status", RESOLVED)
def test_khong_mien_hay_chuyen_kien_nghi_da_xong(status: ActionStatus) -> None:
    state = action_in(status)
    refused(state, c.WaiveAction(actor=STAFF, action_id="a-1", reason="x"), LATER, "không thể miễn thực hiện")
    refused(
        state, c.TransferAction(actor=STAFF, action_id="a-1", reason="x"), LATER, "không thể chuyển cơ quan điều tra"
    )


@pytest.mark.parametrize("command_type", [c.WaiveAction, c.TransferAction, c.Withdraw])
def test_mien_chuyen_rut_phai_co_ly_do(command_type: type[c.Command]) -> None:
    with pytest.raises(ValidationError):
        command_type(actor=STAFF, action_id="a-1", reason="   ")  # type: ignore[call-arg]


# ---------------------------------------------------------------- adding an action, changing contacts


def new_action(**fields: object) -> ActionSpec:
    data: dict[str, object] = {"id": "a-3", "unit": "phong-a", "text": "Bổ sung quy chế", "due": date(2025, 8, 29)}
    data.update(fields)
    return ActionSpec.model_validate(data)


def test_bo_sung_kien_nghi_voi_lich_da_tinh() -> None:
    command = c.AddAction(actor=STAFF, action=new_action(kind=ActionKind.policy))
    request = transitions.plan_needed(make_state(), command, LATER)
    assert request is not None and set(request.targets) == {"a-3"}
    state = do(make_state(), command, LATER)
    action = state.actions["a-3"]
    assert (action.status, action.kind, action.due_version) == (ActionStatus.open, ActionKind.policy, 1)
    assert action.due == action.original_due == end_of(2025, 8, 29)
    assert len(action.schedule.steps) == 6
    assert (
        state.events[-1].message
        == "Bổ sung kiến nghị (Hoàn thiện cơ chế, chính sách) cho Phòng PHONG-A, hạn 29/08/2025"
    )


def test_bo_sung_kien_nghi_can_lich_da_tinh() -> None:
    state = make_state()
    before = state.model_copy(deep=True)
    with pytest.raises(RuleViolation, match=r"Chưa tính được thời hạn cho thay đổi này\."):
        transitions.apply(state, c.AddAction(actor=STAFF, action=new_action()), LATER)
    assert state.model_dump() == before.model_dump()


def test_bo_sung_kien_nghi_trung_ma_hoac_sai_don_vi_hoac_han_truoc_ngay_ban_hanh() -> None:
    state = make_state()
    refused(
        state, c.AddAction(actor=STAFF, action=new_action(id="a-1")), LATER, "action.id: mã kiến nghị 'a-1' đã tồn tại."
    )
    refused(
        state, c.AddAction(actor=STAFF, action=new_action(unit="phong-z")), LATER, "Không tìm thấy đơn vị 'phong-z'"
    )
    refused(
        state,
        c.AddAction(actor=STAFF, action=new_action(due=date(2025, 5, 1))),
        LATER,
        "action.due: hạn không được trước ngày ban hành kết luận.",
    )


def test_bo_sung_kien_nghi_co_so_tien_chi_cho_loai_thu_hoi() -> None:
    command = c.AddAction(actor=STAFF, action=new_action(amount_vnd=5_000_000))
    refused(make_state(), command, LATER, "amount_vnd")


def test_cap_nhat_dau_moi_thay_toan_bo_dau_moi_cua_don_vi() -> None:
    command = c.ChangeUnitContacts(
        actor=STAFF, unit="phong-a", contacts=["moi@a.example.vn"], head="tp.moi@a.example.vn"
    )
    state = do(make_state(), command, LATER)
    unit = state.units["phong-a"]
    assert (unit.contacts, unit.head, unit.supervisor) == (["moi@a.example.vn"], "tp.moi@a.example.vn", None)
    assert state.events[-1].message == (
        "Cập nhật đầu mối của Phòng PHONG-A: moi@a.example.vn; thủ trưởng tp.moi@a.example.vn"
    )

    titled = c.ChangeUnitContacts(
        actor=STAFF,
        unit="phong-a",
        contacts=["moi@a.example.vn", "vp@a.example.vn"],
        head="tp.moi@a.example.vn",
        head_title="Trưởng phòng A",
        supervisor="ubnd@tinh.example.vn",
        supervisor_title="Chủ tịch UBND tỉnh",
    )
    assert do(state, titled, LATER).events[-1].message == (
        "Cập nhật đầu mối của Phòng PHONG-A: moi@a.example.vn, vp@a.example.vn; thủ trưởng Trưởng phòng A"
        " (tp.moi@a.example.vn); cơ quan cấp trên Chủ tịch UBND tỉnh (ubnd@tinh.example.vn)"
    )


def test_chuc_danh_di_theo_nguoi_doi_nguoi_ma_khong_ghi_chuc_danh_thi_van_ban_goi_theo_vai_tro() -> None:
    state = make_state()
    unit = state.units["phong-a"]
    unit.head, unit.head_title = "tp@a.example.vn", "Trưởng phòng A"
    unit.supervisor, unit.supervisor_title = "gd@so.example.vn", "Giám đốc Sở"

    def change(**fields: Any) -> tuple[str | None, str | None]:
        values = {"head": unit.head, "supervisor": unit.supervisor, "head_title": None, "supervisor_title": None}
        do(state, c.ChangeUnitContacts(actor=STAFF, unit="phong-a", contacts=unit.contacts, **values | fields), LATER)
        return unit.head_title, unit.supervisor_title

    assert change() == ("Trưởng phòng A", "Giám đốc Sở"), "the same people keep their titles"
    assert change(supervisor="ct@tinh.example.vn") == ("Trưởng phòng A", None), "not the old supervisor's title"
    assert change(supervisor_title="  Chủ tịch UBND tỉnh\n") == ("Trưởng phòng A", "Chủ tịch UBND tỉnh")
    assert change(head="tp.moi@a.example.vn", head_title="Trưởng phòng A") == ("Trưởng phòng A", "Chủ tịch UBND tỉnh")
    assert change(head_title="") == (None, "Chủ tịch UBND tỉnh"), '"" clears a title'
    assert change(supervisor_title="   ") == (None, None), "only spaces clear it too"
    with pytest.raises(ValidationError):
        c.ChangeUnitContacts(actor=STAFF, unit="phong-a", contacts=["x@x.vn"], supervisor_title="x" * 201)


def test_doi_dau_moi_ghi_truoc_khi_co_chuc_danh_giu_nguyen_chuc_danh_khi_phat_lai() -> None:
    """A change recorded before the command carried titles (replayed from an older history) kept them then, and
    keeps them now: the state a replay rebuilds is the one the run had."""
    state = make_state()
    unit = state.units["phong-a"]
    unit.supervisor, unit.supervisor_title = "gd@so.example.vn", "Giám đốc Sở"
    old_payload = {"actor": STAFF, "unit": "phong-a", "contacts": ["x@x.vn"], "supervisor": "moi@so.example.vn"}
    recorded = c.ChangeUnitContacts.model_validate(old_payload)  # as decoded from the history: no title keys
    do(state, recorded, LATER)
    assert (unit.supervisor, unit.supervisor_title) == ("moi@so.example.vn", "Giám đốc Sở")


def test_cap_nhat_dau_moi_cua_don_vi_khong_ton_tai_hoac_email_sai() -> None:
    refused(make_state(), c.ChangeUnitContacts(actor=STAFF, unit="phong-z", contacts=["x@x.vn"]), LATER, "phong-z")
    with pytest.raises(ValidationError):
        c.ChangeUnitContacts(actor=STAFF, unit="phong-a", contacts=["khong-phai-email"])
    with pytest.raises(ValidationError):
        c.ChangeUnitContacts(actor=STAFF, unit="phong-a", contacts=[])


# ---------------------------------------------------------------- withdraw, close


def test_rut_ket_luan_dung_moi_viec() -> None:
    state = do(make_state(), c.Withdraw(actor=STAFF, reason="Kết luận bị hủy theo QĐ 45/QĐ-TTCP"), LATER)
    assert state.status == ConclusionStatus.withdrawn
    assert (state.status_reason, state.closed_at) == ("Kết luận bị hủy theo QĐ 45/QĐ-TTCP", LATER)
    assert ladder.due_letters(state, at(2025, 12, 31)) == []
    assert ladder.next_wakeup(state, LATER) is None
    assert ladder.overdue_actions(state, at(2025, 12, 31)) == []
    assert ladder.next_deadline(state, LATER) is None
    refused(
        state,
        c.SubmitEvidence(actor=UNIT_A, action_id="a-1", files=files()),
        LATER,
        "Kết luận 15/KL-TTr đã bị rút; không thể thay đổi.",
    )
    refused(state, c.Withdraw(actor=STAFF, reason="lần 2"), LATER, "đã bị rút")


def finish_all(state: ConclusionState, now: datetime = LATER) -> ConclusionState:
    for action_id in ("a-1", "a-2", "b-1"):
        state = finish_action(state, action_id, now)
    for unit in ("phong-a", "phong-b"):
        state = finish_report(state, unit, now)
    return state


def test_ket_thuc_theo_doi_khi_moi_kien_nghi_xong_va_moi_bao_cao_duoc_chap_nhan() -> None:
    state = finish_all(make_state())
    assert state.status == ConclusionStatus.closed
    assert state.closed_at == LATER
    assert transitions.is_complete(state)
    closed = state.events[-1]
    assert (closed.kind, closed.actor, closed.message) == ("closed", SYSTEM, "Kết thúc theo dõi kết luận 15/KL-TTr")
    assert state.events[-2].kind == "report_accepted"


def test_kien_nghi_mien_hoac_chuyen_cung_tinh_la_xong() -> None:
    state = finish_action(make_state(), "a-1", LATER)
    state = waive(state, "a-2")
    state = finish_report(transfer(state, "b-1"), "phong-a", LATER)
    assert state.status == ConclusionStatus.active
    state = finish_report(state, "phong-b", LATER)
    assert state.status == ConclusionStatus.closed


def test_chua_ket_thuc_khi_con_bao_cao_chua_duoc_chap_nhan() -> None:
    state = make_state()
    for action_id in ("a-1", "a-2", "b-1"):
        state = finish_action(state, action_id, LATER)
    state = finish_report(state, "phong-a", LATER)
    state = submit_report(state, "phong-b")
    assert state.status == ConclusionStatus.active
    assert not transitions.is_complete(state)
    state = review_report(state, c.Decision.reject, "Thiếu phụ lục")
    assert state.status == ConclusionStatus.active


def test_chua_ket_thuc_khi_con_minh_chung_cho_xem_xet() -> None:
    state = make_state()
    for action_id in ("a-1", "b-1"):
        state = finish_action(state, action_id, LATER)
    state = submit(state, "a-2", LATER)
    for unit in ("phong-a", "phong-b"):
        state = finish_report(state, unit, LATER)
    assert state.actions["a-2"].status == ActionStatus.evidence_submitted
    assert state.status == ConclusionStatus.active
    assert accept(state.model_copy(deep=True), "a-2", LATER).status == ConclusionStatus.closed
    assert reject(state, "a-2", LATER).status == ConclusionStatus.active


ALL_COMMANDS: list[c.Command] = [
    c.SubmitEvidence(actor=UNIT_A, action_id="a-1", files=files()),
    c.ReviewEvidence(actor=STAFF, evidence_id="ev-1", decision=c.Decision.accept),
    c.RequestExtension(actor=UNIT_A, action_id="a-1", requested_due=date(2025, 12, 31), reason="x"),
    c.DecideExtension(actor=STAFF, request_id="ext-1", approve=False, reason="x"),
    c.SubmitReport(actor=UNIT_A, unit="phong-a", files=files()),
    c.ReviewReport(actor=STAFF, report_id="rp-1", decision=c.Decision.accept),
    c.WaiveAction(actor=STAFF, action_id="a-1", reason="x"),
    c.TransferAction(actor=STAFF, action_id="a-1", reason="x"),
    c.AddAction(actor=STAFF, action=new_action()),
    c.ChangeUnitContacts(actor=STAFF, unit="phong-a", contacts=["x@x.vn"]),
    c.Withdraw(actor=STAFF, reason="x"),
]


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=lambda cmd: type(cmd).__name__)
def test_ket_luan_da_ket_thuc_khong_nhan_thay_doi(command: c.Command) -> None:
    state = finish_all(make_state())
    refused(state, command, LATER, "Kết luận 15/KL-TTr đã kết thúc theo dõi; không thể thay đổi.")


# ---------------------------------------------------------------- every change: copy, version, audit, idempotence

Scenario = Callable[[], tuple[ConclusionState, c.Command]]


def _after(build: Callable[[ConclusionState], ConclusionState], command: c.Command) -> Scenario:
    return lambda: (build(make_state()), command)


def _almost_closed() -> ConclusionState:
    """Everything done except the review of phong-b's report (rp-2)."""
    state = make_state()
    for action_id in ("a-1", "a-2", "b-1"):
        state = finish_action(state, action_id, LATER)
    return submit_report(finish_report(state, "phong-a", LATER), "phong-b")


SCENARIOS: dict[str, Scenario] = {
    "nop-minh-chung": _after(lambda s: s, c.SubmitEvidence(actor=UNIT_A, action_id="a-1", files=files())),
    "chap-nhan-minh-chung": _after(
        lambda s: submit(s, "a-1", LATER), c.ReviewEvidence(actor=STAFF, evidence_id="ev-1", decision=c.Decision.accept)
    ),
    "yeu-cau-bo-sung": _after(
        lambda s: submit(s, "a-1", LATER),
        c.ReviewEvidence(actor=STAFF, evidence_id="ev-1", decision=c.Decision.reject, reason="Thiếu"),
    ),
    "xin-gia-han": _after(
        lambda s: s, c.RequestExtension(actor=UNIT_A, action_id="a-1", requested_due=date(2025, 7, 31), reason="x")
    ),
    "chap-thuan-gia-han": _after(request_extension, c.DecideExtension(actor=STAFF, request_id="ext-1", approve=True)),
    "khong-chap-thuan-gia-han": _after(
        request_extension, c.DecideExtension(actor=STAFF, request_id="ext-1", approve=False, reason="Không")
    ),
    "nop-bao-cao": _after(lambda s: s, c.SubmitReport(actor=UNIT_A, unit="phong-a", files=files())),
    "chap-nhan-bao-cao": _after(
        submit_report, c.ReviewReport(actor=STAFF, report_id="rp-1", decision=c.Decision.accept)
    ),
    "tra-lai-bao-cao": _after(
        submit_report, c.ReviewReport(actor=STAFF, report_id="rp-1", decision=c.Decision.reject, reason="Thiếu")
    ),
    "mien": _after(lambda s: s, c.WaiveAction(actor=STAFF, action_id="a-1", reason="x")),
    "chuyen-cqdt": _after(lambda s: s, c.TransferAction(actor=STAFF, action_id="a-1", reason="x")),
    "bo-sung-kien-nghi": _after(lambda s: s, c.AddAction(actor=STAFF, action=new_action())),
    "doi-dau-moi": _after(lambda s: s, c.ChangeUnitContacts(actor=STAFF, unit="phong-a", contacts=["x@x.vn"])),
    "rut": _after(lambda s: s, c.Withdraw(actor=STAFF, reason="x")),
    "ket-thuc": lambda: (_almost_closed(), c.ReviewReport(actor=STAFF, report_id="rp-2", decision=c.Decision.accept)),
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_moi_lenh_sua_trang_thai_tai_cho_va_tra_ve_chinh_no(name: str) -> None:
    state, command = SCENARIOS[name]()
    before = state.model_copy(deep=True)
    new = transitions.apply(state, command, LATER, f"upd-{name}", schedule_for(state, command, LATER))
    assert new is state, "in place: no copy of the whole state per change"
    assert state.model_dump() != before.model_dump()


@pytest.mark.parametrize("name", SCENARIOS)
def test_moi_thay_doi_tang_phien_ban_va_ghi_nhat_ky_voi_nguoi_thuc_hien(name: str) -> None:
    state, command = SCENARIOS[name]()
    before = state.model_copy(deep=True)
    new = transitions.apply(state, command, LATER, f"upd-{name}", schedule_for(state, command, LATER))
    added = new.events[len(before.events) :]
    assert added, "every change leaves an audit event"
    assert added[0].actor == command.actor
    assert all(e.at == LATER for e in added)
    assert new.version == before.version + len(added)
    assert [e.seq for e in new.events] == list(range(1, len(new.events) + 1))
    assert list(new.applied_updates)[-1] == f"upd-{name}"


@pytest.mark.parametrize("name", SCENARIOS)
def test_cung_ma_cap_nhat_ap_dung_lan_hai_khong_thay_doi_gi(name: str) -> None:
    state, command = SCENARIOS[name]()
    once = transitions.apply(state, command, LATER, "upd-1", schedule_for(state, command, LATER))
    snapshot = once.model_dump()
    twice = transitions.apply(once, command, LATER + timedelta(minutes=5), "upd-1", None)
    assert twice is once
    assert twice.model_dump() == snapshot
    # the validator lets a retried update through even though the command itself is no longer allowed
    transitions.check(once, command, "upd-1")
    assert transitions.already_applied(once, "upd-1")
    assert not transitions.already_applied(once, "upd-2")
    assert not transitions.already_applied(once, None)


def test_ma_cap_nhat_khac_cho_cung_lenh_bi_tu_choi_neu_khong_con_hop_le() -> None:
    command = c.SubmitEvidence(actor=UNIT_A, action_id="a-1", files=files())
    once = transitions.apply(make_state(), command, LATER, "upd-1")
    with pytest.raises(RuleViolation):
        transitions.check(once, command, "upd-2")


def test_lenh_bi_tu_choi_khong_ghi_nho_ma_cap_nhat() -> None:
    state = submit(make_state(), "a-1", LATER)
    command = c.SubmitEvidence(actor=UNIT_A, action_id="a-1", files=files())
    with pytest.raises(RuleViolation):
        transitions.apply(state, command, LATER, "upd-x")
    assert not transitions.already_applied(state, "upd-x")


def test_chi_giu_1000_ma_cap_nhat_gan_nhat() -> None:
    state = make_state()
    state.applied_updates = {f"old-{i}": "" for i in range(transitions.KEEP_UPDATE_IDS)}
    do(state, c.ChangeUnitContacts(actor=STAFF, unit="phong-a", contacts=["x@x.vn"]), LATER, "new-1")
    assert len(state.applied_updates) == transitions.KEEP_UPDATE_IDS
    assert next(iter(state.applied_updates)) == "old-1"
    assert list(state.applied_updates)[-1] == "new-1"


@pytest.mark.parametrize(
    ("name", "created"),
    [("nop-minh-chung", "ev-1"), ("xin-gia-han", "ext-1"), ("nop-bao-cao", "rp-1"), ("mien", None)],
)
def test_ma_cap_nhat_nho_ma_ban_ghi_da_tao(name: str, created: str | None) -> None:
    state, command = SCENARIOS[name]()
    do(state, command, LATER, "upd-1")
    assert transitions.created_by(state, "upd-1") == ([created] if created else [])
    assert state.applied_updates["upd-1"] == (created or "")
    assert transitions.created_by(state, "upd-khac") == []


# ---------------------------------------------------------------- letters: planned, then settled


def test_van_ban_den_han_duoc_ghi_dang_cho_voi_khoa_on_dinh() -> None:
    state = make_state()
    due = ladder.due_letters(state, REMINDER_1)
    planned = transitions.plan_letters(state, due, REMINDER_1)
    assert [p.key for p in planned] == [f"{WORKFLOW_ID}/phong-a/reminder/1", f"{WORKFLOW_ID}/phong-b/reminder/2"]
    assert state.letters == planned
    assert state.letter_seq == 2
    assert state.version == 2  # one change for the whole batch
    record = planned[0]
    assert (record.unit, record.step, record.status, record.planned_at, record.at) == (
        "phong-a",
        Step.reminder,
        NotificationStatus.pending,
        REMINDER_1,
        None,
    )
    assert (record.items, record.to, record.cc) == (due[0].items, due[0].to, due[0].cc)
    assert state.actions["a-1"].last_step is None, "nothing climbs before the letter is settled"
    assert transitions.plan_letters(state, [], REMINDER_1) == []
    assert state.version == 2


def test_khoa_van_ban_khong_bao_gio_lap_lai() -> None:
    state, sent = run_until(make_state(), NOW, at(2025, 12, 31))
    keys = [p.key for p in sent]
    assert len(keys) == len(set(keys)) == state.letter_seq


def test_ghi_nhan_van_ban_da_gui() -> None:
    state = make_state()
    (letter, _) = plan_due(state, REMINDER_1)
    version = state.version
    sent_at = REMINDER_1 + timedelta(minutes=1)
    record = transitions.settle_letter(state, letter.key, NotificationStatus.sent, "250 OK", sent_at)
    assert record is letter
    assert (record.status, record.at, record.detail) == (NotificationStatus.sent, sent_at, "250 OK")
    action = state.actions["a-1"]
    assert (action.last_step, action.last_step_index, action.last_letter_at) == (Step.reminder, 0, sent_at)
    assert state.units["phong-a"].letters == [LetterRef(key=letter.key, step=Step.reminder, sent_at=sent_at)]
    assert state.version == version + 1
    event = state.events[-1]
    assert (event.actor, event.kind, event.target) == (SYSTEM, "notification_sent", "report.phong-a")
    assert event.data == {"key": letter.key, "items": ["a-1"]}
    assert event.message == f"Đã gửi văn bản «Nhắc nhở» (1 nội dung) tới {UNIT_A}, {UNIT_A2}: 250 OK"


def test_ghi_nhan_lan_hai_hoac_khoa_la_khong_doi_gi() -> None:
    state = make_state()
    (letter, _) = plan_due(state, REMINDER_1)
    transitions.settle_letter(state, letter.key, NotificationStatus.sent, "250 OK", REMINDER_1)
    before = state.model_copy(deep=True)
    assert transitions.settle_letter(state, letter.key, NotificationStatus.failed, "550", REMINDER_1) is None
    assert transitions.settle_letter(state, "khong-co", NotificationStatus.sent, "", REMINDER_1) is None
    assert state.model_dump() == before.model_dump()


def test_ghi_nhan_van_ban_gui_that_bai_van_len_bac_nhung_khong_duoc_trich_dan() -> None:
    state = make_state()
    (letter, _) = plan_due(state, REMINDER_1)
    transitions.settle_letter(state, letter.key, NotificationStatus.failed, "550 no such user", REMINDER_1)
    assert state.actions["a-1"].last_step == Step.reminder
    assert state.units["phong-a"].letters == []
    assert state.letters[0].status == NotificationStatus.failed
    assert state.events[-1].kind == "notification_failed"
    assert state.events[-1].message.startswith("Gửi thất bại văn bản «Nhắc nhở»")
    assert state.events[-1].message.endswith(": 550 no such user")


def test_van_ban_co_bao_cao_cap_nhat_bac_cua_don_vi_rieng() -> None:
    state = make_state()
    moment = at(2025, 9, 19, 8)  # the reports' first reminder; the actions are long overdue by then
    _, planned = send_due(state, moment)
    assert [(p.unit, p.step, targets_of(p)) for p in planned if p.unit == "phong-a"] == [
        ("phong-a", Step.overdue, ["a-1", "a-2"]),
        ("phong-a", Step.reminder, ["report.phong-a"]),
    ]
    assert state.units["phong-a"].last_step == Step.reminder
    assert state.actions["a-1"].last_step == Step.overdue


def test_so_van_ban_giu_lai_co_gioi_han(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transitions, "KEEP_SENT_LETTERS", 3)
    monkeypatch.setattr(transitions, "KEEP_UNIT_LETTERS", 2)
    state, sent = run_until(make_state(), NOW, at(2025, 8, 31))
    assert len(sent) > 3
    assert [p.key for p in state.letters] == [p.key for p in sent[-3:]]
    phong_a = [p for p in sent if p.unit == "phong-a"]
    assert [r.key for r in state.units["phong-a"].letters] == [p.key for p in phong_a[-2:]]


def test_van_ban_ket_thuc_co_khoa_rieng() -> None:
    state = make_state()
    for action_id in ("a-1", "a-2", "b-1"):
        finish_action(state, action_id, LATER)
    for unit in ("phong-a", "phong-b"):
        finish_report(state, unit, LATER)
    (closing,) = plan_due(state, LATER)
    assert (closing.key, closing.unit, closing.step) == (f"{WORKFLOW_ID}/closing", "", Step.closing)
    assert state.letter_seq == 0
    transitions.settle_letter(state, closing.key, NotificationStatus.sent, "250 OK", LATER)
    assert all(u.letters == [] for u in state.units.values())


# ---------------------------------------------------------------- the office's number on a sent letter


def test_ghi_so_van_ban_da_gui() -> None:
    state, _ = send_due(make_state(), REMINDER_1)
    key = state.units["phong-a"].letters[0].key
    do(state, c.RecordLetterNumber(actor=STAFF, key=key, number=" 125/TTr-NV ", signed_on=date(2025, 6, 20)), LATER)
    ref = state.units["phong-a"].letters[0]
    assert (ref.number, ref.signed_on) == ("125/TTr-NV", date(2025, 6, 20))
    event = state.events[-1]
    assert (event.kind, event.actor, event.target) == ("letter_numbered", STAFF, "report.phong-a")
    assert event.data == {"key": key, "number": "125/TTr-NV", "signed_on": "2025-06-20"}
    assert state.units["phong-b"].letters[0].number is None


def test_chi_ghi_so_cho_van_ban_da_gui() -> None:
    state = make_state()
    _, failed = send_due(state, REMINDER_1, NotificationStatus.failed)
    for key in ("khong-co", failed[0].key):
        command = c.RecordLetterNumber(actor=STAFF, key=key, number="1/TTr")
        refused(state, command, LATER, f"Không tìm thấy văn bản đã gửi '{key}' để ghi số.")
    with pytest.raises(ValidationError):
        c.RecordLetterNumber(actor=STAFF, key="x", number="  ")


# ---------------------------------------------------------------- bounded audit trail


def test_quen_nhat_ky_da_chieu_giu_gioi_han() -> None:
    state = make_state()
    for i in range(transitions.KEEP_EVENTS + 30):
        do(state, c.ChangeUnitContacts(actor=STAFF, unit="phong-a", contacts=[f"x{i}@x.vn"]), LATER)
    total = state.events[-1].seq
    projected = total - 5
    transitions.forget_projected(state, projected)
    seqs = [e.seq for e in state.events]
    assert seqs == list(range(projected - transitions.KEEP_EVENTS + 1, total + 1))
    assert state.version == total  # the version still counts every change
    do(state, c.ChangeUnitContacts(actor=STAFF, unit="phong-a", contacts=["y@y.vn"]), LATER)
    assert state.events[-1].seq == total + 1


# ---------------------------------------------------------------- what the spec says was done before registration


def test_bat_dau_voi_tinh_trang_truoc_khi_dang_ky() -> None:
    spec = make_spec(
        agency_head_title="Chủ tịch UBND tỉnh Nam Định",
        signer={"title": "Phó Chánh Thanh tra", "name": "Nguyễn Văn A", "acting_for": "KT. CHÁNH THANH TRA"},
        place="Nam Định",
        letter_symbol="/TTr-NV",
        inspectorate_parent="UBND TỈNH NAM ĐỊNH",
        units=[
            unit_dict(
                "phong-a",
                [UNIT_A],
                HEAD_A,
                head_title="Trưởng phòng A",
                supervisor_title="Phó Giám đốc Sở",
                report_due="2025-09-30",
                report_received={"on": "2025-06-20", "document": "Báo cáo số 12/BC-PA ngày 20/6/2025"},
            ),
            unit_dict("phong-b", [UNIT_B], report_due="2025-09-30"),
        ],
        actions=[
            {
                **action_dict("a-1", "phong-a"),
                "ref": "2.1.a",
                "status": "done",
                "as_of": "2025-06-20",
                "source": "Báo cáo số 12/BC-PA ngày 20/6/2025",
            },
            {
                **action_dict("a-2", "phong-a"),
                "status": "partly_done",
                "as_of": "2025-06-20",
                "source": "Báo cáo số 12/BC-PA ngày 20/6/2025",
                "due_assumed": True,
            },
            action_dict("b-1", "phong-b"),
        ],
    )
    state = transitions.new_conclusion(spec, plan(spec), NOW, "staff")
    a1, a2, b1 = state.actions["a-1"], state.actions["a-2"], state.actions["b-1"]
    assert (a1.status, a1.ref, a1.resolved_at) == (ActionStatus.done, "2.1.a", at(2025, 6, 20, 12))
    assert a1.progress == "Đã thực hiện (theo Báo cáo số 12/BC-PA ngày 20/6/2025)"
    assert (a2.status, a2.due_assumed) == (ActionStatus.open, True)
    assert a2.progress == "Đã thực hiện một phần (theo Báo cáo số 12/BC-PA ngày 20/6/2025)"
    assert (b1.progress, b1.ref, b1.due_assumed) == (None, None, False)
    unit = state.units["phong-a"]
    assert (unit.report_status, unit.head_title) == (ReportStatus.submitted, "Trưởng phòng A")
    assert unit.supervisor_title == "Phó Giám đốc Sở"
    (report,) = state.reports
    assert (report.unit, report.note, report.status) == (
        "phong-a",
        "Báo cáo số 12/BC-PA ngày 20/6/2025",
        ReviewStatus.submitted,
    )
    assert state.units["phong-b"].report_status == ReportStatus.awaited
    assert state.agency_head_title == "Chủ tịch UBND tỉnh Nam Định"
    sig = state.signature
    assert (sig.title, sig.name, sig.acting_for, sig.place, sig.letter_symbol, sig.parent) == (
        "Phó Chánh Thanh tra",
        "Nguyễn Văn A",
        "KT. CHÁNH THANH TRA",
        "Nam Định",
        "TTr-NV",
        "UBND TỈNH NAM ĐỊNH",
    )
    assert [e.kind for e in state.events] == ["started", "report_submitted"]
    assert state.version == 2
    # a done item never climbs; a received report awaits review, not letters
    due = ladder.due_letters(state, at(2025, 7, 1, 8))
    listed = {t for d in due for t in targets_of(d)}
    assert "a-1" not in listed and "a-2" in listed
    assert "report.phong-a" not in {t for d in ladder.due_letters(state, at(2025, 10, 1, 8)) for t in targets_of(d)}


def test_bo_sung_kien_nghi_giu_so_thu_tu_va_han_gia_dinh() -> None:
    action = new_action(ref="III.4", due_assumed=True)
    state = do(make_state(), c.AddAction(actor=STAFF, action=action), LATER)
    added = state.actions["a-3"]
    assert (added.ref, added.due_assumed, added.status) == ("III.4", True, ActionStatus.open)
