"""Specification of the escalation ladder over time: which letters are due, what they list, to whom, and when.

Standard conclusion (tests/rules/factories.py): a-1 and a-2 (phong-a), b-1 (phong-b); a-1 and b-1 due Monday
30/06/2025, a-2 due 31/07/2025, reports due 30/09/2025. With the default policy a-1's ladder is: reminders 19/06 and
27/06, overdue 01/07, urging 07/07, second urging 15/07, proposal 30/07, each at 08:00 (office hours, working days).

Vietnamese practice, as rules: one letter per unit and step listing every item of that unit that reached the step;
a late registration or an outage starts at the first step that applies and climbs one step at a time from the
letters really sent; letters go in office hours on working days.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dondoc.spec_loader import load_spec
from models import commands as c
from models.office import OfficeCalendar, next_office_moment, same_window
from models.policy import Role, Step
from models.state import ActionStatus, ConclusionState, LetterItem, NotificationStatus
from tests.rules.factories import (
    AGENCY_HEAD,
    ANY_TIME,
    HEAD_A,
    HEAD_B,
    INSPECTORATE_HEAD,
    NOW,
    OFFICE,
    STAFF,
    SUPERVISOR,
    UNIT_A,
    UNIT_A2,
    UNIT_B,
    VN,
    WORKFLOW_ID,
    at,
    do,
    end_of,
    extend,
    files,
    finish_action,
    finish_report,
    for_target,
    gathered_at,
    make_spec,
    make_state,
    plan,
    plan_due,
    reject,
    run_until,
    send_due,
    settle,
    spec_dict,
    submit,
    targets_of,
    unit_dict,
)
from workflows.rules import ladder, projection, transitions
from workflows.rules.ladder import DueLetter

REMINDER_1 = at(2025, 6, 19, 8)
REMINDER_2 = at(2025, 6, 27, 8)
OVERDUE = at(2025, 7, 1, 8)
URGING = at(2025, 7, 7, 8)
SECOND_URGING = at(2025, 7, 15, 8)
PROPOSAL = at(2025, 7, 30, 8)
SECOND = timedelta(seconds=1)


def due(state: ConclusionState, now: datetime) -> list[tuple[str, Step, list[str]]]:
    """The letters due now, as (unit, step, items)."""
    return [(d.unit, d.step, targets_of(d)) for d in ladder.due_letters(state, now)]


def letter_for(state: ConclusionState, now: datetime, unit: str) -> DueLetter:
    (letter,) = [d for d in ladder.due_letters(state, now) if d.unit == unit]
    return letter


def step_of(state: ConclusionState, target: str) -> Step | None:
    found = ladder.target(state, target)
    assert found is not None
    return found.tracked.last_step


def exact_state(
    actions: list[tuple[str, str, datetime]],
    steps: list[dict[str, Any]],
    office: OfficeCalendar = OFFICE,
    now: datetime = NOW,
    **spec: Any,
) -> ConclusionState:
    """A conclusion with exact due times and its own (sub-day) policy; reports due far away."""
    units = [
        unit_dict("phong-a", [UNIT_A, UNIT_A2], HEAD_A, supervisor=SUPERVISOR, report_due="2030-12-31"),
        unit_dict("phong-b", [UNIT_B], HEAD_B, supervisor=SUPERVISOR, report_due="2030-12-31"),
    ]
    specs = [{"id": i, "unit": u, "text": f"Nội dung {i}", "due": d.isoformat()} for i, u, d in actions]
    return make_state(make_spec(units=units, actions=specs, policy={"steps": steps}, **spec), now, office=office)


REMIND_2H = [{"step": "reminder", "offset": "-PT2H", "to": ["contacts"]}]


# ---------------------------------------------------------------- one letter per unit and step


def test_chua_den_bac_dau_tien_thi_khong_co_van_ban() -> None:
    assert ladder.due_letters(make_state(), REMINDER_1 - SECOND) == []


def test_moi_don_vi_mot_van_ban_cho_moi_bac() -> None:
    state = make_state()
    assert due(state, REMINDER_1) == [
        ("phong-a", Step.reminder, ["a-1"]),
        ("phong-b", Step.reminder, ["b-1"]),
    ]
    letter = letter_for(state, REMINDER_1, "phong-a")
    assert letter.items == [LetterItem(target="a-1", step_index=0, due_version=1)]
    assert (letter.to, letter.cc) == ([UNIT_A, UNIT_A2], [])


def test_van_ban_liet_ke_moi_noi_dung_cua_don_vi_theo_thu_tu_ket_luan_bao_cao_cuoi() -> None:
    # Listed as the conclusion lists them (not sorted by id), the unit's report last; b-1 is another unit's.
    spec = make_spec(
        actions=[
            {"id": "c-9", "unit": "phong-a", "text": "Thu hồi", "due": "2025-06-30"},
            {"id": "a-1", "unit": "phong-a", "text": "Khắc phục", "due": "2025-06-30"},
            {"id": "b-1", "unit": "phong-b", "text": "Khắc phục", "due": "2025-06-30"},
            {"id": "a-0", "unit": "phong-a", "text": "Kiểm điểm", "due": "2025-06-30"},
        ],
        units=[
            unit_dict("phong-a", [UNIT_A], HEAD_A, report_due="2025-06-30"),
            unit_dict("phong-b", [UNIT_B], HEAD_B, report_due="2025-06-30"),
        ],
    )
    state = make_state(spec)
    assert due(state, OVERDUE) == [
        ("phong-a", Step.overdue, ["c-9", "a-1", "a-0", "report.phong-a"]),
        ("phong-b", Step.overdue, ["b-1", "report.phong-b"]),
    ]


def test_cung_don_vi_hai_bac_khac_nhau_la_hai_van_ban() -> None:
    # a-2 due Wednesday 02/07: its "1 working day before" reminder is 01/07 08:00, when a-1 is overdue.
    spec = make_spec(
        actions=[*spec_dict()["actions"][:1], {"id": "a-2", "unit": "phong-a", "text": "x", "due": "2025-07-02"}]
    )
    state = make_state(spec)
    assert due(state, OVERDUE) == [("phong-a", Step.overdue, ["a-1"]), ("phong-a", Step.reminder, ["a-2"])]
    _, planned = send_due(state, OVERDUE)
    assert [p.key for p in planned] == [f"{WORKFLOW_ID}/phong-a/overdue/1", f"{WORKFLOW_ID}/phong-a/reminder/2"]


def test_noi_dung_den_bac_muon_hon_trong_cung_ngay_lam_viec_duoc_gop() -> None:
    # Reminders two hours before: a-1 at 10:00, a-2 at 16:00 the same Monday, a-3 at 10:00 on Tuesday.
    state = exact_state(
        [
            ("a-1", "phong-a", at(2025, 6, 30, 12)),
            ("a-2", "phong-a", at(2025, 6, 30, 18)),
            ("a-3", "phong-a", at(2025, 7, 1, 12)),
        ],
        REMIND_2H,
    )
    assert due(state, at(2025, 6, 30, 10) - SECOND) == []
    assert due(state, at(2025, 6, 30, 10)) == [("phong-a", Step.reminder, ["a-1", "a-2"])]
    send_due(state, at(2025, 6, 30, 10))
    assert due(state, at(2025, 6, 30, 16)) == []  # a-2 went with a-1
    assert ladder.next_wakeup(state, at(2025, 6, 30, 10)) == at(2025, 6, 30, 12)  # a-1's deadline
    assert due(state, at(2025, 7, 1, 10)) == [("phong-a", Step.reminder, ["a-3"])]  # the next working day: its own


def test_cua_so_0_giay_chi_gop_cung_thoi_diem() -> None:
    state = exact_state(
        [
            ("a-1", "phong-a", at(2025, 6, 30, 12)),
            ("a-4", "phong-a", at(2025, 6, 30, 12)),
            ("a-2", "phong-a", at(2025, 6, 30, 18)),
        ],
        REMIND_2H,
        office=OfficeCalendar(window_seconds=0),
    )
    assert due(state, at(2025, 6, 30, 10)) == [("phong-a", Step.reminder, ["a-1", "a-4"])]
    send_due(state, at(2025, 6, 30, 10))
    assert due(state, at(2025, 6, 30, 16) - SECOND) == []
    assert due(state, at(2025, 6, 30, 16)) == [("phong-a", Step.reminder, ["a-2"])]


def test_cua_so_tinh_bang_giay_gop_noi_dung_trong_khoang_do() -> None:
    state = exact_state(
        [("a-1", "phong-a", at(2025, 6, 30, 12)), ("a-2", "phong-a", at(2025, 6, 30, 12, 30))],
        REMIND_2H,
        office=OfficeCalendar(window_seconds=1800),
    )
    assert due(state, at(2025, 6, 30, 10)) == [("phong-a", Step.reminder, ["a-1", "a-2"])]
    narrow = exact_state(
        [("a-1", "phong-a", at(2025, 6, 30, 12)), ("a-2", "phong-a", at(2025, 6, 30, 12, 30))],
        REMIND_2H,
        office=OfficeCalendar(window_seconds=1799),
    )
    assert due(narrow, at(2025, 6, 30, 10)) == [("phong-a", Step.reminder, ["a-1"])]


# ---------------------------------------------------------------- before the deadline: the latest reminder only


@pytest.mark.parametrize(
    ("now", "index", "step"),
    [(REMINDER_1, 0, Step.reminder), (REMINDER_2, 1, Step.reminder), (at(2025, 6, 30, 12), 1, Step.reminder)],
)
def test_truoc_han_chi_gui_nhac_nho_moi_nhat_da_den(now: datetime, index: int, step: Step) -> None:
    letter = letter_for(make_state(), now, "phong-a")
    assert [(i.target, i.step_index) for i in letter.items] == [("a-1", index)]
    assert letter.step == step


def test_dang_ky_giua_hai_lan_nhac_chi_gui_lan_moi_nhat() -> None:
    registered = at(2025, 6, 28, 9)  # Saturday: after both reminders, before the deadline; goes on Monday
    state = make_state(now=registered)
    assert due(state, registered) == []
    assert ladder.next_wakeup(state, registered) == at(2025, 6, 30, 7, 30)
    letter = letter_for(state, at(2025, 6, 30, 7, 30), "phong-a")
    assert [(i.target, i.step_index) for i in letter.items] == [("a-1", 1)]  # the 1-day reminder, not both


# ---------------------------------------------------------------- past the deadline: one step at a time


def test_dang_ky_muon_nhieu_nam_bat_dau_tu_bac_qua_han_va_leo_tung_bac() -> None:
    late = at(2027, 3, 3, 9)  # Wednesday, years after every deadline
    state = make_state(now=late)
    state, sent = run_until(state, late, at(2027, 6, 30))
    assert [(p.planned_at, p.unit, p.step, targets_of(p)) for p in sent] == [
        (late, "phong-a", Step.overdue, ["a-1", "a-2", "report.phong-a"]),
        (late, "phong-b", Step.overdue, ["b-1", "report.phong-b"]),
        # the urging: the policy's gap, 4 days (+5 - +1) after the overdue letter went: Sunday 07/03, so Monday
        (at(2027, 3, 8, 7, 30), "phong-a", Step.urging, ["a-1", "a-2", "report.phong-a"]),
        (at(2027, 3, 8, 7, 30), "phong-b", Step.urging, ["b-1", "report.phong-b"]),
        # the second urging: 8 days after the urging, as the schedule spaces them (07/07 → 15/07/2025; the offsets'
        # difference, 10 days, counts the urging's 5 working days as 5 calendar days)
        (at(2027, 3, 16, 7, 30), "phong-a", Step.second_urging, ["a-1", "a-2", "report.phong-a"]),
        (at(2027, 3, 16, 7, 30), "phong-b", Step.second_urging, ["b-1", "report.phong-b"]),
        # the proposal: 15 days after the second urging
        (at(2027, 3, 31, 7, 30), "phong-a", Step.proposal, ["a-1", "a-2", "report.phong-a"]),
        (at(2027, 3, 31, 7, 30), "phong-b", Step.proposal, ["b-1", "report.phong-b"]),
    ]
    items = [(i.target, i.step_index) for p in sent for i in p.items]
    assert len(items) == len(set(items)) == 5 * 4, "each item gets each post-deadline step once, no reminder"
    assert all(step_of(state, t) == Step.proposal for t in ["a-1", "a-2", "b-1", "report.phong-a"])


@pytest.mark.parametrize(("apart", "together"), [(timedelta(milliseconds=40), True), (timedelta(seconds=6), False)])
def test_letters_falling_due_within_seconds_of_one_that_is_due_go_with_it(apart: timedelta, together: bool) -> None:
    """One pass's letters are recorded as sent moments apart, so each unit's next step falls due moments apart:
    those within LETTER_SLACK of one that is due go with it (one wake-up of the workflow, not one per unit)."""
    late = at(2027, 3, 4, 9)  # Thursday
    state = make_state(now=late)
    first, second = plan_due(state, late)
    settle(state, [first], late)
    settle(state, [second], late + apart)
    urging = at(2027, 3, 8, 9)  # Monday, the 4 days' gap after the first letter went
    assert [(unit, step) for unit, step, _ in due(state, urging)] == [(first.unit, Step.urging)]
    gathered = [(d.unit, d.step) for d in gathered_at(state, urging)]
    assert gathered == [(first.unit, Step.urging), (second.unit, Step.urging)][: 2 if together else 1]
    assert gathered_at(state, urging - SECOND) == [], "only with a letter that is due"


def test_a_ladder_of_seconds_is_never_climbed_early_by_gathering() -> None:
    """Steps seconds apart (end-to-end tests): the slack is a tenth of the shortest spacing, so at the reminder's
    moment the overdue notice 4 s later does not go in its place."""
    due_at = at(2025, 6, 30, 12)
    steps = [
        {"step": "reminder", "offset": "-PT3S", "to": ["contacts"]},
        {"step": "overdue", "offset": "PT1S", "to": ["contacts"]},
    ]
    state = exact_state([("a-1", "phong-a", due_at)], steps, office=ANY_TIME)
    assert ladder.letter_slack(state) == timedelta(seconds=0.1)
    reminder = [(d.unit, d.step) for d in gathered_at(state, due_at - 3 * SECOND)]
    assert reminder == [("phong-a", Step.reminder)]


def test_gathering_keeps_a_letter_due_now_that_a_moment_later_would_be_moot() -> None:
    """Registered 4 s before an exact deadline, after its reminder's time: the reminder is due now, and moot a moment
    later (past the deadline). Gathering keeps it as it is; dropping it would leave the workflow due something it
    never sends, going round without end."""
    due_at = at(2025, 6, 30, 10)
    steps = [
        {"step": "reminder", "offset": "-PT1H", "to": ["contacts"]},
        {"step": "overdue", "offset": "PT1H", "to": ["contacts"]},
    ]
    now = due_at - 4 * SECOND
    state = exact_state([("a-1", "phong-a", due_at)], steps, office=ANY_TIME, now=now)
    assert ladder.letter_slack(state) == timedelta(seconds=5)
    assert due(state, now) == [("phong-a", Step.reminder, ["a-1"])]
    assert gathered_at(state, now) == ladder.due_letters(state, now)


def test_dang_ky_muon_khong_gui_bac_sau_som_hon_khoang_cach_sau_van_ban_truoc() -> None:
    late = at(2027, 3, 3, 9)
    state, _ = send_due(make_state(now=late), late)
    for moment in (late + SECOND, at(2027, 3, 7, 9), at(2027, 3, 8, 7, 30) - SECOND):
        assert due(state, moment) == []
    assert ladder.next_wakeup(state, late) == at(2027, 3, 8, 7, 30)
    assert {step for _, step, _ in due(state, at(2027, 3, 8, 7, 30))} == {Step.urging}


def test_dang_ky_giua_qua_han_va_don_doc_van_gui_qua_han_truoc() -> None:
    registered = at(2025, 7, 10, 9)  # after the scheduled urging (07/07): the overdue notice still comes first
    state = make_state(now=registered)
    assert due(state, registered) == [
        ("phong-a", Step.overdue, ["a-1"]),
        ("phong-b", Step.overdue, ["b-1"]),
    ]
    send_due(state, registered)
    assert due(state, at(2025, 7, 14, 9) - SECOND) == []  # 4 days after the overdue notice
    assert due(state, at(2025, 7, 14, 9)) == [
        ("phong-a", Step.urging, ["a-1"]),
        ("phong-b", Step.urging, ["b-1"]),
    ]


def test_may_ngung_20_ngay_chi_gui_bac_ke_tiep() -> None:
    state, _ = run_until(make_state(), NOW, OVERDUE)  # reminders and the overdue notice went
    assert step_of(state, "a-1") == Step.overdue
    back = at(2025, 7, 21, 9)  # the worker was down from 01/07 to 21/07
    assert due(state, back) == [("phong-a", Step.urging, ["a-1"]), ("phong-b", Step.urging, ["b-1"])]
    state, sent = run_until(state, back, at(2025, 8, 20))
    a1 = [(p.planned_at, p.step) for p in for_target(sent, "a-1")]
    assert a1 == [
        (back, Step.urging),
        (at(2025, 7, 29, 9), Step.second_urging),  # 8 days after the urging really went (15/07 - 07/07)
        (at(2025, 8, 13, 9), Step.proposal),  # 15 days after the second urging (30/07 - 15/07)
    ]


def test_khong_bi_cham_thi_moi_bac_di_dung_lich() -> None:
    _, sent = run_until(make_state(), NOW, at(2025, 12, 31))
    a1 = [(p.planned_at, p.step, p.items[0].step_index) for p in for_target(sent, "a-1")]
    assert a1 == [
        (REMINDER_1, Step.reminder, 0),
        (REMINDER_2, Step.reminder, 1),
        (OVERDUE, Step.overdue, 2),
        (URGING, Step.urging, 3),
        (SECOND_URGING, Step.second_urging, 4),
        (PROPOSAL, Step.proposal, 5),
    ]


def test_van_ban_gui_cham_thi_bac_sau_tinh_tu_luc_gui_that() -> None:
    state = make_state()
    send_due(state, REMINDER_2)
    planned = plan_due(state, OVERDUE)
    settle(state, planned, at(2025, 7, 4, 10))  # the mail server took three days
    assert due(state, URGING) == []
    assert ladder.next_wakeup(state, URGING) == at(2025, 7, 8, 10)  # 4 days after it really went
    assert {step for _, step, _ in due(state, at(2025, 7, 8, 10))} == {Step.urging}


def test_vong_lap_gui_moi_bac_dung_mot_lan_cho_moi_noi_dung() -> None:
    state, sent = run_until(make_state(), NOW, at(2026, 6, 30))
    keys = [p.key for p in sent]
    assert len(keys) == len(set(keys))
    assert [int(k.rsplit("/", 1)[1]) for k in keys] == list(range(1, len(keys) + 1))
    once = [(i.target, i.due_version, i.step_index) for p in sent for i in p.items]
    assert len(once) == len(set(once)) == 5 * 6, "5 items, 6 rungs each, once"
    assert all(p.status == NotificationStatus.sent for p in sent)
    assert ladder.next_wakeup(state, at(2026, 6, 30)) is None, "at the top of the ladder, past every deadline"


# ---------------------------------------------------------------- letters in flight, failures


def test_noi_dung_trong_van_ban_dang_gui_khong_duoc_lap_lai() -> None:
    state = make_state()
    send_due(state, REMINDER_2)
    planned = plan_due(state, OVERDUE)
    assert [targets_of(p) for p in planned] == [["a-1"], ["b-1"]]
    assert all(p.status == NotificationStatus.pending for p in planned)
    for moment in (OVERDUE, URGING, PROPOSAL):
        assert all(not {"a-1", "b-1"} & set(items) for _, _, items in due(state, moment)), "still being sent"
    assert ladder.next_wakeup(state, OVERDUE) == at(2025, 7, 22, 8)  # a-2's reminder; a-1 and b-1 wait


def test_van_ban_that_bai_van_dua_noi_dung_len_bac_va_khong_duoc_trich_dan() -> None:
    state = make_state()
    send_due(state, REMINDER_2)
    _, failed = send_due(state, OVERDUE, NotificationStatus.failed)
    assert [p.status for p in failed] == [NotificationStatus.failed] * 2
    assert step_of(state, "a-1") == Step.overdue  # no loop on a dead address
    assert due(state, OVERDUE + timedelta(hours=1)) == []
    assert all(ref.step != Step.overdue for ref in state.units["phong-a"].letters)
    assert [ref.step for ref in state.units["phong-a"].letters] == [Step.reminder]
    assert {step for _, step, _ in due(state, URGING)} == {Step.urging}  # the ladder goes on


def test_gui_lai_van_ban_that_bai_cung_khoa_cung_noi_dung() -> None:
    state = make_state()
    send_due(state, REMINDER_2)
    _, (failed, _) = send_due(state, OVERDUE, NotificationStatus.failed)
    later = at(2025, 7, 2, 9)
    do(state, c.ResendNotification(actor=STAFF, key=failed.key), later)
    (again,) = [p for p in state.letters if p.status == NotificationStatus.pending]
    assert (again.key, again.items, again.to, again.resend) == (failed.key, failed.items, failed.to, True)
    assert due(state, later) == []  # the shell sends it; the ladder does not plan it a second time
    transitions.settle_letter(state, again.key, NotificationStatus.sent, "250 OK", later)
    assert [ref.key for ref in state.units["phong-a"].letters if ref.step == Step.overdue] == [failed.key]


# ---------------------------------------------------------------- who climbs


@pytest.mark.parametrize(
    "status", [ActionStatus.evidence_submitted, ActionStatus.done, ActionStatus.waived, ActionStatus.transferred]
)
def test_kien_nghi_khong_con_o_phia_don_vi_thi_khong_bi_nhac(status: ActionStatus) -> None:
    state = make_state()
    if status == ActionStatus.evidence_submitted:
        submit(state, "a-1", REMINDER_1 - SECOND)
    elif status == ActionStatus.done:
        finish_action(state, "a-1", REMINDER_1 - SECOND)
    elif status == ActionStatus.waived:
        do(state, c.WaiveAction(actor=STAFF, action_id="a-1", reason="Đã giải thể"), REMINDER_1)
    else:
        do(state, c.TransferAction(actor=STAFF, action_id="a-1", reason="CV 9/TTr"), REMINDER_1)
    for now in (REMINDER_1, OVERDUE, URGING, PROPOSAL, at(2026, 1, 1)):
        assert all("a-1" not in items for _, _, items in due(state, now))
    assert ("phong-b", Step.overdue, ["b-1"]) in due(state, OVERDUE)  # the others still climb


def test_bi_yeu_cau_bo_sung_thi_tiep_tuc_tu_bac_ke_tiep_khong_nhay_bac() -> None:
    state, _ = send_due(make_state(), REMINDER_1)
    submit(state, "a-1", at(2025, 6, 20, 10))
    assert all("a-1" not in items for _, _, items in due(state, REMINDER_2) + due(state, OVERDUE))
    returned = at(2025, 7, 8, 9)
    reject(state, "a-1", returned, "Thiếu biên bản")
    # past the deadline: the overdue notice (not the urging of 07/07) goes first, then the urging after its gap
    assert ("phong-a", Step.overdue, ["a-1"]) in due(state, returned)
    send_due(state, returned)
    # 4 days later is Saturday 12/07: the urging goes when the office opens on Monday
    assert all("a-1" not in items for _, _, items in due(state, at(2025, 7, 14, 7, 30) - SECOND))
    assert ("phong-a", Step.urging, ["a-1"]) in due(state, at(2025, 7, 14, 7, 30))


def test_bi_yeu_cau_bo_sung_khong_gui_lai_bac_da_gui() -> None:
    state, _ = send_due(make_state(), REMINDER_1)
    reject(submit(state, "a-1", at(2025, 6, 20, 10)), "a-1", at(2025, 6, 23, 9))
    assert all("a-1" not in items for _, _, items in due(state, at(2025, 6, 23, 9)))
    letter = letter_for(state, REMINDER_2, "phong-a")
    assert [(i.target, i.step_index) for i in letter.items] == [("a-1", 1)]


def test_bao_cao_cua_don_vi_cung_leo_thang_va_dung_khi_da_nop() -> None:
    state = make_state()
    reminder = at(2025, 9, 19, 8)  # 7 working days before 30/09
    assert ("phong-a", Step.reminder, ["report.phong-a"]) in due(state, reminder)
    do(state, c.SubmitReport(actor=UNIT_A, unit="phong-a", files=files()), at(2025, 9, 20))
    assert all("report.phong-a" not in items for _, _, items in due(state, at(2025, 10, 1, 8)))
    do(
        state,
        c.ReviewReport(actor=STAFF, report_id="rp-1", decision=c.Decision.reject, reason="Thiếu phụ lục"),
        at(2025, 10, 2),
    )
    letter = letter_for(state, at(2025, 10, 2, 9), "phong-a")
    assert letter.step == Step.overdue and "report.phong-a" in targets_of(letter)


# ---------------------------------------------------------------- exactly once per item, step and due version


def test_gia_han_bat_dau_lai_thang_voi_phien_ban_han_moi() -> None:
    state, _ = run_until(make_state(), NOW, OVERDUE)  # overdue v1 sent
    extend(state, "a-1", date(2025, 7, 31), at(2025, 7, 2, 9))
    action = state.actions["a-1"]
    assert (action.due_version, action.last_step, action.last_letter_at) == (2, None, None)
    assert all("a-1" not in items for _, _, items in due(state, URGING))  # the v1 ladder is over
    letter = letter_for(state, at(2025, 7, 22, 8), "phong-a")  # 7 working days before 31/07
    assert letter.items == [
        LetterItem(target="a-1", step_index=0, due_version=2),
        LetterItem(target="a-2", step_index=0, due_version=1),
    ]
    state, sent = run_until(state, at(2025, 7, 22, 8), at(2025, 12, 31))
    versions = [(i.due_version, i.step_index) for p in sent for i in p.items if i.target == "a-1"]
    assert versions == [(2, 0), (2, 1), (2, 2), (2, 3), (2, 4), (2, 5)]


def test_van_ban_cua_phien_ban_han_cu_khong_day_phien_ban_moi_len_bac() -> None:
    state, _ = run_until(make_state(), NOW, REMINDER_2)
    planned = plan_due(state, OVERDUE)  # a-1's overdue letter (v1) is being sent…
    extend(state, "a-1", date(2025, 7, 31), at(2025, 7, 1, 9))  # …when the extension is approved
    assert all("a-1" not in items for _, _, items in due(state, at(2025, 7, 22, 8)))  # waits for the letter
    settle(state, planned, at(2025, 7, 1, 10))
    assert state.actions["a-1"].last_step is None, "the v1 letter settles nothing for v2"
    assert state.actions["a-1"].due_version == 2
    letter = letter_for(state, at(2025, 7, 22, 8), "phong-a")
    assert LetterItem(target="a-1", step_index=0, due_version=2) in letter.items


def test_gia_han_sat_han_gui_nhac_nho_moi_nhat_cua_lich_moi() -> None:
    # Overdue on 01/07, extended on 02/07 to Friday 04/07: its 7-working-day reminder has passed, and the 1-day
    # reminder is on 03/07. On 02/07 only the one that has come goes; the next on 03/07.
    state, _ = run_until(make_state(), NOW, OVERDUE)
    extend(state, "a-1", date(2025, 7, 4), at(2025, 7, 2, 9))
    letter = letter_for(state, at(2025, 7, 2, 9), "phong-a")
    assert letter.items == [LetterItem(target="a-1", step_index=0, due_version=2)]
    send_due(state, at(2025, 7, 2, 9))
    letter = letter_for(state, at(2025, 7, 3, 8), "phong-a")
    assert letter.items == [LetterItem(target="a-1", step_index=1, due_version=2)]


# ---------------------------------------------------------------- office hours and working days

EVENING = [{"step": "overdue", "offset": "PT3H", "to": ["contacts", "head"]}]
NEXT_DAY = [{"step": "overdue", "offset": "PT25H", "to": ["contacts", "head"]}]  # not whole days: exact


def test_bac_luc_20_gio_gui_luc_7_30_sang_hom_sau() -> None:
    state = exact_state([("a-1", "phong-a", at(2025, 6, 30, 17))], EVENING)  # overdue step at 20:00 Monday
    assert due(state, at(2025, 6, 30, 20)) == []
    assert ladder.next_wakeup(state, at(2025, 6, 30, 20)) == at(2025, 7, 1, 7, 30)
    assert due(state, at(2025, 7, 1, 7, 30)) == [("phong-a", Step.overdue, ["a-1"])]


def test_bac_vao_thu_bay_gui_sang_thu_hai() -> None:
    state = exact_state([("a-1", "phong-a", at(2025, 7, 4, 17))], [{**EVENING[0], "offset": "PT17H"}])
    assert due(state, at(2025, 7, 5, 10)) == []  # Saturday
    assert ladder.next_wakeup(state, at(2025, 7, 5, 10)) == at(2025, 7, 7, 7, 30)
    assert due(state, at(2025, 7, 7, 7, 30)) == [("phong-a", Step.overdue, ["a-1"])]


def test_bac_vao_ngay_tet_gui_ngay_lam_viec_dau_tien_sau_tet() -> None:
    # Tết Đinh Mùi 2027: Thursday 04/02 to Wednesday 10/02 off (from the real calendar, through the planner).
    registered = at(2027, 1, 5, 9)
    state = exact_state([("a-1", "phong-a", at(2027, 2, 3, 12))], NEXT_DAY, now=registered, issued_on="2027-01-04")
    assert date(2027, 2, 4) in state.calendar.days_off
    assert state.actions["a-1"].schedule.steps[0].at == at(2027, 2, 4, 13)  # the first day of Tết
    for moment in (at(2027, 2, 4, 13), at(2027, 2, 8, 9), at(2027, 2, 10, 16)):
        assert due(state, moment) == []
    assert ladder.next_wakeup(state, at(2027, 2, 4, 13)) == at(2027, 2, 11, 7, 30)
    assert due(state, at(2027, 2, 11, 7, 30)) == [("phong-a", Step.overdue, ["a-1"])]


def test_ngay_lam_bu_thu_bay_la_ngay_lam_viec() -> None:
    # Saturday 26/04/2025 was worked to make up for Friday 02/05.
    state = exact_state(
        [("a-1", "phong-a", at(2025, 4, 25, 10))], NEXT_DAY, now=at(2025, 4, 1, 9), issued_on="2025-04-01"
    )
    assert date(2025, 4, 26) in state.calendar.days_on
    assert due(state, at(2025, 4, 26, 11) - SECOND) == []
    assert due(state, at(2025, 4, 26, 11)) == [("phong-a", Step.overdue, ["a-1"])]


def test_tat_gio_hanh_chinh_thi_gui_dung_thoi_diem() -> None:
    state = exact_state([("a-1", "phong-a", at(2025, 7, 4, 17))], [{**EVENING[0], "offset": "PT17H"}], ANY_TIME)
    assert ladder.next_wakeup(state, at(2025, 7, 5, 9)) == at(2025, 7, 5, 10)
    assert due(state, at(2025, 7, 5, 10)) == [("phong-a", Step.overdue, ["a-1"])]
    evening = exact_state([("a-1", "phong-a", at(2025, 6, 30, 17))], EVENING, ANY_TIME)
    assert due(evening, at(2025, 6, 30, 20)) == [("phong-a", Step.overdue, ["a-1"])]


def test_van_ban_den_han_trong_luc_may_ngung_cuoi_tuan_cho_gio_hanh_chinh() -> None:
    # The worker comes back on Saturday night with an overdue notice pending since Friday: it waits for Monday.
    state = make_state()
    send_due(state, REMINDER_2)
    saturday_night = at(2025, 7, 5, 20)
    assert due(state, saturday_night) == []
    assert ladder.next_wakeup(state, saturday_night) == at(2025, 7, 7, 7, 30)
    assert {step for _, step, _ in due(state, at(2025, 7, 7, 7, 30))} == {Step.overdue}


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(2025, 7, 1, 9), at(2025, 7, 1, 9)),  # in office hours
        (at(2025, 7, 1, 6), at(2025, 7, 1, 7, 30)),  # before opening: the same day
        (at(2025, 7, 1, 17), at(2025, 7, 2, 7, 30)),  # closing time: the next day
        (at(2025, 7, 4, 20), at(2025, 7, 7, 7, 30)),  # Friday evening: Monday
        (at(2027, 2, 3, 18), at(2027, 2, 11, 7, 30)),  # the eve of Tết: after Tết
        (at(2027, 2, 5, 9), at(2027, 2, 11, 7, 30)),
        (at(2027, 2, 13, 9), at(2027, 2, 13, 9)),  # a make-up Saturday
    ],
)
def test_gio_hanh_chinh_voi_lich_tu_dat(moment: datetime, expected: datetime) -> None:
    tet = [date(2027, 2, 4), date(2027, 2, 5), date(2027, 2, 8), date(2027, 2, 9), date(2027, 2, 10)]
    calendar = OfficeCalendar(days_off=tet, days_on=[date(2027, 2, 13)], first_year=2025, last_year=2027)
    assert next_office_moment(calendar, moment) == expected
    assert next_office_moment(calendar, moment.astimezone(VN)) == expected
    assert next_office_moment(OfficeCalendar(enabled=False, days_off=tet), moment) == moment


def test_cung_cua_so() -> None:
    first = at(2025, 7, 1, 8)
    assert same_window(OFFICE, first, at(2025, 7, 1, 16, 59))
    assert not same_window(OFFICE, first, at(2025, 7, 2, 7, 30))
    assert same_window(OfficeCalendar(window_seconds=0), first, first)
    assert not same_window(OfficeCalendar(window_seconds=0), first, first + SECOND)
    assert same_window(OfficeCalendar(window_seconds=60), first, first + timedelta(seconds=60))


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
    do(state, c.ChangeUnitContacts(actor=STAFF, unit="phong-b", contacts=[UNIT_B]), at(2025, 6, 3))
    unit = state.units["phong-b"]
    assert ladder.resolve_recipients(state, unit, [Role.head, Role.supervisor, Role.contacts]) == [UNIT_B]


def test_nguoi_nhan_cua_thang_mac_dinh() -> None:
    _, sent = run_until(make_state(), NOW, at(2025, 8, 31))
    b1 = [(p.step, p.to, p.cc) for p in for_target(sent, "b-1")]
    assert b1 == [
        (Step.reminder, [UNIT_B], []),
        (Step.reminder, [UNIT_B], []),
        (Step.overdue, [UNIT_B, HEAD_B], []),
        (Step.urging, [HEAD_B], [INSPECTORATE_HEAD]),
        (Step.second_urging, [HEAD_B, SUPERVISOR], []),
        (Step.proposal, [AGENCY_HEAD, INSPECTORATE_HEAD], []),
    ]


def test_nguoi_nhan_la_hop_cac_bac_cua_cac_noi_dung_trong_van_ban() -> None:
    # Two reminder rungs: 4 hours before to the contacts, 2 hours before to the head (cc the inspectorate head).
    # a-1 reaches the first and a-2 the second at the same moment: one letter, to everyone either rung names.
    steps = [
        {"step": "reminder", "offset": "-PT4H", "to": ["contacts"]},
        {"step": "reminder", "offset": "-PT2H", "to": ["head"], "cc": ["inspectorate_head"]},
    ]
    state = exact_state([("a-1", "phong-a", at(2025, 6, 30, 14)), ("a-2", "phong-a", at(2025, 6, 30, 12))], steps)
    letter = letter_for(state, at(2025, 6, 30, 10), "phong-a")
    assert [(i.target, i.step_index) for i in letter.items] == [("a-1", 0), ("a-2", 1)]
    assert (letter.to, letter.cc) == ([UNIT_A, UNIT_A2, HEAD_A], [INSPECTORATE_HEAD])


def test_bac_khong_tim_duoc_nguoi_nhan_thi_gui_cho_chinh_don_vi() -> None:
    # phong-b loses its head and supervisor: the urging (to head, cc inspectorate head) and the second urging (to
    # head + supervisor) are addressed to the unit's own contacts; the unit itself is urged, the cc stays a copy.
    state = make_state()
    do(state, c.ChangeUnitContacts(actor=STAFF, unit="phong-b", contacts=[UNIT_B]), at(2025, 6, 3))
    _, sent = run_until(state, NOW, at(2025, 8, 31))
    b1 = {p.step: (p.to, p.cc) for p in for_target(sent, "b-1")}
    assert b1[Step.overdue] == ([UNIT_B], [])  # the contacts are there: no fallback needed
    assert b1[Step.urging] == ([UNIT_B], [INSPECTORATE_HEAD])
    assert b1[Step.second_urging] == ([UNIT_B], [])
    assert b1[Step.proposal] == ([AGENCY_HEAD, INSPECTORATE_HEAD], [])  # roles of the conclusion, not the unit


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
    letter = letter_for(state, OVERDUE, "phong-a")
    assert letter.to == [UNIT_A, UNIT_A2, HEAD_A]
    assert letter.cc == [INSPECTORATE_HEAD]


def test_thay_doi_dau_moi_ap_dung_cho_van_ban_sau() -> None:
    state = make_state()
    do(state, c.ChangeUnitContacts(actor=STAFF, unit="phong-a", contacts=["moi@a.vn"], head=HEAD_A), NOW)
    assert letter_for(state, REMINDER_1, "phong-a").to == ["moi@a.vn"]


# ---------------------------------------------------------------- closing, withdrawal


def closed_state() -> ConclusionState:
    state = make_state()
    for action_id in ("a-1", "a-2", "b-1"):
        finish_action(state, action_id, at(2025, 6, 10))
    for unit in ("phong-a", "phong-b"):
        finish_report(state, unit, at(2025, 6, 10))
    return state


def test_van_ban_ket_thuc_gui_mot_lan_khi_ket_thuc() -> None:
    state = closed_state()
    (letter,) = ladder.due_letters(state, at(2025, 6, 10))
    assert (letter.unit, letter.step, letter.items) == ("", Step.closing, [])
    assert letter.to == [UNIT_A, UNIT_A2, HEAD_A, UNIT_B, HEAD_B]
    assert letter.cc == [INSPECTORATE_HEAD, AGENCY_HEAD]
    (record,) = plan_due(state, at(2025, 6, 10))
    assert record.key == f"{WORKFLOW_ID}/closing"
    assert ladder.due_letters(state, at(2025, 6, 10)) == []  # pending: not planned twice
    transitions.settle_letter(state, record.key, NotificationStatus.sent, "250 OK", at(2025, 6, 10))
    assert ladder.due_letters(state, at(2025, 6, 10)) == []
    assert ladder.due_letters(state, at(2026, 1, 1)) == []
    assert ladder.next_wakeup(state, at(2025, 6, 10)) is None


def test_khong_co_van_ban_ket_thuc_truoc_khi_ket_thuc() -> None:
    state = make_state()
    assert all(d.step != Step.closing for d in ladder.due_letters(state, at(2026, 1, 1)))


def test_van_ban_ket_thuc_cc_khong_lap_lai_nguoi_da_o_to() -> None:
    spec = load_spec(Path(__file__).resolve().parents[2] / "examples" / "quang-ngai-312-KL-Ttra.yaml")
    now = at(2018, 6, 5, 9)
    state = transitions.new_conclusion(spec, plan(spec, now), now, "staff")
    for action_id in state.actions:
        if state.actions[action_id].status == ActionStatus.open:
            do(state, c.WaiveAction(actor=STAFF, action_id=action_id, reason="Thử nghiệm"), now)
    for unit in state.units:
        if state.units[unit].report_status.value == "submitted":
            report = [r for r in state.reports if r.unit == unit][-1]
            do(state, c.ReviewReport(actor=STAFF, report_id=report.id, decision=c.Decision.accept), now)
        else:
            finish_report(state, unit, now)
    (letter,) = ladder.due_letters(state, now)
    assert "chutich@quangngai.example.vn" in letter.to
    assert not set(letter.cc) & set(letter.to)


def test_rut_ket_luan_khong_gui_gi_ke_ca_van_ban_ket_thuc() -> None:
    state = do(make_state(), c.Withdraw(actor=STAFF, reason="Hủy kết luận"), at(2025, 6, 10))
    for now in (REMINDER_1, OVERDUE, PROPOSAL, at(2026, 1, 1)):
        assert ladder.due_letters(state, now) == []


# ---------------------------------------------------------------- next wake-up, overdue, next deadline


def test_lan_thuc_tiep_theo_la_van_ban_hoac_han_som_nhat() -> None:
    state = make_state()
    assert ladder.next_wakeup(state, at(2025, 6, 3, 9)) == REMINDER_1
    send_due(state, REMINDER_1)
    assert ladder.next_wakeup(state, REMINDER_1) == REMINDER_2  # strictly after now once nothing is due
    send_due(state, REMINDER_2)
    assert ladder.next_wakeup(state, at(2025, 6, 30, 12)) == end_of(2025, 6, 30)  # the deadline passing
    assert ladder.next_wakeup(state, end_of(2025, 6, 30)) == OVERDUE


def test_lan_thuc_tiep_theo_la_ngay_bay_gio_khi_con_van_ban_chua_gui() -> None:
    state = make_state()
    late = REMINDER_1 + timedelta(minutes=3)
    assert ladder.next_wakeup(state, late) == late
    send_due(state, late)
    assert ladder.next_wakeup(state, late) == REMINDER_2


def test_lan_thuc_tiep_theo_trong_gio_hanh_chinh() -> None:
    state = exact_state([("a-1", "phong-a", at(2025, 7, 4, 17))], [{**EVENING[0], "offset": "PT17H"}])
    assert ladder.next_wakeup(state, at(2025, 7, 4, 18)) == at(2025, 7, 7, 7, 30)  # not Saturday 10:00


def test_lan_thuc_tiep_theo_bo_qua_bac_cua_kien_nghi_khong_leo_thang_nhung_giu_han() -> None:
    state = submit(make_state(), "a-1", at(2025, 6, 4))
    submit(state, "b-1", at(2025, 6, 4))
    # a-1 and b-1 wait for review: their steps no longer wake the workflow, their due still does
    assert ladder.next_wakeup(state, at(2025, 6, 4)) == end_of(2025, 6, 30)
    assert ladder.next_wakeup(state, end_of(2025, 6, 30)) == at(2025, 7, 22, 8)  # a-2's first reminder


def test_lan_thuc_tiep_theo_khi_chi_con_han_sau_bac_cuoi() -> None:
    due_at = at(2025, 6, 10, 17)
    spec = make_spec(
        policy={"steps": [{"step": "reminder", "offset": "-PT60S", "to": ["contacts"]}]},
        actions=[{"id": "a-1", "unit": "phong-a", "text": "x", "due": due_at.isoformat()}],
        units=[{"code": "phong-a", "name": "A", "contacts": [UNIT_A], "report_due": "2025-12-31"}],
    )
    state = make_state(spec, office=ANY_TIME)
    assert ladder.next_wakeup(state, due_at - timedelta(seconds=90)) == due_at - timedelta(seconds=60)
    send_due(state, due_at - timedelta(seconds=60))
    assert ladder.next_wakeup(state, due_at - timedelta(seconds=30)) == due_at
    assert ladder.next_wakeup(state, due_at) == end_of(2025, 12, 31) - timedelta(seconds=60)


def test_khong_thuc_khi_da_ket_thuc_hoac_da_rut() -> None:
    state = closed_state()
    assert ladder.next_wakeup(state, at(2025, 6, 10)) == at(2025, 6, 10)  # the closing letter is still to go
    send_due(state, at(2025, 6, 10))
    assert ladder.next_wakeup(state, at(2025, 6, 10)) is None
    withdrawn = do(make_state(), c.Withdraw(actor=STAFF, reason="x"), at(2025, 6, 10))
    assert ladder.next_wakeup(withdrawn, at(2025, 6, 10)) is None


def test_kien_nghi_qua_han() -> None:
    state = make_state()
    assert ladder.overdue_actions(state, end_of(2025, 6, 30)) == []
    assert [a.id for a in ladder.overdue_actions(state, OVERDUE)] == ["a-1", "b-1"]
    submit(state, "a-1", OVERDUE)
    finish_action(state, "b-1", OVERDUE)
    # evidence waiting for review does not stop the action from being overdue
    assert [a.id for a in ladder.overdue_actions(state, OVERDUE)] == ["a-1"]
    assert ladder.overdue_actions(closed_state(), at(2026, 1, 1)) == []


def test_han_gan_nhat_chua_xong() -> None:
    state = make_state()
    assert ladder.next_deadline(state, at(2025, 6, 3)) == end_of(2025, 6, 30)
    assert ladder.next_deadline(state, end_of(2025, 6, 30)) == end_of(2025, 7, 31)
    finish_action(state, "a-2", at(2025, 6, 3))
    assert ladder.next_deadline(state, OVERDUE) == end_of(2025, 9, 30)  # the reports
    assert ladder.next_deadline(closed_state(), at(2025, 6, 10)) is None


def test_so_lieu_dau_trang_dem_trong_mot_lan_duyet() -> None:
    state = make_state()
    assert ladder.figures(state, at(2025, 6, 3)) == ladder.Figures(3, 0, end_of(2025, 6, 30))
    # at the deadline's very moment an action is neither overdue nor ahead
    assert ladder.figures(state, end_of(2025, 6, 30)) == ladder.Figures(3, 0, end_of(2025, 7, 31))
    submit(state, "a-1", OVERDUE)
    finish_action(state, "b-1", OVERDUE)
    assert ladder.figures(state, OVERDUE) == ladder.Figures(2, 1, end_of(2025, 7, 31))
    assert ladder.figures(closed_state(), at(2025, 6, 10)) == ladder.Figures(0, 0, None)


def test_chinh_sach_duoi_mot_ngay_chay_tron_thang_trong_vai_phut() -> None:
    start = at(2025, 6, 3, 9)
    due_at = start + timedelta(minutes=1)
    spec = make_spec(
        policy={
            "steps": [
                {"step": "reminder", "offset": "-PT15S", "to": ["contacts"]},
                {"step": "overdue", "offset": "PT5S", "to": ["contacts", "head"]},
                {"step": "urging", "offset": "PT20S", "to": ["head"], "cc": ["inspectorate_head"]},
            ]
        },
        actions=[{"id": "a-1", "unit": "phong-a", "text": "x", "due": due_at.isoformat()}],
        units=[{"code": "phong-a", "name": "A", "contacts": [UNIT_A], "head": HEAD_A, "report_due": "2025-12-31"}],
    )
    state = make_state(spec, start, office=ANY_TIME)
    state, sent = run_until(state, start, start + timedelta(minutes=5))
    assert [(p.step, targets_of(p)) for p in sent] == [
        (Step.reminder, ["a-1"]),
        (Step.overdue, ["a-1"]),
        (Step.urging, ["a-1"]),
    ]
    assert [p.planned_at - due_at for p in sent] == [
        timedelta(seconds=-15),
        timedelta(seconds=5),
        timedelta(seconds=20),
    ]


# ---------------------------------------------------------------- an update's wake-up, from the units it changed


def test_an_updates_next_moment_is_found_among_the_units_it_changed() -> None:
    """The workflow decides whether an update wakes its loop from the units the update changed only; that is sound
    because the earliest moment of the whole conclusion is always the earlier of the changed units' and the rest's,
    and the changed units are exactly those the update's audit events name."""
    state = make_state(office=ANY_TIME)
    steps: list[tuple[str, Any, set[str]]] = [
        ("submit a-1", lambda s, now: submit(s, "a-1", now), {"phong-a"}),
        ("return a-1 with a nearer deadline", lambda s, now: reject_with_new_due(s, now), {"phong-a"}),
        ("extend b-1", lambda s, now: extend(s, "b-1", date(2025, 7, 15), now), {"phong-b"}),
        ("report of phong-b", lambda s, now: finish_report(s, "phong-b", now), {"phong-b"}),
    ]
    now = at(2025, 6, 10, 9)
    for what, change, units in steps:
        seq = state.events[-1].seq
        change(state, now)
        changed = projection.units_changed(state, seq)
        others = set(state.units) - changed
        assert changed == units, what
        parts = [ladder.next_wakeup(state, now, changed), ladder.next_wakeup(state, now, others)]
        assert ladder.next_wakeup(state, now) == min(m for m in parts if m is not None), what
        now += timedelta(days=3)


def reject_with_new_due(state: ConclusionState, now: datetime) -> ConclusionState:
    evidence_id = [e.id for e in state.evidence if e.action_id == "a-1"][-1]
    command = c.ReviewEvidence(
        actor=STAFF,
        evidence_id=evidence_id,
        decision=c.Decision.reject,
        reason="Thiếu biên bản",
        new_due=date(2025, 6, 20),
    )
    return do(state, command, now)
