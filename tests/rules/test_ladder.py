"""Specification of the escalation ladder over time: which notices are due, to whom, and when to wake up next.

Standard conclusion (tests/rules/factories.py): a-1 (phong-a) and b-1 (phong-b) due 30/06/2025, a-2 (phong-a) due
31/07/2025, reports due 30/09/2025. With the default policy a-1's ladder is: reminders 19/06 and 27/06, overdue
01/07, urging 07/07, second urging 15/07, proposal 30/07, each at 08:00.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from dondoc.spec_loader import load_spec
from models import commands as c
from models.policy import Policy, PolicyStep, Role, Step
from models.state import ActionStatus, ConclusionState, NotificationStatus
from tests.rules.factories import (
    AGENCY_HEAD,
    HEAD_A,
    HEAD_B,
    INSPECTORATE_HEAD,
    STAFF,
    SUPERVISOR,
    UNIT_A,
    UNIT_A2,
    UNIT_B,
    WORKFLOW_ID,
    at,
    do,
    end_of,
    extend,
    files,
    finish_action,
    finish_report,
    for_target,
    make_spec,
    make_state,
    plan,
    reject,
    run_until,
    send_due,
    submit,
)
from workflows.rules import ladder, notices, transitions
from workflows.rules.ladder import Notification

REMINDER_1 = at(2025, 6, 19, 8)
REMINDER_2 = at(2025, 6, 27, 8)
OVERDUE = at(2025, 7, 1, 8)
URGING = at(2025, 7, 7, 8)
SECOND_URGING = at(2025, 7, 15, 8)
PROPOSAL = at(2025, 7, 30, 8)
SECOND = timedelta(seconds=1)


def due_for(state: ConclusionState, target: str, now: datetime) -> list[Notification]:
    return for_target(ladder.due_notifications(state, now), target)


def only(state: ConclusionState, target: str, now: datetime) -> Notification:
    (notice,) = due_for(state, target, now)
    return notice


def sent(state: ConclusionState, notice: Notification, now: datetime) -> ConclusionState:
    return transitions.record_notification(state, notice, NotificationStatus.sent, "250 OK", now)


def key(target: str, version: int, index: int, step: Step) -> str:
    return f"{WORKFLOW_ID}/{target}/v{version}/{index}-{step.value}"


# ---------------------------------------------------------------- when a notice is due


def test_chua_den_bac_dau_tien_thi_khong_co_thong_bao() -> None:
    state = make_state()
    assert ladder.due_notifications(state, REMINDER_1 - SECOND) == []


def test_dung_thoi_diem_nhac_nho_dau_tien() -> None:
    state = make_state()
    notices_now = ladder.due_notifications(state, REMINDER_1)
    assert sorted(n.target for n in notices_now) == ["a-1", "b-1"]
    notice = only(state, "a-1", REMINDER_1)
    assert notice.key == key("a-1", 1, 0, Step.reminder)
    assert (notice.step, notice.step_index, notice.due_version) == (Step.reminder, 0, 1)
    assert (notice.unit, notice.action_id, notice.due) == ("phong-a", "a-1", end_of(2025, 6, 30))
    assert notice.to == [UNIT_A, UNIT_A2]
    assert notice.cc == []


@pytest.mark.parametrize(
    ("now", "index", "step"),
    [
        (REMINDER_2, 1, Step.reminder),
        (OVERDUE, 2, Step.overdue),
        (URGING, 3, Step.urging),
        (SECOND_URGING, 4, Step.second_urging),
        (PROPOSAL, 5, Step.proposal),
        (at(2026, 1, 1), 5, Step.proposal),
    ],
)
def test_moi_bac_den_dung_gio(now: datetime, index: int, step: Step) -> None:
    notice = only(make_state(), "a-1", now)
    assert (notice.step_index, notice.step) == (index, step)


def test_dang_ky_muon_chi_gui_bac_moi_nhat_khong_gui_don() -> None:
    late = at(2025, 7, 10, 9)
    state = make_state(now=late)
    notice = only(state, "a-1", late)
    assert notice.step == Step.urging
    state, sent_now = send_due(state, late)
    assert {n.step for n in sent_now} == {Step.urging}
    assert ladder.due_notifications(state, late + timedelta(hours=1)) == []
    assert only(state, "a-1", SECOND_URGING).step == Step.second_urging


@pytest.mark.parametrize(
    "status", [ActionStatus.evidence_submitted, ActionStatus.done, ActionStatus.waived, ActionStatus.transferred]
)
def test_kien_nghi_khong_con_o_phia_don_vi_thi_khong_bi_nhac(status: ActionStatus) -> None:
    state = make_state()
    if status == ActionStatus.evidence_submitted:
        state = submit(state, "a-1", REMINDER_1 - SECOND)
    elif status == ActionStatus.done:
        state = finish_action(state, "a-1", REMINDER_1 - SECOND)
    elif status == ActionStatus.waived:
        state = do(state, c.WaiveAction(actor=STAFF, action_id="a-1", reason="Đã giải thể"), REMINDER_1)
    else:
        state = do(state, c.TransferAction(actor=STAFF, action_id="a-1", reason="CV 9/TTr"), REMINDER_1)
    for now in (REMINDER_1, OVERDUE, URGING, PROPOSAL, at(2026, 1, 1)):
        assert due_for(state, "a-1", now) == []
    assert due_for(state, "b-1", OVERDUE)  # the others still climb


def test_bi_yeu_cau_bo_sung_thi_tiep_tuc_tu_bac_ap_dung_luc_do() -> None:
    state, _ = send_due(make_state(), REMINDER_1)
    state = submit(state, "a-1", at(2025, 6, 20, 10))
    assert due_for(state, "a-1", REMINDER_2) == []
    assert due_for(state, "a-1", OVERDUE) == []
    state = reject(state, "a-1", at(2025, 7, 8, 9), "Thiếu biên bản")
    # skipped: reminder 2 and overdue; the urging of 07/07 applies now
    notice = only(state, "a-1", at(2025, 7, 8, 9))
    assert notice.step == Step.urging
    assert notice.key == key("a-1", 1, 3, Step.urging)


def test_bi_yeu_cau_bo_sung_khong_gui_lai_bac_da_gui() -> None:
    state, _ = send_due(make_state(), REMINDER_1)
    state = reject(submit(state, "a-1", at(2025, 6, 20, 10)), "a-1", at(2025, 6, 23, 9))
    assert due_for(state, "a-1", at(2025, 6, 23, 9)) == []
    assert only(state, "a-1", REMINDER_2).step_index == 1


def test_da_ghi_nhan_thi_khong_den_han_lai() -> None:
    state = make_state()
    notice = only(state, "a-1", REMINDER_1)
    state = sent(state, notice, REMINDER_1)
    assert due_for(state, "a-1", REMINDER_1) == []
    assert due_for(state, "a-1", REMINDER_2 - SECOND) == []
    assert only(state, "a-1", REMINDER_2).key == key("a-1", 1, 1, Step.reminder)


def test_gui_that_bai_da_ghi_nhan_cung_khong_gui_lai() -> None:
    state = make_state()
    notice = only(state, "a-1", REMINDER_1)
    state = transitions.record_notification(state, notice, NotificationStatus.failed, "550", REMINDER_1)
    assert due_for(state, "a-1", REMINDER_1 + timedelta(hours=3)) == []


def test_sau_khi_gia_han_khoa_thong_bao_mang_phien_ban_v2() -> None:
    state, _ = send_due(make_state(), OVERDUE)  # overdue v1 sent
    state = extend(state, "a-1", date(2025, 7, 31), at(2025, 7, 2, 9))
    assert state.actions["a-1"].due_version == 2
    assert due_for(state, "a-1", at(2025, 7, 2, 9)) == []  # the new ladder starts on 22/07
    notice = only(state, "a-1", at(2025, 7, 22, 8))
    assert notice.key == key("a-1", 2, 0, Step.reminder)
    assert (notice.due_version, notice.due) == (2, end_of(2025, 7, 31))
    assert only(state, "a-1", at(2025, 8, 1, 8)).key == key("a-1", 2, 2, Step.overdue)


def test_gia_han_sat_han_gui_ngay_bac_moi_nhat_cua_lich_moi() -> None:
    # Overdue on 01/07, extended on 02/07 to 04/07: the new "1 working day before" reminder (03/07) is next.
    state, _ = send_due(make_state(), OVERDUE)
    state = extend(state, "a-1", date(2025, 7, 4), at(2025, 7, 2, 9))
    notice = only(state, "a-1", at(2025, 7, 2, 9))
    assert (notice.key, notice.step) == (key("a-1", 2, 0, Step.reminder), Step.reminder)  # 7 working days before
    state = sent(state, notice, at(2025, 7, 2, 9))
    assert only(state, "a-1", at(2025, 7, 3, 8)).key == key("a-1", 2, 1, Step.reminder)


# ---------------------------------------------------------------- recipients


def test_vai_tro_thanh_dia_chi_theo_thu_tu_khong_trung() -> None:
    state = make_state()
    unit = state.units["phong-a"]
    names = [
        Role.contacts,
        Role.head,
        Role.supervisor,
        Role.inspectorate_head,
        Role.agency_head,
        "thanhtra.tinh@x.vn",
        UNIT_A,  # already there as a contact
        Role.head,
    ]
    assert ladder.resolve_recipients(state, unit, names) == [
        UNIT_A,
        UNIT_A2,
        HEAD_A,
        SUPERVISOR,
        INSPECTORATE_HEAD,
        AGENCY_HEAD,
        "thanhtra.tinh@x.vn",
    ]


def test_vai_tro_cua_don_vi_bo_qua_khi_khong_co() -> None:
    state = make_state()
    assert ladder.resolve_recipients(state, None, [Role.contacts, Role.head, Role.agency_head]) == [AGENCY_HEAD]
    headless = do(state, c.ChangeUnitContacts(actor=STAFF, unit="phong-b", contacts=[UNIT_B]), at(2025, 6, 3))
    unit = headless.units["phong-b"]
    assert ladder.resolve_recipients(headless, unit, [Role.head, Role.supervisor, Role.contacts]) == [UNIT_B]


@pytest.mark.parametrize(
    ("now", "to", "cc"),
    [
        (OVERDUE, [UNIT_B, HEAD_B], []),
        (URGING, [HEAD_B], [INSPECTORATE_HEAD]),
        (SECOND_URGING, [HEAD_B, SUPERVISOR], []),
        (PROPOSAL, [AGENCY_HEAD, INSPECTORATE_HEAD], []),
    ],
)
def test_nguoi_nhan_cua_thang_mac_dinh(now: datetime, to: list[str], cc: list[str]) -> None:
    notice = only(make_state(), "b-1", now)
    assert (notice.to, notice.cc) == (to, cc)


def test_bac_khong_tim_duoc_nguoi_nhan_thi_gui_cho_cc_hoac_dau_moi() -> None:
    # phong-b loses its head and supervisor: the urging (to head, cc inspectorate head) goes to the inspectorate
    # head, the second urging (to head + supervisor, no cc) goes to the unit's contacts.
    state = do(make_state(), c.ChangeUnitContacts(actor=STAFF, unit="phong-b", contacts=[UNIT_B]), at(2025, 6, 3))
    urging = only(state, "b-1", URGING)
    assert (urging.to, urging.cc) == ([INSPECTORATE_HEAD], [])
    second = only(state, "b-1", SECOND_URGING)
    assert (second.to, second.cc) == ([UNIT_B], [])
    overdue = only(state, "b-1", OVERDUE)
    assert (overdue.to, overdue.cc) == ([UNIT_B], [])  # the contacts are there: no fallback needed


def test_cc_khong_lap_lai_nguoi_da_o_to() -> None:
    policy = {
        "steps": [
            {
                "step": "overdue",
                "offset": "P1D",
                "to": ["contacts", "head"],
                "cc": ["head", "inspectorate_head", UNIT_A],
            }
        ]
    }
    state = make_state(make_spec(policy=policy))
    notice = only(state, "a-1", OVERDUE)
    assert notice.to == [UNIT_A, UNIT_A2, HEAD_A]
    assert notice.cc == [INSPECTORATE_HEAD]


# ---------------------------------------------------------------- follow-up reports climb too


def test_bao_cao_cua_don_vi_cung_leo_thang_va_dung_khi_da_nop() -> None:
    state = make_state()
    notice = only(state, "report.phong-a", at(2025, 9, 19, 8))
    assert (notice.unit, notice.action_id, notice.step) == ("phong-a", None, Step.reminder)
    assert notice.key == key("report.phong-a", 1, 0, Step.reminder)
    submitted = do(state, c.SubmitReport(actor=UNIT_A, unit="phong-a", files=files()), at(2025, 9, 20))
    assert due_for(submitted, "report.phong-a", at(2025, 10, 1, 8)) == []
    returned = do(
        submitted,
        c.ReviewReport(actor=STAFF, report_id="rp-1", decision=c.Decision.reject, reason="Thiếu phụ lục"),
        at(2025, 10, 2),
    )
    assert only(returned, "report.phong-a", at(2025, 10, 2, 9)).step == Step.overdue


# ---------------------------------------------------------------- closing, withdrawal


def closed_state() -> ConclusionState:
    state = make_state()
    for action_id in ("a-1", "a-2", "b-1"):
        state = finish_action(state, action_id, at(2025, 6, 10))
    for unit in ("phong-a", "phong-b"):
        state = finish_report(state, unit, at(2025, 6, 10))
    return state


def test_thong_bao_ket_thuc_gui_mot_lan_khi_ket_thuc() -> None:
    state = closed_state()
    (notice,) = ladder.due_notifications(state, at(2025, 6, 10))
    assert notice.key == f"{WORKFLOW_ID}/closing"
    assert (notice.step, notice.target, notice.action_id, notice.due) == (Step.closing, "conclusion", None, None)
    assert notice.to == [UNIT_A, UNIT_A2, HEAD_A, UNIT_B, HEAD_B]
    assert notice.cc == [INSPECTORATE_HEAD, AGENCY_HEAD]
    state = sent(state, notice, at(2025, 6, 10))
    assert ladder.due_notifications(state, at(2025, 6, 10)) == []
    assert ladder.due_notifications(state, at(2026, 1, 1)) == []
    assert ladder.next_wakeup(state, at(2025, 6, 10)) is None


def test_khong_co_thong_bao_ket_thuc_truoc_khi_ket_thuc() -> None:
    state = make_state()
    assert all(n.step != Step.closing for n in ladder.due_notifications(state, at(2026, 1, 1)))


def test_thong_bao_ket_thuc_cc_khong_lap_lai_nguoi_da_o_to() -> None:
    spec = load_spec(Path(__file__).resolve().parents[2] / "examples" / "quang-ngai-312-KL-Ttra.yaml")
    now = at(2018, 6, 5, 9)
    state = transitions.new_conclusion(spec, plan(spec, now), now, "staff")
    for action_id in state.actions:
        state = do(state, c.WaiveAction(actor=STAFF, action_id=action_id, reason="Thử nghiệm"), now)
    for unit in state.units:
        state = finish_report(state, unit, now)
    (notice,) = ladder.due_notifications(state, now)
    assert "chutich@quangngai.example.vn" in notice.to
    assert not set(notice.cc) & set(notice.to)


def test_rut_ket_luan_khong_gui_gi_ke_ca_thong_bao_ket_thuc() -> None:
    state = do(make_state(), c.Withdraw(actor=STAFF, reason="Hủy kết luận"), at(2025, 6, 10))
    for now in (REMINDER_1, OVERDUE, PROPOSAL, at(2026, 1, 1)):
        assert ladder.due_notifications(state, now) == []


# ---------------------------------------------------------------- next wake-up, overdue, next deadline


def test_lan_thuc_tiep_theo_la_bac_som_nhat_trong_tuong_lai() -> None:
    state = make_state()
    assert ladder.next_wakeup(state, at(2025, 6, 3, 9)) == REMINDER_1
    state, _ = send_due(state, REMINDER_1)
    assert ladder.next_wakeup(state, REMINDER_1) == REMINDER_2  # strictly after now once nothing is due
    state, _ = send_due(state, REMINDER_2)
    assert ladder.next_wakeup(state, at(2025, 6, 30, 12)) == end_of(2025, 6, 30)  # the deadline passing
    assert ladder.next_wakeup(state, end_of(2025, 6, 30)) == OVERDUE


def test_lan_thuc_tiep_theo_la_ngay_bay_gio_khi_con_thong_bao_chua_gui() -> None:
    # e.g. a step whose time passed while other notices were being sent
    state = make_state()
    assert ladder.next_wakeup(state, REMINDER_1 + timedelta(minutes=3)) == REMINDER_1 + timedelta(minutes=3)
    state, _ = send_due(state, REMINDER_1 + timedelta(minutes=3))
    assert ladder.next_wakeup(state, REMINDER_1 + timedelta(minutes=3)) == REMINDER_2


def test_lan_thuc_tiep_theo_bo_qua_bac_cua_kien_nghi_khong_leo_thang_nhung_giu_han() -> None:
    state = submit(make_state(), "a-1", at(2025, 6, 4))
    state = submit(state, "b-1", at(2025, 6, 4))
    # a-1 and b-1 wait for review: their steps no longer wake the workflow, their due still does
    assert ladder.next_wakeup(state, at(2025, 6, 4)) == end_of(2025, 6, 30)
    assert ladder.next_wakeup(state, end_of(2025, 6, 30)) == at(2025, 7, 22, 8)  # a-2's first reminder


def test_lan_thuc_tiep_theo_khi_chi_con_han_sau_bac_cuoi() -> None:
    policy = {"steps": [{"step": "reminder", "offset": "-PT60S", "to": ["contacts"]}]}
    due = at(2025, 6, 10, 17)
    spec = make_spec(
        policy=policy,
        actions=[{"id": "a-1", "unit": "phong-a", "text": "x", "due": due.isoformat()}],
        units=[{"code": "phong-a", "name": "A", "contacts": [UNIT_A], "report_due": "2025-12-31"}],
    )
    state = make_state(spec)
    assert ladder.next_wakeup(state, due - timedelta(seconds=90)) == due - timedelta(seconds=60)
    state, _ = send_due(state, due - timedelta(seconds=60))
    assert ladder.next_wakeup(state, due - timedelta(seconds=30)) == due
    assert ladder.next_wakeup(state, due) == end_of(2025, 12, 31) - timedelta(seconds=60)


def test_khong_thuc_khi_da_ket_thuc_hoac_da_rut() -> None:
    state = closed_state()
    assert ladder.next_wakeup(state, at(2025, 6, 10)) == at(2025, 6, 10)  # the closing notice is still to go
    state, _ = send_due(state, at(2025, 6, 10))
    assert ladder.next_wakeup(state, at(2025, 6, 10)) is None
    withdrawn = do(make_state(), c.Withdraw(actor=STAFF, reason="x"), at(2025, 6, 10))
    assert ladder.next_wakeup(withdrawn, at(2025, 6, 10)) is None


def test_vong_lap_gui_moi_bac_dung_mot_lan() -> None:
    state, sent_all = run_until(make_state(), at(2025, 6, 3, 9), at(2025, 12, 31))
    a1 = [(n.step_index, n.step) for n in for_target(sent_all, "a-1")]
    assert a1 == [
        (0, Step.reminder),
        (1, Step.reminder),
        (2, Step.overdue),
        (3, Step.urging),
        (4, Step.second_urging),
        (5, Step.proposal),
    ]
    keys = [n.key for n in sent_all]
    assert len(keys) == len(set(keys)) == 5 * 6
    assert [n.key for n in state.notifications] == keys


def test_kien_nghi_qua_han() -> None:
    state = make_state()
    assert ladder.overdue_actions(state, end_of(2025, 6, 30)) == []
    assert [a.id for a in ladder.overdue_actions(state, OVERDUE)] == ["a-1", "b-1"]
    state = submit(state, "a-1", OVERDUE)
    state = finish_action(state, "b-1", OVERDUE)
    # evidence waiting for review does not stop the action from being overdue
    assert [a.id for a in ladder.overdue_actions(state, OVERDUE)] == ["a-1"]
    assert ladder.overdue_actions(closed_state(), at(2026, 1, 1)) == []


def test_han_gan_nhat_chua_xong() -> None:
    state = make_state()
    assert ladder.next_deadline(state, at(2025, 6, 3)) == end_of(2025, 6, 30)
    assert ladder.next_deadline(state, end_of(2025, 6, 30)) == end_of(2025, 7, 31)
    state = finish_action(state, "a-2", at(2025, 6, 3))
    assert ladder.next_deadline(state, OVERDUE) == end_of(2025, 9, 30)  # the reports
    assert ladder.next_deadline(closed_state(), at(2025, 6, 10)) is None


# ---------------------------------------------------------------- what a notice says


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


def test_noi_dung_thong_bao_lay_tu_trang_thai() -> None:
    state = reject(submit(make_state(), "a-1", at(2025, 6, 20)), "a-1", at(2025, 6, 21), "Thiếu biên bản")
    notice = only(state, "a-1", URGING)
    mail = notices.mail_request(state, notice, URGING + timedelta(hours=2))
    assert (mail.key, mail.step, mail.to, mail.cc) == (notice.key, Step.urging, [HEAD_A], [INSPECTORATE_HEAD])
    assert (mail.number, mail.unit_code, mail.action_id, mail.is_report) == ("15/KL-TTr", "phong-a", "a-1", False)
    assert mail.action_kind == "Khắc phục tồn tại, hạn chế"
    assert mail.days_overdue == 7
    assert mail.last_reason == "Thiếu biên bản"


def test_noi_dung_thong_bao_bao_cao_bi_tra_lai() -> None:
    state = do(make_state(), c.SubmitReport(actor=UNIT_A, unit="phong-a", files=files()), at(2025, 9, 1))
    state = do(
        state,
        c.ReviewReport(actor=STAFF, report_id="rp-1", decision=c.Decision.reject, reason="Thiếu số liệu"),
        at(2025, 9, 2),
    )
    notice = only(state, "report.phong-a", at(2025, 9, 19, 8))
    mail = notices.mail_request(state, notice, at(2025, 9, 19, 8))
    assert (mail.is_report, mail.action_id, mail.last_reason, mail.days_overdue) == (True, None, "Thiếu số liệu", 0)


def test_chinh_sach_rieng_duoi_mot_ngay_chay_tron_thang_trong_vai_phut() -> None:
    policy = Policy(
        steps=[
            PolicyStep(step=Step.reminder, offset=timedelta(seconds=-15), to=["contacts"]),
            PolicyStep(step=Step.overdue, offset=timedelta(seconds=5), to=["contacts", "head"]),
            PolicyStep(step=Step.urging, offset=timedelta(seconds=20), to=["head"], cc=["inspectorate_head"]),
        ]
    )
    start = at(2025, 6, 3, 9)
    due = start + timedelta(minutes=1)
    spec = make_spec(
        actions=[{"id": "a-1", "unit": "phong-a", "text": "x", "due": due.isoformat()}],
        units=[{"code": "phong-a", "name": "A", "contacts": [UNIT_A], "head": HEAD_A, "report_due": "2025-12-31"}],
    )
    state = make_state(spec, start, default_policy=policy)
    state, sent_all = run_until(state, start, start + timedelta(minutes=5))
    assert [(n.step, n.target) for n in sent_all] == [
        (Step.reminder, "a-1"),
        (Step.overdue, "a-1"),
        (Step.urging, "a-1"),
    ]
    assert [r.at - due for r in state.notifications] == [
        timedelta(seconds=-15),
        timedelta(seconds=5),
        timedelta(seconds=20),
    ]
