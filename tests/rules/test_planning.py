"""Specification of deadline planning: due times and ladder times as absolute moments in Vietnam time.

Deadlines follow Bộ luật Dân sự 2015, Điều 148 (the first day is not counted; a last day off moves to the end of
the next working day) with the real Vietnamese calendar of the `holidays` package.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from activities.planning import Planner
from dondoc.spec_loader import load_spec
from models.office import OfficeCalendar
from models.planning import DueRule, PlanRequest, conclusion_plan_request, report_target
from models.policy import DEFAULT_POLICY, Policy, PolicyStep, Step
from models.spec import Period
from tests.rules.factories import CALENDAR, OFFICE, PLANNER, at, end_of, make_spec, plan, unit_dict

START = date(2025, 6, 2)  # Monday
NOW = at(2025, 6, 3, 9)


def due_of(due: date | datetime | None = None, due_in: Period | None = None, start: date = START) -> datetime:
    return PLANNER.due(DueRule(start_day=start, due=due, due_in=due_in), NOW)


def policy(*steps: PolicyStep) -> Policy:
    return Policy(steps=list(steps))


def step(offset: timedelta, kind: Step = Step.reminder, working: bool = False) -> PolicyStep:
    return PolicyStep(step=kind, offset=offset, working=working, to=["contacts"])


# ---------------------------------------------------------------- due times


def test_han_la_mot_ngay_thi_het_han_luc_23_59_59_gio_viet_nam() -> None:
    due = due_of(date(2025, 6, 30))
    assert due == end_of(2025, 6, 30)
    assert due.utcoffset() == timedelta(hours=7)
    assert due.astimezone(UTC) == datetime(2025, 6, 30, 16, 59, 59, tzinfo=UTC)


def test_han_roi_vao_chu_nhat_chuyen_sang_cuoi_ngay_lam_viec_tiep_theo() -> None:
    assert date(2018, 9, 30).weekday() == 6
    assert due_of(date(2018, 9, 30)) == end_of(2018, 10, 1)


def test_han_30_4_2025_chuyen_qua_ca_dot_nghi_le_sang_5_5() -> None:
    # 30/4 and 1/5 are public holidays; 2/5/2025 was a moved day off (made up on Saturday 26/4); then a weekend.
    for off in (date(2025, 4, 30), date(2025, 5, 1), date(2025, 5, 2), date(2025, 5, 3), date(2025, 5, 4)):
        assert not CALENDAR.is_working_day(off)
    assert CALENDAR.is_working_day(date(2025, 4, 26))  # ngày làm bù
    assert due_of(date(2025, 4, 30)) == end_of(2025, 5, 5)


def test_han_vao_quoc_khanh_2025_chuyen_sang_3_9() -> None:
    assert due_of(date(2025, 9, 1)) == end_of(2025, 9, 3)
    assert due_of(date(2025, 9, 2)) == end_of(2025, 9, 3)


def test_han_vao_tet_nguyen_dan_2025_chuyen_sang_3_2() -> None:
    assert due_of(date(2025, 1, 29)) == end_of(2025, 2, 3)


def test_thoi_diem_han_chinh_xac_duoc_giu_nguyen_va_doi_sang_gio_viet_nam() -> None:
    exact = datetime(2025, 6, 30, 10, 0, tzinfo=UTC)
    due = due_of(exact)
    assert due == exact
    assert due.utcoffset() == timedelta(hours=7)
    assert due.hour == 17


def test_thoi_diem_han_chinh_xac_khong_bi_doi_du_roi_vao_ngay_nghi() -> None:
    sunday = at(2025, 6, 29, 17)
    assert due_of(sunday) == sunday


def test_thoi_han_30_ngay_lam_viec_dem_ngay_lam_viec() -> None:
    due = due_of(due_in=Period(days=30, working=True))
    assert due == end_of(2025, 7, 14)
    assert CALENDAR.working_days_between(START, due.date()) == 30


def test_thoi_han_ngay_lam_viec_bo_qua_tet() -> None:
    # Friday 24/01/2025, then Tết from 27/01 to 31/01: the 2nd working day is Tuesday 04/02.
    assert due_of(due_in=Period(days=2, working=True), start=date(2025, 1, 24)) == end_of(2025, 2, 4)


def test_thoi_han_30_ngay_theo_lich_khong_tinh_ngay_dau() -> None:
    assert due_of(due_in=Period(days=30)) == end_of(2025, 7, 2)


def test_thoi_han_theo_lich_het_vao_thu_bay_chuyen_sang_thu_hai() -> None:
    assert (START + timedelta(days=5)).weekday() == 5
    assert due_of(due_in=Period(days=5)) == end_of(2025, 6, 9)


def test_thoi_han_duoi_mot_ngay_tinh_tu_bay_gio() -> None:
    assert due_of(due_in=Period(minutes=5, seconds=30)) == NOW + timedelta(minutes=5, seconds=30)


def test_ngay_bat_dau_la_ngay_nhan_ket_luan() -> None:
    spec = make_spec(
        received_on="2025-06-09", actions=[{"id": "a-1", "unit": "phong-a", "text": "x", "due_in": {"days": 10}}]
    )
    result = plan(spec)
    assert result.schedules["a-1"].due == end_of(2025, 6, 19)


# ---------------------------------------------------------------- ladder times


def test_lich_mac_dinh_cho_han_30_6_2025() -> None:
    schedule = PLANNER.schedule(DueRule(start_day=START, due=date(2025, 6, 30)), DEFAULT_POLICY, NOW)
    assert [(s.index, s.step, s.at) for s in schedule.steps] == [
        (0, Step.reminder, at(2025, 6, 19, 8)),  # 7 working days before
        (1, Step.reminder, at(2025, 6, 27, 8)),  # 1 working day before
        (2, Step.overdue, at(2025, 7, 1, 8)),  # 1 day after
        (3, Step.urging, at(2025, 7, 7, 8)),  # 5 working days after
        (4, Step.second_urging, at(2025, 7, 15, 8)),  # 15 days after
        (5, Step.proposal, at(2025, 7, 30, 8)),  # 30 days after
    ]
    # a scheduled step carries only its policy index: its recipients stay in the policy
    assert set(type(schedule.steps[3]).model_fields) == {"index", "step", "at"}
    assert DEFAULT_POLICY.steps[3].to == ["head"] and DEFAULT_POLICY.steps[3].cc == ["inspectorate_head"]


def test_bac_nguyen_ngay_gui_luc_gio_phat_hanh_tuy_chinh() -> None:
    planner = Planner(CALENDAR, dispatch_time=time(7, 30))
    schedule = planner.schedule(DueRule(start_day=START, due=date(2025, 6, 30)), DEFAULT_POLICY, NOW)
    assert {s.at.time() for s in schedule.steps} == {time(7, 30)}


def test_nhac_truoc_7_ngay_lam_viec_tinh_ca_ngay_lam_bu_va_bo_ngay_le() -> None:
    # Due Tuesday 06/05/2025: back over the 30/4-4/5 break; Saturday 26/04 is a make-up working day.
    reminder = step(timedelta(days=-7), working=True)
    at_ = PLANNER.step_time(end_of(2025, 5, 6), reminder)
    assert at_ == at(2025, 4, 23, 8)
    assert CALENDAR.working_days_between(at_.date(), date(2025, 5, 6)) == 7


def test_bac_sau_han_theo_ngay_lich_roi_vao_cuoi_tuan_chuyen_sang_ngay_lam_viec() -> None:
    overdue = step(timedelta(days=1), Step.overdue)
    assert PLANNER.step_time(end_of(2025, 6, 27), overdue) == at(2025, 6, 30, 8)  # Friday + 1 = Saturday → Monday


def test_bac_truoc_han_theo_ngay_lich_roi_vao_cuoi_tuan_lui_ve_ngay_lam_viec_truoc() -> None:
    reminder = step(timedelta(days=-1))
    assert PLANNER.step_time(end_of(2025, 6, 30), reminder) == at(2025, 6, 27, 8)  # Monday - 1 = Sunday → Friday


def test_bac_duoi_mot_ngay_tinh_chinh_xac_tu_thoi_diem_han() -> None:
    due = at(2025, 6, 30, 17)
    assert PLANNER.step_time(due, step(timedelta(seconds=-15))) == due - timedelta(seconds=15)
    assert PLANNER.step_time(due, step(timedelta(seconds=30), Step.overdue)) == due + timedelta(seconds=30)
    assert PLANNER.step_time(due, step(timedelta(hours=-36))) == due - timedelta(hours=36)  # not whole days


def test_bac_duoi_mot_ngay_voi_han_ngay_tinh_tu_23_59_59() -> None:
    due = due_of(date(2025, 6, 30))
    assert PLANNER.step_time(due, step(timedelta(seconds=-15))) == at(2025, 6, 30, 23, 59, 44)


def test_cac_bac_duoc_xep_theo_thoi_gian_va_giu_so_thu_tu_trong_chinh_sach() -> None:
    # Sorted by offset: -P3D (calendar) is index 0, -P2D working is index 1; for a Monday due the working-day
    # reminder lands on Thursday, before the calendar one (Friday after rolling back from Saturday).
    ladder = policy(step(timedelta(days=-2), working=True), step(timedelta(days=-3)), step(timedelta(seconds=-15)))
    schedule = PLANNER.schedule(DueRule(start_day=START, due=date(2025, 6, 30)), ladder, NOW)
    assert [(s.index, s.at) for s in schedule.steps] == [
        (1, at(2025, 6, 26, 8)),
        (0, at(2025, 6, 27, 8)),
        (2, at(2025, 6, 30, 23, 59, 44)),
    ]
    assert [s.at for s in schedule.steps] == sorted(s.at for s in schedule.steps)


def test_lich_chinh_sach_duoi_mot_ngay_chay_trong_vai_phut() -> None:
    short = policy(
        step(timedelta(seconds=-15)),
        step(timedelta(seconds=5), Step.overdue),
        step(timedelta(seconds=20), Step.urging),
    )
    due = NOW + timedelta(minutes=1)
    schedule = PLANNER.schedule(DueRule(start_day=START, due=due), short, NOW)
    assert schedule.due == due
    assert [s.at - due for s in schedule.steps] == [timedelta(seconds=-15), timedelta(seconds=5), timedelta(seconds=20)]


# ---------------------------------------------------------------- a whole conclusion


def test_ke_hoach_cho_ket_luan_co_lich_cho_moi_kien_nghi_va_bao_cao_moi_don_vi() -> None:
    spec = make_spec(
        units=[unit_dict("phong-a", ["a@a.vn"]), unit_dict("phong-b", ["b@b.vn"], report_due="2025-08-15")]
    )
    result = plan(spec)
    assert set(result.schedules) == {"a-1", "a-2", "b-1", "report.phong-a", "report.phong-b"}
    assert report_target("phong-a") == "report.phong-a"
    # report_due_in defaults to 45 calendar days from the start day: 17/07/2025 (a Thursday)
    assert result.schedules["report.phong-a"].due == end_of(2025, 7, 17)
    assert result.schedules["report.phong-b"].due == end_of(2025, 8, 15)  # the unit's own report_due wins
    assert all(len(s.steps) == len(DEFAULT_POLICY.steps) for s in result.schedules.values())
    assert result.policy == DEFAULT_POLICY


def test_thoi_han_bao_cao_theo_ngay_lam_viec() -> None:
    spec = make_spec(
        report_due_in={"days": 30, "working": True},
        units=[unit_dict("phong-a", ["a@a.vn"])],
        actions=[{"id": "a-1", "unit": "phong-a", "text": "x", "due": "2025-06-30"}],
    )
    request = conclusion_plan_request(spec, NOW)
    assert request.targets["report.phong-a"].due_in == Period(days=30, working=True)
    assert plan(spec).schedules["report.phong-a"].due == end_of(2025, 7, 14)


def test_chinh_sach_rieng_cua_ket_luan_thay_chinh_sach_chung() -> None:
    own = {"steps": [{"step": "reminder", "offset": "-PT15S", "to": ["contacts"]}]}
    spec = make_spec(policy=own)
    result = plan(spec)
    assert result.policy == spec.policy
    assert [len(s.steps) for s in result.schedules.values()] == [1] * 5
    assert result.schedules["a-1"].steps[0].at == end_of(2025, 6, 30) - timedelta(seconds=15)


def test_khong_co_chinh_sach_rieng_thi_dung_chinh_sach_chung_duoc_cau_hinh() -> None:
    configured = policy(step(timedelta(days=-3)))
    request = PlanRequest(now=NOW, targets={"a-1": DueRule(start_day=START, due=date(2025, 6, 30))})
    result = PLANNER.plan(request, configured, OFFICE)
    assert result.policy == configured
    assert [s.at for s in result.schedules["a-1"].steps] == [at(2025, 6, 27, 8)]


def test_ke_hoach_vi_du_quang_ngai_co_du_muc_tieu() -> None:
    spec = load_spec(Path(__file__).resolve().parents[2] / "examples" / "quang-ngai-312-KL-Ttra.yaml")
    result = plan(spec, at(2018, 6, 4, 9))
    assert len(result.schedules) == 44 + 9
    # 30/09/2018 was a Sunday: due at the end of Monday 01/10/2018
    assert result.schedules["vp-ubnd-thu-cong-vu"].due == end_of(2018, 10, 1)
    # 45 days from received_on 04/06/2018 is Thursday 19/07/2018
    assert result.schedules["report.ly-son"].due == end_of(2018, 7, 19)
    for schedule in result.schedules.values():
        assert [s.at for s in schedule.steps] == sorted(s.at for s in schedule.steps)


@pytest.mark.parametrize("due", [date(2025, 6, 30), at(2025, 6, 30, 17)])
def test_ke_hoach_khong_phu_thuoc_mui_gio_cua_may(due: date | datetime) -> None:
    request = PlanRequest(now=NOW.astimezone(UTC), targets={"x": DueRule(start_day=START, due=due)})
    again = PlanRequest.model_validate_json(request.model_dump_json())  # as it travels through Temporal
    assert PLANNER.plan(again, DEFAULT_POLICY, OFFICE) == PLANNER.plan(request, DEFAULT_POLICY, OFFICE)


# ---------------------------------------------------------------- office days for the letters


def test_ke_hoach_kem_lich_lam_viec_cua_van_phong_cho_cac_nam_lien_quan() -> None:
    spec = make_spec(actions=[{"id": "a-1", "unit": "phong-a", "text": "x", "due": "2026-03-31"}])
    hours = OfficeCalendar(opens=time(8, 0), closes=time(16, 30), window_seconds=600)
    office = plan(spec, NOW, office=hours).calendar
    assert (office.first_year, office.last_year) == (2025, 2028)  # from now to the last due, plus two years
    assert (office.opens, office.closes, office.window_seconds, office.enabled) == (time(8, 0), time(16, 30), 600, True)
    # weekday holidays off, make-up Saturdays on: Tết 2026 (16-20/02), Quốc khánh 2025, Saturday 22/08/2026
    for day in (date(2026, 2, 16), date(2026, 2, 20), date(2025, 9, 1), date(2025, 9, 2), date(2026, 8, 31)):
        assert day in office.days_off and not office.is_working_day(day)
    assert date(2026, 8, 22) in office.days_on and office.is_working_day(date(2026, 8, 22))
    assert all(d.weekday() < 5 for d in office.days_off)
    assert all(d.weekday() >= 5 for d in office.days_on)
    assert office.is_working_day(date(2025, 6, 30)) and not office.is_working_day(date(2025, 6, 28))
    assert office.covers(at(2028, 12, 31, 23)) and not office.covers(at(2029, 1, 1, 9))


def test_lich_van_phong_tat_thi_van_giu_ngay_nghi() -> None:
    office = plan(make_spec(), NOW, office=OfficeCalendar(enabled=False)).calendar
    assert not office.enabled
    assert date(2025, 9, 2) in office.days_off


def test_planning_nothing_gives_the_office_days_of_this_year_and_the_next_two() -> None:
    """What a long-running follow-up fetches when its office calendar nears its end."""
    now = datetime(2030, 11, 20, 3, 0, tzinfo=UTC)
    result = PLANNER.plan(PlanRequest(now=now, targets={}), DEFAULT_POLICY, OfficeCalendar())
    calendar = result.calendar
    assert (calendar.first_year, calendar.last_year) == (2030, 2032)
    assert calendar.covers(now) and calendar.covers(now + timedelta(days=180))
    assert date(2031, 1, 1) in calendar.days_off and not calendar.is_working_day(date(2031, 1, 1))
