"""Specification of the notices of decisions: which decision tells whom what, one email per unit for decisions made
together, and the ladder after a return (never silence)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from models import commands as c
from models.planning import report_target
from models.policy import Step
from models.state import (
    ActionStatus,
    ConclusionState,
    NoticeAudience,
    NoticeKind,
    NoticeRecord,
    NotificationStatus,
)
from tests.rules.factories import (
    STAFF,
    UNIT_A,
    UNIT_A2,
    UNIT_B,
    WORKFLOW_ID,
    at,
    do,
    files,
    last_evidence_id,
    make_state,
    reject,
    run_until,
    submit,
    targets_of,
)
from workflows.rules import decisions, ladder

DECIDED = at(2025, 6, 10, 9)  # before the deadlines of 30/06/2025
DELAY = timedelta(seconds=120)


def unit_notices(state: ConclusionState, unit: str) -> list[NoticeRecord]:
    return [n for n in state.notices if n.unit == unit and n.audience == NoticeAudience.unit]


def kinds(state: ConclusionState, unit: str) -> list[NoticeKind]:
    return [line.kind for n in unit_notices(state, unit) for line in n.lines]


def submitted(*action_ids: str, now: datetime = DECIDED) -> ConclusionState:
    state = make_state()
    for action_id in action_ids:
        submit(state, action_id, now)
    return state


def review(state: ConclusionState, action_id: str, decision: c.Decision, now: datetime, **extra: object) -> None:
    evidence_id = last_evidence_id(state, action_id)
    do(state, c.ReviewEvidence(actor=STAFF, evidence_id=evidence_id, decision=decision, **extra), now)


def test_chap_nhan_minh_chung_bao_cho_don_vi_sau_thoi_gian_gom() -> None:
    state = submitted("a-1")
    review(state, "a-1", c.Decision.accept, DECIDED)
    [notice] = unit_notices(state, "phong-a")
    assert [line.kind for line in notice.lines] == [NoticeKind.evidence_accepted]
    assert notice.send_at == DECIDED + DELAY
    assert decisions.due_notices(state, DECIDED) == []
    assert notice in decisions.due_notices(state, DECIDED + DELAY)
    request = decisions.notice_request(state, notice, DECIDED + DELAY)
    assert request.to == [UNIT_A, UNIT_A2]  # the unit's own contacts, never supervisors
    assert request.items[0].text == "Khắc phục tồn tại a-1."
    assert request.items[0].files == ["bien-ban-khac-phuc.pdf"]


def test_tra_lai_minh_chung_neu_ly_do_va_tep_bi_tra_lai() -> None:
    state = submitted("a-1")
    reject(state, "a-1", DECIDED, reason="Thiếu biên bản kiểm tra hiện trường")
    [notice] = unit_notices(state, "phong-a")
    [item] = decisions.notice_request(state, notice, DECIDED + DELAY).items
    assert item.kind == NoticeKind.evidence_returned
    assert item.reason == "Thiếu biên bản kiểm tra hiện trường"
    assert item.due == state.actions["a-1"].due  # the deadline stands: the notice says so
    assert item.new_due is None


def test_nhieu_quyet_dinh_cung_luc_cho_mot_don_vi_gop_mot_thu() -> None:
    state = submitted("a-1", "a-2", "b-1")
    review(state, "a-1", c.Decision.accept, DECIDED)
    review(state, "a-2", c.Decision.reject, DECIDED + timedelta(seconds=30), reason="Thiếu chữ ký")
    review(state, "b-1", c.Decision.accept, DECIDED + timedelta(seconds=60))
    assert kinds(state, "phong-a") == [NoticeKind.evidence_accepted, NoticeKind.evidence_returned]
    assert len(unit_notices(state, "phong-a")) == 1
    assert kinds(state, "phong-b") == [NoticeKind.evidence_accepted]
    # The first decision sets when the notice goes: a line never waits longer than the delay.
    assert unit_notices(state, "phong-a")[0].send_at == DECIDED + DELAY


def test_quyet_dinh_sau_khi_thu_da_den_gio_gui_vao_thu_moi() -> None:
    state = submitted("a-1", "a-2")
    review(state, "a-1", c.Decision.accept, DECIDED)
    later = DECIDED + DELAY
    review(state, "a-2", c.Decision.accept, later)
    first, second = unit_notices(state, "phong-a")
    assert [line.target for line in first.lines] == ["a-1"]
    assert [line.target for line in second.lines] == ["a-2"]
    assert first.key != second.key
    assert second.key == f"{WORKFLOW_ID}/phong-a/notice-unit/{state.notice_seq}"
    officers = next(n for n in state.notices if n.audience == NoticeAudience.officers)
    assert officers.key.startswith(f"{WORKFLOW_ID}/conclusion/notice-officers/")


def test_gia_han_chap_thuan_bao_han_moi_tu_choi_bao_ly_do() -> None:
    state = make_state()
    do(
        state,
        c.RequestExtension(actor=UNIT_A, action_id="a-1", requested_due=at(2025, 7, 15).date(), reason="Chờ vốn"),
        DECIDED,
    )
    do(
        state,
        c.RequestExtension(actor=UNIT_A, action_id="a-2", requested_due=at(2025, 8, 29).date(), reason="Chờ vốn"),
        DECIDED,
    )
    first, second = (r.id for r in state.extension_requests)
    do(state, c.DecideExtension(actor=STAFF, request_id=first, approve=True, reason="Có lý do chính đáng"), DECIDED)
    do(state, c.DecideExtension(actor=STAFF, request_id=second, approve=False, reason="Không có căn cứ"), DECIDED)
    [notice] = unit_notices(state, "phong-a")
    approved, denied = decisions.notice_request(state, notice, DECIDED + DELAY).items
    assert approved.kind == NoticeKind.extension_approved
    assert (
        approved.new_due is not None
        and approved.new_due.astimezone(at(2025, 1, 1).tzinfo).date() == at(2025, 7, 15).date()
    )
    assert denied.kind == NoticeKind.extension_denied and denied.reason == "Không có căn cứ"
    assert denied.due == state.actions["a-2"].due


def test_bao_cao_chap_nhan_hoac_tra_lai_bao_cho_don_vi() -> None:
    state = make_state()
    for unit in ("phong-a", "phong-b"):
        do(state, c.SubmitReport(actor=UNIT_A, unit=unit, files=files("bao-cao.pdf")), DECIDED)
    report_a, report_b = (r.id for r in state.reports)
    do(state, c.ReviewReport(actor=STAFF, report_id=report_a, decision=c.Decision.accept), DECIDED)
    do(
        state,
        c.ReviewReport(actor=STAFF, report_id=report_b, decision=c.Decision.reject, reason="Thiếu số liệu"),
        DECIDED,
    )
    assert kinds(state, "phong-a") == [NoticeKind.report_accepted]
    assert kinds(state, "phong-b") == [NoticeKind.report_returned]
    [item] = decisions.notice_request(state, unit_notices(state, "phong-b")[0], DECIDED + DELAY).items
    assert item.is_report and item.target == report_target("phong-b") and item.reason == "Thiếu số liệu"


@pytest.mark.parametrize(
    ("command", "kind"),
    [
        (c.WaiveAction(actor=STAFF, action_id="b-1", reason="Đơn vị đã giải thể"), NoticeKind.action_waived),
        (c.TransferAction(actor=STAFF, action_id="b-1", reason="Công văn 12/CV"), NoticeKind.action_transferred),
    ],
)
def test_mien_hoac_chuyen_co_quan_dieu_tra_bao_ly_do(command: c.Command, kind: NoticeKind) -> None:
    state = make_state()
    do(state, command, DECIDED)
    [notice] = unit_notices(state, "phong-b")
    assert [(line.kind, line.reason) for line in notice.lines] == [(kind, command.reason)]  # type: ignore[attr-defined]
    assert decisions.notice_request(state, notice, DECIDED).to == [UNIT_B]


def test_rut_ket_luan_bao_moi_don_vi_va_theo_doi_cho_thu_di_roi_moi_ket_thuc() -> None:
    state = make_state()
    do(state, c.Withdraw(actor=STAFF, reason="Kết luận bị hủy"), DECIDED)
    assert {n.unit for n in state.notices} == {"phong-a", "phong-b"}
    assert all(line.kind == NoticeKind.withdrawn for n in state.notices for line in n.lines)
    assert decisions.pending(state)  # the workflow does not end before these went
    for notice in decisions.due_notices(state, DECIDED + DELAY):
        decisions.settle_notice(state, notice.key, NotificationStatus.sent, "250 OK", DECIDED + DELAY)
    assert not decisions.pending(state)


def test_ho_so_moi_bao_can_bo_theo_doi_gop_moi_don_vi() -> None:
    state = make_state()
    submit(state, "a-1", DECIDED)
    do(state, c.SubmitReport(actor=UNIT_B, unit="phong-b", files=files("bao-cao.pdf")), DECIDED)
    [notice] = [n for n in state.notices if n.audience == NoticeAudience.officers]
    assert [(line.kind, line.subject) for line in notice.lines] == [
        (NoticeKind.arrived, state.evidence[0].id),
        (NoticeKind.arrived, state.reports[0].id),
    ]
    assert decisions.notice_request(state, notice, DECIDED).to == []  # who opted in is read when it is sent


def test_khong_gui_ngay_khi_thoi_gian_gom_bang_khong() -> None:
    state = submitted("a-1")
    state.notice_delay_seconds = 0
    review(state, "a-1", c.Decision.accept, DECIDED)
    assert [n.send_at for n in unit_notices(state, "phong-a")] == [DECIDED]


def test_thong_bao_da_gui_chi_giu_mot_so_trong_workflow() -> None:
    state = make_state()
    state.notice_delay_seconds = 0
    for minute in range(decisions.KEEP_SENT_NOTICES + 10):
        now = DECIDED + timedelta(minutes=minute)
        submit(state, "a-1", now)
        review(state, "a-1", c.Decision.reject, now, reason="Thiếu")
        for notice in decisions.due_notices(state, now):
            decisions.settle_notice(state, notice.key, NotificationStatus.sent, "250 OK", now)
    assert len(state.notices) == decisions.KEEP_SENT_NOTICES
    assert state.notice_seq == 2 * (decisions.KEEP_SENT_NOTICES + 10)  # officers' and unit's, each kept apart


def test_chay_lai_lich_su_cu_khong_sinh_thong_bao() -> None:
    state = make_state()
    state.decision_notices = False
    submit(state, "a-1", DECIDED)
    review(state, "a-1", c.Decision.accept, DECIDED)
    assert state.notices == []


# ---------------------------------------------------------------- the ladder after a return


def at_top_of_the_ladder() -> tuple[ConclusionState, datetime]:
    """a-1 past every step of the ladder (proposal sent), a-2 and b-1 done: only a-1 climbs."""
    state = make_state()
    for action_id in ("a-2", "b-1"):
        submit(state, action_id, DECIDED)
        review(state, action_id, c.Decision.accept, DECIDED)
    end = at(2025, 9, 1, 12)
    state, _ = run_until(state, DECIDED, end)
    assert state.actions["a-1"].last_step == Step.proposal
    return state, end


def test_tra_lai_o_bac_cao_nhat_van_gui_lai_bac_do_sau_mot_khoang() -> None:
    state, now = at_top_of_the_ladder()
    assert ladder.next_step(state, ladder.target(state, "a-1"), now) is None  # type: ignore[arg-type]
    submit(state, "a-1", now)
    reject(state, "a-1", now, reason="Chưa có quyết định xử lý trách nhiệm")
    nxt = ladder.next_step(state, ladder.target(state, "a-1"), now)  # type: ignore[arg-type]
    assert nxt is not None and nxt.step.step == Step.proposal
    gap = timedelta(days=30) - timedelta(days=15)  # proposal after second urging in the default policy
    assert nxt.at >= now + gap
    state, letters = run_until(state, now, now + gap + timedelta(days=60))
    about_a1 = [(letter.step, [i.target for i in letter.items]) for letter in letters if "a-1" in targets_of(letter)]
    assert about_a1 == [(Step.proposal, ["a-1"])]
    assert state.actions["a-1"].resume_at is None  # once: the next return takes it up again


def test_tra_lai_kem_han_moi_bat_dau_lai_thang_nhac_tu_dau() -> None:
    state, now = at_top_of_the_ladder()
    submit(state, "a-1", now)
    new_due = (now + timedelta(days=30)).date()
    review(state, "a-1", c.Decision.reject, now, reason="Bổ sung hồ sơ", new_due=new_due)
    action = state.actions["a-1"]
    assert action.status == ActionStatus.open and action.due_version == 2 and action.last_step is None
    assert action.due.date() == new_due
    [line] = unit_notices(state, "phong-a")[-1].lines
    assert line.new_due == action.due
    nxt = ladder.next_step(state, ladder.target(state, "a-1"), now)  # type: ignore[arg-type]
    assert nxt is not None and nxt.step.step == Step.reminder


def test_tra_lai_sau_han_cho_buoc_tiep_theo_it_nhat_mot_khoang() -> None:
    state = make_state()
    overdue_sent = at(2025, 7, 1, 9)
    state, _ = run_until(state, DECIDED, overdue_sent)
    assert state.actions["a-1"].last_step == Step.overdue
    submit(state, "a-1", at(2025, 7, 2, 9))
    returned = at(2025, 7, 3, 9)
    reject(state, "a-1", returned)
    nxt = ladder.next_step(state, ladder.target(state, "a-1"), returned)  # type: ignore[arg-type]
    assert nxt is not None and nxt.step.step == Step.urging
    assert nxt.at >= returned + (timedelta(days=1) - timedelta(days=-1))  # the overdue step's own gap


def test_han_moi_khi_tra_lai_chi_khi_tra_lai() -> None:
    state = submitted("a-1")
    with pytest.raises(ValueError, match="new_due"):
        review(state, "a-1", c.Decision.accept, DECIDED, new_due=at(2025, 8, 1).date())


def test_thong_bao_gui_loi_duoc_gui_lai_theo_yeu_cau() -> None:
    state = submitted("a-1")
    review(state, "a-1", c.Decision.accept, DECIDED)
    [notice] = unit_notices(state, "phong-a")
    sent_at = DECIDED + DELAY
    decisions.settle_notice(state, notice.key, NotificationStatus.failed, "550 no such user", sent_at)
    later = sent_at + timedelta(hours=1)
    do(state, c.ResendNotification(actor=STAFF, key=notice.key), later)
    assert notice.status == NotificationStatus.pending and notice.send_at == later
    assert decisions.notice_request(state, notice, later).resend
    with pytest.raises(ValueError, match="chờ gửi lại"):
        do(state, c.ResendNotification(actor=STAFF, key=notice.key), later)


def test_notices_about_to_fall_due_are_gathered_with_one_that_is_due_within_a_tenth_of_the_delay() -> None:
    def to_units_due(state: ConclusionState, now: datetime, gather: bool = False) -> list[str]:
        due = decisions.due_notices(state, now, gather=gather)
        return [n.unit for n in due if n.audience == NoticeAudience.unit]

    def decided_apart(seconds: int) -> ConclusionState:
        state = submitted("a-1", "b-1")
        review(state, "a-1", c.Decision.accept, DECIDED)
        review(state, "b-1", c.Decision.accept, DECIDED + timedelta(seconds=seconds))
        return state

    due = DECIDED + DELAY
    state = decided_apart(3)
    assert to_units_due(state, due) == ["phong-a"]
    assert to_units_due(state, due, gather=True) == ["phong-a", "phong-b"]
    assert to_units_due(state, due - timedelta(seconds=1), gather=True) == []  # none due: none goes early
    state.notice_delay_seconds = 20  # a short delay gathers a tenth of it (2 s)
    assert to_units_due(state, due, gather=True) == ["phong-a"]
    assert to_units_due(decided_apart(9), due, gather=True) == ["phong-a"]  # 5 s at most
