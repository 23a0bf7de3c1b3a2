"""Properties of the follow-up rules under random histories (hypothesis).

A small random conclusion (2-3 units, 1-4 actions each, exact due times) is driven through a random sequence of
commands and clock advances, the way the workflow shell does it: after every command and at every wake-up, every
notice due is sent and recorded. After each step the invariants of docs/architecture.md and docs/domain.md must
hold.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dondoc.spec_loader import parse_spec
from models import commands as c
from models.planning import DueRule, is_report_target
from models.policy import DEFAULT_POLICY, Policy, PolicyStep, Step
from models.spec import ActionSpec, ConclusionSpec, conclusion_slug
from models.state import (
    RESOLVED_ACTION,
    ActionStatus,
    ConclusionState,
    ConclusionStatus,
    ExtensionStatus,
    NotificationStatus,
    ReportStatus,
    ReviewStatus,
)
from tests.rules.factories import CALENDAR, PLANNER, at, end_of, files, plan, schedule_for, spec_dict
from workflows.rules import ladder, transitions
from workflows.rules.transitions import RuleViolation

T0 = at(2025, 6, 3, 9)

SUB_DAY = Policy(
    steps=[
        PolicyStep(step=Step.reminder, offset=timedelta(seconds=-60), to=["contacts"]),
        PolicyStep(step=Step.reminder, offset=timedelta(seconds=-15), to=["contacts"], cc=["head"]),
        PolicyStep(step=Step.overdue, offset=timedelta(seconds=5), to=["contacts", "head"]),
        PolicyStep(step=Step.urging, offset=timedelta(seconds=60), to=["head"], cc=["inspectorate_head"]),
        PolicyStep(step=Step.second_urging, offset=timedelta(seconds=180), to=["head", "supervisor"]),
        PolicyStep(step=Step.proposal, offset=timedelta(seconds=600), to=["agency_head", "inspectorate_head"]),
    ]
)

PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
QUICK_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------- generated conclusions


@st.composite
def conclusions(draw: st.DrawFn) -> tuple[ConclusionSpec, Policy]:
    units: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    seconds = st.integers(min_value=20, max_value=3 * 3600)
    for u in range(draw(st.integers(min_value=2, max_value=3))):
        code = f"don-vi-{u}"
        unit: dict[str, Any] = {
            "code": code,
            "name": f"Đơn vị {u}",
            "contacts": [f"vanthu{u}@dv{u}.example.vn"] + (["chung@tinh.example.vn"] if draw(st.booleans()) else []),
            "report_due": (T0 + timedelta(seconds=draw(seconds))).isoformat(),
        }
        if draw(st.booleans()):
            unit["head"] = f"truong{u}@dv{u}.example.vn"
        if draw(st.booleans()):
            unit["supervisor"] = "giamdoc@so.example.vn"
        units.append(unit)
        for k in range(draw(st.integers(min_value=1, max_value=4))):
            due = (T0 + timedelta(seconds=draw(seconds))).isoformat()
            actions.append({"id": f"kn-{u}-{k}", "unit": code, "text": f"Kiến nghị {u}.{k}", "due": due})
    spec = parse_spec(spec_dict(units=units, actions=actions))
    return spec, draw(st.sampled_from([SUB_DAY, DEFAULT_POLICY]))


index = st.integers(min_value=0, max_value=15)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("advance"), st.sampled_from([1, 5, 10, 30, 60, 200, 700, 3600, 86400, 3 * 86400, 9 * 86400])),
        st.tuples(st.just("submit"), index),
        st.tuples(st.just("review"), index, st.booleans()),
        st.tuples(st.just("request_extension"), index, st.integers(min_value=-1, max_value=4)),
        st.tuples(st.just("decide_extension"), index, st.booleans()),
        st.tuples(st.just("submit_report"), index),
        st.tuples(st.just("review_report"), index, st.booleans()),
        st.tuples(st.just("waive"), index),
        st.tuples(st.just("transfer"), index),
        st.tuples(st.just("add_action"), index, st.integers(min_value=10, max_value=7200)),
        st.tuples(st.just("change_contacts"), index),
        st.tuples(st.just("withdraw"), st.integers(min_value=0, max_value=14)),  # only 0 withdraws
        # several commands in a row, so that random histories also reach re-planning and closing
        st.tuples(st.just("finish"), index),
        st.tuples(st.just("finish_report"), index),
        st.tuples(st.just("extend"), index, st.integers(min_value=1, max_value=4)),
    ),
    min_size=8,
    max_size=25,
)


# ---------------------------------------------------------------- the simulated workflow


@dataclass
class Run:
    state: ConclusionState
    now: datetime
    applied: int = 0
    refused: int = 0
    extensions_approved: int = 0
    sent_once: set[tuple[str, int, int]] = field(default_factory=set)
    sent_keys: set[str] = field(default_factory=set)
    updates: int = 0

    # ------------------------------------------------------------ the loop: send all due, record

    def send_due(self) -> None:
        before = self.state.model_dump()
        due = ladder.due_notifications(self.state, self.now)
        assert self.state.model_dump() == before, "due_notifications is pure"
        assert due == ladder.due_notifications(self.state, self.now), "and deterministic"
        targets = [n.target for n in due]
        assert len(targets) == len(set(targets)), "no backlog: at most one notice per target at a time"
        for notice in due:
            self.check_may_send(notice)
            version = self.state.version
            self.state = transitions.record_notification(self.state, notice, NotificationStatus.sent, "", self.now)
            assert self.state.version > version
            assert ladder.due_notifications(self.state, self.now).count(notice) == 0, "recorded: not due again"

    def check_may_send(self, notice: ladder.Notification) -> None:
        state = self.state
        assert notice.key not in self.sent_keys, f"sent twice: {notice.key}"
        self.sent_keys.add(notice.key)
        assert set(notice.to).isdisjoint(notice.cc) or notice.step == Step.closing
        if notice.step == Step.closing:
            assert state.status == ConclusionStatus.closed
            return
        assert state.status == ConclusionStatus.active
        once = (notice.target, notice.due_version, notice.step_index)
        assert once not in self.sent_once, f"step sent twice for one due version: {once}"
        self.sent_once.add(once)
        if is_report_target(notice.target):
            unit = state.units[notice.unit]
            assert unit.report_status in (ReportStatus.awaited, ReportStatus.returned)
            assert notice.due_version == unit.due_version
            tracked = unit.schedule
        else:
            assert notice.action_id is not None
            action = state.actions[notice.action_id]
            assert action.status == ActionStatus.open, "nothing is sent for a resolved or reviewed action"
            assert notice.due_version == action.due_version, "notices use the current due version"
            tracked = action.schedule
        step = next(s for s in tracked.steps if s.index == notice.step_index)
        assert step.at <= self.now, "never sent before its time"
        assert not [s for s in tracked.steps if step.at < s.at <= self.now], "only the latest step that has come"

    def advance(self, seconds: int) -> None:
        end = self.now + timedelta(seconds=seconds)
        while (wake := ladder.next_wakeup(self.state, self.now)) is not None and wake <= end:
            assert wake > self.now
            self.now = wake
            self.send_due()
        self.now = end
        self.send_due()

    # ------------------------------------------------------------ commands

    def command(self, command: c.Command) -> None:
        state = self.state
        try:
            transitions.check(state, command)
        except RuleViolation as refusal:
            assert str(refusal), "a refusal always says why"
            with pytest.raises(RuleViolation):
                transitions.apply(state, command, self.now, "refused", None)
            self.refused += 1
            return
        self.updates += 1
        update_id = f"upd-{self.updates}"
        schedule = schedule_for(state, command, self.now)
        new = transitions.apply(state, command, self.now, update_id, schedule)
        assert new.version > state.version, "every change bumps the version"
        assert new.events[-1].seq == len(new.events)
        assert any(e.actor == command.actor for e in new.events[len(state.events) :])
        assert transitions.apply(new, command, self.now, update_id, schedule) is new, "same update id: no change"
        transitions.check(new, command, update_id)
        if isinstance(command, c.DecideExtension) and command.approve:
            request = next(r for r in state.extension_requests if r.id == command.request_id)
            old, replanned = state.actions[request.action_id], new.actions[request.action_id]
            assert replanned.due_version == old.due_version + 1
            assert schedule is not None and replanned.schedule == schedule
            assert replanned.due > old.due
            assert replanned.last_step is None
            self.extensions_approved += 1
        self.state = new
        self.applied += 1
        self.send_due()  # the workflow loop runs again after every update

    def pick(self, items: list[Any], i: int) -> Any:
        return items[i % len(items)] if items else None

    def operate(self, op: tuple[Any, ...]) -> None:
        kind, i, *rest = op
        state = self.state
        actions = sorted(state.actions)
        units = sorted(state.units)
        action_id = self.pick(actions, i)
        unit = self.pick(units, i)
        if kind == "advance":
            self.advance(i)
        elif kind == "submit":
            self.command(c.SubmitEvidence(actor=f"{unit}@dv.example.vn", action_id=action_id, files=files()))
        elif kind == "review":
            pending = [e.id for e in state.evidence if e.status == ReviewStatus.submitted] or [
                e.id for e in state.evidence
            ]
            if pending:
                decision = c.Decision.accept if rest[0] else c.Decision.reject
                reason = None if rest[0] else "Thiếu tài liệu"
                self.command(
                    c.ReviewEvidence(actor="staff", evidence_id=self.pick(pending, i), decision=decision, reason=reason)
                )
        elif kind == "request_extension":
            new_due = state.actions[action_id].due + timedelta(days=rest[0])
            self.command(c.RequestExtension(actor="unit", action_id=action_id, requested_due=new_due, reason="Chờ vốn"))
        elif kind == "decide_extension":
            requests = [r.id for r in state.extension_requests if r.status == ExtensionStatus.requested]
            if requests:
                reason = None if rest[0] else "Không đủ căn cứ"
                self.command(
                    c.DecideExtension(actor="staff", request_id=self.pick(requests, i), approve=rest[0], reason=reason)
                )
        elif kind == "submit_report":
            self.command(c.SubmitReport(actor="unit", unit=unit, files=files("bao-cao.pdf")))
        elif kind == "review_report":
            reports = [r.id for r in state.reports if r.status == ReviewStatus.submitted] or [
                r.id for r in state.reports
            ]
            if reports:
                decision = c.Decision.accept if rest[0] else c.Decision.reject
                reason = None if rest[0] else "Thiếu số liệu"
                self.command(
                    c.ReviewReport(actor="staff", report_id=self.pick(reports, i), decision=decision, reason=reason)
                )
        elif kind == "waive":
            self.command(c.WaiveAction(actor="staff", action_id=action_id, reason="Không còn đối tượng"))
        elif kind == "transfer":
            self.command(c.TransferAction(actor="staff", action_id=action_id, reason="CV chuyển CQĐT"))
        elif kind == "add_action":
            due = self.now + timedelta(seconds=rest[0])
            spec = ActionSpec(id=f"bo-sung-{len(actions)}", unit=unit, text="Bổ sung", due=due)
            self.command(c.AddAction(actor="staff", action=spec))
        elif kind == "change_contacts":
            self.command(c.ChangeUnitContacts(actor="staff", unit=unit, contacts=[f"moi.{unit}@dv.example.vn"]))
        elif kind == "withdraw" and i == 0:
            self.command(c.Withdraw(actor="staff", reason="Kết luận bị hủy"))
        elif kind == "finish":
            self.operate(("submit", i))
            pending = [
                e.id for e in self.state.evidence if e.action_id == action_id and e.status == ReviewStatus.submitted
            ]
            if pending:
                self.command(c.ReviewEvidence(actor="staff", evidence_id=pending[-1], decision=c.Decision.accept))
        elif kind == "finish_report":
            self.operate(("submit_report", i))
            pending = [r.id for r in self.state.reports if r.unit == unit and r.status == ReviewStatus.submitted]
            if pending:
                self.command(c.ReviewReport(actor="staff", report_id=pending[-1], decision=c.Decision.accept))
        elif kind == "extend":
            self.operate(("request_extension", i, rest[0]))
            pending = [
                r.id
                for r in self.state.extension_requests
                if r.action_id == action_id and r.status == ExtensionStatus.requested
            ]
            if pending:
                self.command(c.DecideExtension(actor="staff", request_id=pending[-1], approve=True))

    # ------------------------------------------------------------ invariants

    def check_invariants(self) -> None:
        state = self.state
        keys = [n.key for n in state.notifications]
        assert len(keys) == len(set(keys)), "no two notifications share a key"
        complete = transitions.is_complete(state)
        if state.status == ConclusionStatus.closed:
            assert complete and state.closed_at is not None
        elif state.status == ConclusionStatus.active:
            assert not complete, "closing happens as soon as everything is resolved"
        assert [e.seq for e in state.events] == list(range(1, len(state.events) + 1))
        assert state.version == len(state.events)
        for record in state.notifications:
            if record.target in state.actions:
                action = state.actions[record.target]
                assert action.resolved_at is None or record.at <= action.resolved_at
        wake = ladder.next_wakeup(state, self.now)
        assert wake is None or wake > self.now
        if state.status != ConclusionStatus.active:
            assert wake is None
        for action in state.actions.values():
            assert action.due_version == 1 + sum(
                r.action_id == action.id and r.status == ExtensionStatus.approved for r in state.extension_requests
            )
            if action.status in RESOLVED_ACTION:
                assert action.resolved_at is not None


@PROPERTY_SETTINGS
@given(conclusions(), operations, st.booleans())
def test_lich_su_ngau_nhien_giu_moi_bat_bien(
    conclusion: tuple[ConclusionSpec, Policy], ops: list[Any], wrap_up: bool
) -> None:
    spec, default_policy = conclusion
    state = transitions.new_conclusion(spec, plan(spec, T0, default_policy), T0, "staff")
    run = Run(state=state, now=T0)
    run.send_due()
    run.check_invariants()
    for op in ops:
        run.operate(op)
        run.check_invariants()
    if wrap_up:  # staff and units finish whatever is left: the follow-up closes (unless it was withdrawn)
        for i in range(len(run.state.actions)):
            run.operate(("finish", i))
        for i in range(len(run.state.units)):
            run.operate(("finish_report", i))
        run.check_invariants()
        assert run.state.status != ConclusionStatus.active
    # let time run out: everything due is sent once, the closing notice included
    run.advance(60 * 86400)
    run.check_invariants()
    event(f"trạng thái cuối: {run.state.status.value}")
    event(f"gia hạn được chấp thuận: {min(run.extensions_approved, 2)}")
    event(f"lệnh áp dụng: {'0' if not run.applied else '1-9' if run.applied < 10 else '10+'}")
    closing = [n for n in run.state.notifications if n.step == Step.closing]
    assert len(closing) == (1 if run.state.status == ConclusionStatus.closed else 0)
    assert ladder.due_notifications(run.state, run.now + timedelta(days=365)) == [] or (
        run.state.status == ConclusionStatus.active
    )


@QUICK_SETTINGS
@given(conclusions())
def test_khong_ai_lam_gi_thi_moi_muc_tieu_nhan_bac_cuoi_cung_dung_mot_lan(
    conclusion: tuple[ConclusionSpec, Policy],
) -> None:
    spec, default_policy = conclusion
    state = transitions.new_conclusion(spec, plan(spec, T0, default_policy), T0, "staff")
    run = Run(state=state, now=T0)
    run.send_due()
    run.advance(90 * 86400)
    last = {n.target: n for n in run.state.notifications}
    assert set(last) == set(spec_targets(run.state))
    assert all(n.step == Step.proposal for n in last.values()), "every target climbed to the top of the ladder"


@QUICK_SETTINGS
@given(conclusions(), st.data())
def test_hoan_thanh_tat_ca_theo_thu_tu_bat_ky_thi_ket_thuc_dung_luc(
    conclusion: tuple[ConclusionSpec, Policy], data: st.DataObject
) -> None:
    spec, default_policy = conclusion
    state = transitions.new_conclusion(spec, plan(spec, T0, default_policy), T0, "staff")
    run = Run(state=state, now=T0)
    work: list[tuple[str, str]] = [("action", a) for a in state.actions] + [("report", u) for u in state.units]
    order = data.draw(st.permutations(work))
    for n, (kind, target) in enumerate(order):
        assert run.state.status == ConclusionStatus.active
        if kind == "action":
            how = data.draw(st.sampled_from(["done", "waive", "transfer"]))
            if how == "done":
                run.command(c.SubmitEvidence(actor="unit", action_id=target, files=files()))
                evidence_id = run.state.evidence[-1].id
                run.command(c.ReviewEvidence(actor="staff", evidence_id=evidence_id, decision=c.Decision.accept))
            elif how == "waive":
                run.command(c.WaiveAction(actor="staff", action_id=target, reason="Miễn"))
            else:
                run.command(c.TransferAction(actor="staff", action_id=target, reason="Chuyển"))
        else:
            run.command(c.SubmitReport(actor="unit", unit=target, files=files()))
            report_id = run.state.reports[-1].id
            run.command(c.ReviewReport(actor="staff", report_id=report_id, decision=c.Decision.accept))
        run.check_invariants()
        expected = ConclusionStatus.closed if n == len(order) - 1 else ConclusionStatus.active
        assert run.state.status == expected
        run.advance(data.draw(st.sampled_from([0, 10, 3600])))
    assert [n.step for n in run.state.notifications if n.step == Step.closing] == [Step.closing]
    assert run.refused == 0


def spec_targets(state: ConclusionState) -> list[str]:
    return [t.id for t in ladder.targets(state)]


# ---------------------------------------------------------------- planning and slugs


days = st.dates(min_value=date(2018, 1, 1), max_value=date(2030, 12, 31))


@settings(max_examples=100, deadline=None)
@given(days)
def test_han_ngay_luon_la_cuoi_ngay_lam_viec_dau_tien_tu_ngay_do(day: date) -> None:
    due = PLANNER.due(DueRule(start_day=date(2018, 1, 1), due=day), T0)
    assert due == end_of(due.year, due.month, due.day)
    assert CALENDAR.is_working_day(due.date())
    assert due.date() >= day
    assert all(not CALENDAR.is_working_day(day + timedelta(days=k)) for k in range((due.date() - day).days))


@settings(max_examples=60, deadline=None)
@given(days)
def test_cac_bac_cua_thang_mac_dinh_theo_thu_tu_luc_8_gio(day: date) -> None:
    schedule = PLANNER.schedule(DueRule(start_day=date(2018, 1, 1), due=day), DEFAULT_POLICY, T0)
    times = [s.at for s in schedule.steps]
    assert times == sorted(times)
    assert all(t.hour == 8 and t.minute == 0 for t in times)
    by_index = {s.index: s.at.date() for s in schedule.steps}
    due_day = schedule.due.date()
    assert CALENDAR.working_days_between(by_index[0], due_day) == 7
    assert CALENDAR.working_days_between(by_index[1], due_day) == 1
    assert CALENDAR.working_days_between(due_day, by_index[3]) == 5
    assert all(CALENDAR.is_working_day(d) for d in by_index.values())


VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxyàáạảãầấậẩẫằắặẳẵèéẹẻẽềếệểễìíịỉĩòóọỏõồốộổỗờớợởỡùúụủũừứựửữỳýỵỷỹ"
numbers = st.text(alphabet=VIETNAMESE + VIETNAMESE.upper() + "0123456789/-. –", min_size=3, max_size=40).filter(
    lambda s: any(ch.isalnum() for ch in s)
)


@settings(max_examples=100, deadline=None)
@given(numbers, days)
def test_slug_so_ket_luan_luon_la_ascii_on_dinh(number: str, issued: date) -> None:
    slug = conclusion_slug(number, issued)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug), slug
    assert slug.endswith(f"-{issued.year}")
    assert conclusion_slug(unicodedata.normalize("NFD", number), issued) == slug  # composed or not, same id
    assert conclusion_slug(number.upper(), issued) == slug


def test_bat_bien_cung_dung_cho_vi_du_da_biet() -> None:
    # A fixed history, for a readable failure if the property above ever breaks.
    spec = parse_spec(
        spec_dict(
            units=[
                {
                    "code": "don-vi-0",
                    "name": "A",
                    "contacts": ["a@a.vn"],
                    "head": "ta@a.vn",
                    "report_due": "2025-06-03T10:00:00+07:00",
                },
                {"code": "don-vi-1", "name": "B", "contacts": ["b@b.vn"], "report_due": "2025-06-03T10:00:00+07:00"},
            ],
            actions=[
                {"id": "kn-0-0", "unit": "don-vi-0", "text": "x", "due": "2025-06-03T09:05:00+07:00"},
                {"id": "kn-1-0", "unit": "don-vi-1", "text": "y", "due": "2025-06-03T09:10:00+07:00"},
            ],
        )
    )
    run = Run(state=transitions.new_conclusion(spec, plan(spec, T0, SUB_DAY), T0, "staff"), now=T0)
    for op in [
        ("advance", 560),
        ("submit", 0),
        ("request_extension", 1, 2),
        ("decide_extension", 0, True),
        ("advance", 3 * 86400),
        ("review", 0, False),
        ("advance", 60),
        ("waive", 0),
        ("transfer", 1),
        ("submit_report", 0),
        ("review_report", 0, True),
        ("submit_report", 1),
        ("review_report", 0, True),
        ("advance", 10),
    ]:
        run.operate(op)
        run.check_invariants()
    assert run.extensions_approved == 1
    assert run.state.status == ConclusionStatus.closed
    versions = {n.due_version for n in run.state.notifications if n.target == "kn-1-0"}
    assert versions == {1, 2}
    assert [n.step for n in run.state.notifications].count(Step.closing) == 1
