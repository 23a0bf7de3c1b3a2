"""Properties of the follow-up rules under random histories (hypothesis).

A small random conclusion (2-3 units, 1-4 actions each, exact due times) is driven through a random sequence of
commands and clock advances, the way the workflow shell does it: after every command and at every wake-up, every
letter due is planned and settled. After each step the invariants of docs/architecture.md and docs/domain.md must
hold: one letter per unit and step, each item at most once per step and due version, steps only going up, no jump
up the ladder past the deadline, letters only in office hours and never before their time (or grouping window).

A second property registers conclusions with whole-day deadlines at random moments (often years late) and stops
the worker for random stretches: the same invariants hold, a late item starts at the overdue notice, and every
item ends having climbed each post-deadline step exactly once.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dondoc.spec_loader import parse_spec
from models import commands as c
from models.office import OfficeCalendar, next_office_moment
from models.planning import DueRule
from models.policy import DEFAULT_POLICY, Policy, PolicyStep, Step
from models.spec import ActionSpec, ConclusionSpec, conclusion_slug
from models.state import (
    RESOLVED_ACTION,
    ConclusionState,
    ConclusionStatus,
    ExtensionStatus,
    LetterRecord,
    NotificationStatus,
    ReviewStatus,
)
from tests.rules.factories import (
    ANY_TIME,
    CALENDAR,
    OFFICE,
    PLANNER,
    VN,
    at,
    end_of,
    files,
    gathered_at,
    plan,
    schedule_for,
    spec_dict,
    targets_of,
)
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


OFFICES = [
    ANY_TIME,
    OFFICE,
    OfficeCalendar(window_seconds=0),
    OfficeCalendar(enabled=False, window_seconds=30),
]

Conclusion = tuple[ConclusionSpec, Policy, OfficeCalendar]


@st.composite
def conclusions(draw: st.DrawFn) -> Conclusion:
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
    return spec, draw(st.sampled_from([SUB_DAY, DEFAULT_POLICY])), draw(st.sampled_from(OFFICES))


def start(conclusion: Conclusion) -> Run:
    spec, default_policy, office = conclusion
    state = transitions.new_conclusion(spec, plan(spec, T0, default_policy, office), T0, "staff")
    return Run(state=state, now=T0)


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
    letters: list[LetterRecord] = field(default_factory=list)
    failures: frozenset[int] = frozenset()  # the letters (in order) that fail for good
    batches: int = 0
    updates: int = 0

    # ------------------------------------------------------------ the loop: plan all due, settle

    def send_due(self) -> None:
        before = self.state.model_dump()
        due = ladder.due_letters(self.state, self.now)
        assert self.state.model_dump() == before, "due_letters is pure"
        assert due == ladder.due_letters(self.state, self.now), "and deterministic"
        pairs = [(d.unit, d.step) for d in due]
        assert len(pairs) == len(set(pairs)), "one letter per unit and step"
        items = [t for d in due for t in targets_of(d)]
        assert len(items) == len(set(items)), "an item is in one letter at a time"
        gathered = gathered_at(self.state, self.now)
        assert gathered[: len(due)] == due, "gathering keeps every letter due now as it is"
        assert not {d.unit for d in gathered[len(due) :]} & {d.unit for d in due}, "and adds other units' only"
        assert len([t for d in gathered for t in targets_of(d)]) == len({t for d in gathered for t in targets_of(d)})
        for letter in due:
            self.check_may_send(letter)
        version = self.state.version
        planned = transitions.plan_letters(self.state, due, self.now)
        self.batches += 1 if due else 0
        assert len(planned) == len(due)
        assert self.state.version == version + (1 if due else 0)
        assert ladder.due_letters(self.state, self.now) == [], "planned: not due again"
        for record in planned:
            self.settle(record)

    def settle(self, record: LetterRecord) -> None:
        assert record.key not in self.sent_keys, f"planned twice: {record.key}"
        self.sent_keys.add(record.key)
        version = self.state.version
        before = {i.target: self.position(i.target) for i in record.items}
        failed = len(self.letters) in self.failures
        status = NotificationStatus.failed if failed else NotificationStatus.sent
        assert transitions.settle_letter(self.state, record.key, status, "550" if failed else "", self.now) is record
        assert self.state.version > version
        for item in record.items:
            after = self.position(item.target)
            assert after >= before[item.target], "steps only go up"
            found = ladder.target(self.state, item.target)
            assert found is not None
            if item.due_version == found.tracked.due_version:
                reached = [s.index for s in found.tracked.schedule.steps].index(item.step_index)
                assert after[1] == reached, "the item stands at the step its letter carried, sent or failed"
        self.letters.append(record)

    def position(self, target_id: str) -> tuple[int, int]:
        """(due version, position in its schedule of the last step reached)."""
        found = ladder.target(self.state, target_id)
        assert found is not None
        tracked = found.tracked
        indexes = [s.index for s in tracked.schedule.steps]
        last = indexes.index(tracked.last_step_index) if tracked.last_step_index is not None else -1
        return tracked.due_version, last

    def check_may_send(self, letter: ladder.DueLetter) -> None:
        state = self.state
        assert letter.to, "a letter always reaches someone"
        assert set(letter.to).isdisjoint(letter.cc)
        if letter.step == Step.closing:
            assert state.status == ConclusionStatus.closed
            assert letter.items == []
            return
        assert state.status == ConclusionStatus.active
        calendar = state.calendar
        assert next_office_moment(calendar, self.now) == self.now, "letters go in office hours on working days"
        for item in letter.items:
            found = ladder.target(state, item.target)
            assert found is not None and found.unit.code == letter.unit
            # returned after its deadline: the ladder takes it up again, the step it had reached once more at most
            resumed = found.tracked.resume_at
            once = (item.target, item.due_version, item.step_index)
            assert resumed is not None or once not in self.sent_once, f"step sent twice for one due version: {once}"
            self.sent_once.add(once)
            assert found.climbing, "nothing is sent for a resolved or reviewed item"
            tracked = found.tracked
            assert item.due_version == tracked.due_version, "letters use the current due version"
            assert state.policy.steps[item.step_index].step == letter.step
            steps = tracked.schedule.steps
            position = [s.index for s in steps].index(item.step_index)
            last = self.position(item.target)[1]
            again = resumed is not None and position == last
            assert position > last or again, "only forward (or, after a return at the top, the same step once more)"
            step = steps[position]
            if again:
                pass  # the step once more, no earlier than its gap after the return (checked below)
            elif step.at >= tracked.due:
                # a post-deadline step: the first one not reached yet, never a jump up the ladder
                assert all(s.at < tracked.due for s in steps[last + 1 : position]), "no jump"
            else:
                assert self.now < tracked.due, "no reminder past the deadline"
                later = [s for s in steps[position + 1 :] if s.at <= self.now and s.at < tracked.due]
                assert not later, "only the latest reminder that has come"
            # never before its time (nor before its gap after the letter before it), except when it joins a letter
            # of the same grouping window
            earliest = step.at
            if last >= 0 and steps[last].at >= tracked.due and tracked.last_letter_at is not None:
                offsets = state.policy.steps[step.index].offset - state.policy.steps[steps[last].index].offset
                earliest = max(earliest, tracked.last_letter_at + min(offsets, step.at - steps[last].at))
            if resumed is not None:
                earliest = max(earliest, resumed)
            own = next_office_moment(calendar, earliest)
            if calendar.window_seconds is not None:
                assert own <= self.now + timedelta(seconds=calendar.window_seconds)
            else:
                assert own.astimezone(VN).date() <= self.now.astimezone(VN).date()

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
            before = state.model_dump()
            with pytest.raises(RuleViolation):
                transitions.apply(state, command, self.now, "refused", None)
            assert state.model_dump() == before, "a refused command changes nothing"
            self.refused += 1
            return
        self.updates += 1
        update_id = f"upd-{self.updates}"
        schedule = schedule_for(state, command, self.now)
        old = state.model_copy(deep=True)
        new = transitions.apply(state, command, self.now, update_id, schedule)
        assert new is state, "applied in place"
        assert new.version > old.version, "every change bumps the version"
        assert new.version - old.version == len(new.events) - len(old.events), "one version per event"
        assert any(e.actor == command.actor for e in new.events[len(old.events) :])
        snapshot = new.model_dump()
        assert transitions.apply(new, command, self.now, update_id, schedule) is new
        assert new.model_dump() == snapshot, "same update id: no change"
        transitions.check(new, command, update_id)
        if isinstance(command, c.DecideExtension) and command.approve:
            request = next(r for r in old.extension_requests if r.id == command.request_id)
            previous, replanned = old.actions[request.action_id], new.actions[request.action_id]
            assert replanned.due_version == previous.due_version + 1
            assert schedule is not None and replanned.schedule == schedule
            assert replanned.due > previous.due
            assert replanned.last_step is None
            self.extensions_approved += 1
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
        keys = [n.key for n in state.letters]
        assert len(keys) == len(set(keys)), "no two letters share a key"
        assert all(n.status != NotificationStatus.pending for n in state.letters), "every planned letter settled"
        complete = transitions.is_complete(state)
        if state.status == ConclusionStatus.closed:
            assert complete and state.closed_at is not None
        elif state.status == ConclusionStatus.active:
            assert not complete, "closing happens as soon as everything is resolved"
        assert [e.seq for e in state.events] == list(range(1, len(state.events) + 1))
        assert state.version == len(state.events) + self.batches, "every change bumps the version once"
        for record in self.letters:
            for item in record.items:
                if item.target in state.actions:
                    action = state.actions[item.target]
                    assert action.resolved_at is None or record.planned_at <= action.resolved_at
        unresolved = [a for a in state.actions.values() if a.status not in RESOLVED_ACTION]
        assert ladder.figures(state, self.now) == ladder.Figures(
            open_actions=len(unresolved),
            overdue_actions=len(ladder.overdue_actions(state, self.now)),
            next_deadline=ladder.next_deadline(state, self.now),
        ), "the header's figures in one pass are what the lists say"
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
        for unit in state.units.values():
            sent = [n.key for n in self.letters if n.unit == unit.code and n.status == NotificationStatus.sent]
            kept = sent[len(sent) - min(len(sent), transitions.KEEP_UNIT_LETTERS) :]
            assert [r.key for r in unit.letters] == kept, "a unit's letters are the latest really sent to it"


@PROPERTY_SETTINGS
@given(conclusions(), operations, st.booleans())
def test_lich_su_ngau_nhien_giu_moi_bat_bien(conclusion: Conclusion, ops: list[Any], wrap_up: bool) -> None:
    run = start(conclusion)
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
    closing = [n for n in run.letters if n.step == Step.closing]
    assert len(closing) == (1 if run.state.status == ConclusionStatus.closed else 0)
    assert ladder.due_letters(run.state, run.now + timedelta(days=365)) == [] or (
        run.state.status == ConclusionStatus.active
    )


@QUICK_SETTINGS
@given(conclusions())
def test_khong_ai_lam_gi_thi_moi_muc_tieu_nhan_bac_cuoi_cung_dung_mot_lan(conclusion: Conclusion) -> None:
    run = start(conclusion)
    run.send_due()
    run.advance(90 * 86400)
    last = {i.target: n.step for n in run.letters for i in n.items}
    assert set(last) == set(spec_targets(run.state))
    assert all(step == Step.proposal for step in last.values()), "every target climbed to the top of the ladder"
    post = {(i.target, n.step) for n in run.letters for i in n.items if n.step != Step.reminder}
    assert len(post) == 4 * len(last), "every post-deadline step once for every target, none skipped"


@QUICK_SETTINGS
@given(conclusions(), st.data())
def test_hoan_thanh_tat_ca_theo_thu_tu_bat_ky_thi_ket_thuc_dung_luc(
    conclusion: Conclusion, data: st.DataObject
) -> None:
    run = start(conclusion)
    state = run.state
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
    assert [n.step for n in run.letters if n.step == Step.closing] == [Step.closing]
    assert run.refused == 0


def spec_targets(state: ConclusionState) -> list[str]:
    return [t.id for t in ladder.targets(state)]


# ---------------------------------------------------------------- late registrations and worker outages

Outage = tuple[datetime, datetime]


@dataclass
class Interrupted:
    """A conclusion with whole-day deadlines, registered at some moment (maybe years late), a worker that is down
    in some intervals (it wakes up when it is back), letters that fail for good, and extensions granted on the way."""

    spec: ConclusionSpec
    office: OfficeCalendar
    registered: datetime
    outages: list[Outage]
    failures: frozenset[int]
    extensions: list[tuple[datetime, int, int]]  # (when, which action, how many days later)


@st.composite
def interrupted(draw: st.DrawFn) -> Interrupted:
    issued = date(2025, 1, 2) + timedelta(days=draw(st.integers(min_value=0, max_value=365)))
    day = st.integers(min_value=0, max_value=400).map(lambda n: (issued + timedelta(days=n)).isoformat())
    units: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    for u in range(draw(st.integers(min_value=1, max_value=2))):
        code = f"don-vi-{u}"
        units.append(
            {
                "code": code,
                "name": f"Đơn vị {u}",
                "contacts": [f"vanthu{u}@dv{u}.example.vn"],
                "head": f"truong{u}@dv{u}.example.vn",
                "supervisor": "giamdoc@so.example.vn",
                "report_due": draw(day),
            }
        )
        for k in range(draw(st.integers(min_value=1, max_value=3))):
            actions.append({"id": f"kn-{u}-{k}", "unit": code, "text": f"Kiến nghị {u}.{k}", "due": draw(day)})
    spec = parse_spec(spec_dict(issued_on=issued.isoformat(), units=units, actions=actions))
    registered = datetime.combine(issued, time(0), VN) + timedelta(
        days=draw(st.integers(min_value=0, max_value=1000)), minutes=draw(st.integers(min_value=0, max_value=1439))
    )
    outages = sorted(
        (start, start + timedelta(hours=hours))
        for start, hours in draw(
            st.lists(
                st.tuples(
                    st.integers(min_value=0, max_value=500 * 86400).map(lambda n: registered + timedelta(seconds=n)),
                    st.integers(min_value=1, max_value=40 * 24),
                ),
                max_size=4,
            )
        )
    )
    extensions = sorted(
        draw(
            st.lists(
                st.tuples(
                    st.integers(min_value=0, max_value=400 * 86400).map(lambda n: registered + timedelta(seconds=n)),
                    st.integers(min_value=0, max_value=5),
                    st.integers(min_value=1, max_value=60),
                ),
                max_size=2,
            )
        )
    )
    failures = frozenset(draw(st.lists(st.integers(min_value=0, max_value=40), max_size=6)))
    office = draw(st.sampled_from([OFFICE, OfficeCalendar(window_seconds=0), ANY_TIME]))
    return Interrupted(spec, office, registered, outages, failures, extensions)


def back_up(moment: datetime, outages: list[Outage]) -> datetime:
    """When the worker runs again: `moment`, or the end of the outage (or chain of outages) it falls in."""
    for start, end in outages:
        if start <= moment < end:
            moment = end
    return moment


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(interrupted())
def test_dang_ky_muon_va_may_ngung_khong_gui_trung_khong_nhay_bac(case: Interrupted) -> None:
    state = transitions.new_conclusion(
        case.spec, plan(case.spec, case.registered, DEFAULT_POLICY, case.office), case.registered, "staff"
    )
    late = {t.id for t in ladder.targets(state) if t.tracked.due < case.registered}
    run = Run(state=state, now=case.registered, failures=case.failures)
    run.send_due()  # registration: the workflow starts and sends what is due at once
    last_due = max(t.tracked.due for t in ladder.targets(state))
    down = sum((end - start for start, end in case.outages), timedelta(0))
    last_extension = max((when for when, _, _ in case.extensions), default=case.registered)
    # time for a whole ladder after the last deadline, however late it was moved, and for every outage
    horizon = max(case.registered, last_due, last_extension) + timedelta(days=60 + 90) + down
    extensions = list(case.extensions)
    while True:
        wake = ladder.next_wakeup(run.state, run.now)
        moments = [m for m in (wake, extensions[0][0] if extensions else None) if m is not None]
        if not moments or min(moments) > horizon:
            break
        run.now = back_up(max(min(moments), run.now), case.outages)  # a worker that is down does nothing
        while extensions and extensions[0][0] <= run.now:
            _, i, days_later = extensions.pop(0)
            action = run.state.actions[sorted(run.state.actions)[i % len(run.state.actions)]]
            requested = (action.due + timedelta(days=days_later)).astimezone(VN).date()
            run.command(
                c.RequestExtension(actor="unit", action_id=action.id, requested_due=requested, reason="Chờ vốn")
            )
            pending = [r.id for r in run.state.extension_requests if r.status == ExtensionStatus.requested]
            for request_id in pending:
                run.command(c.DecideExtension(actor="staff", request_id=request_id, approve=True))
        run.send_due()
    run.check_invariants()
    event(f"trễ khi đăng ký: {'có' if late else 'không'}")
    event(f"máy ngưng: {len(case.outages)}")
    event(f"gia hạn: {run.extensions_approved}")
    # a conclusion registered after a deadline starts that item at the overdue notice, never higher
    for target in late:
        first = [n.step for n in run.letters for i in n.items if i.target == target and i.due_version == 1]
        assert first[:1] in ([], [Step.overdue]), f"{target} started at {first[0]}"  # [] when extended at once
    # in the end every item climbed every post-deadline rung of its current due version exactly once
    for found in ladder.targets(run.state):
        version = found.tracked.due_version
        rungs = [
            n.step
            for n in run.letters
            for i in n.items
            if i.target == found.id and i.due_version == version and n.step != Step.reminder
        ]
        assert rungs == [Step.overdue, Step.urging, Step.second_urging, Step.proposal], (found.id, rungs)


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
    run = start((spec, SUB_DAY, ANY_TIME))
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
    versions = {i.due_version for n in run.letters for i in n.items if i.target == "kn-1-0"}
    assert versions == {1, 2}
    assert [n.step for n in run.letters].count(Step.closing) == 1
