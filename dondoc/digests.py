"""What the daily emails say, built from read-model rows (pure: no database, clock or network).

The overdue digest goes to each supervisor, unit head, agency head and head of the inspectorate, listing across
every active conclusion that concerns them the overdue items grouped by conclusion and unit, with days overdue and
the letters sent so far. The review queue goes to each officer, listing what awaits their review, oldest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from models.planning import report_target
from models.tables import (
    ActionRow,
    ConclusionRow,
    EvidenceRow,
    ExtensionRequestRow,
    NotificationRow,
    ReportRow,
    UnitRow,
)
from models.vn import VN

UNRESOLVED = frozenset({"open", "evidence_submitted"})
REPORT_PENDING = frozenset({"awaited", "returned"})
LADDER_STEPS = frozenset({"reminder", "overdue", "urging", "second_urging", "proposal"})


def local_day(moment: datetime) -> date:
    return moment.astimezone(VN).date()


def days_between(earlier: datetime, now: datetime) -> int:
    """Whole days from `earlier`'s day to `now`'s day in Vietnam (a deadline at 23:59 yesterday: 1 day)."""
    return max((local_day(now) - local_day(earlier)).days, 0)


# ---------------------------------------------------------------- the overdue digest


@dataclass(frozen=True)
class OverdueItem:
    target: str  # the action id, or the unit's report target
    ref: str | None
    text: str
    due: datetime
    days_overdue: int
    last_step: str | None  # the last ladder step a letter was sent for
    is_report: bool = False
    due_assumed: bool = False  # the conclusion sets no deadline: this one is the follow-up's assumption


@dataclass(frozen=True)
class SentLetter:
    step: str
    sent_at: datetime


@dataclass
class UnitSection:
    code: str
    name: str
    items: list[OverdueItem]
    letters: list[SentLetter]


@dataclass
class ConclusionSection:
    workflow_id: str
    number: str
    title: str
    units: list[UnitSection]

    @property
    def item_count(self) -> int:
        return sum(len(u.items) for u in self.units)


@dataclass
class OverdueDigest:
    email: str
    reasons: list[str]  # why this person receives it, one phrase per role held
    conclusions: list[ConclusionSection] = field(default_factory=list)

    @property
    def item_count(self) -> int:
        return sum(c.item_count for c in self.conclusions)


def concerned(email: str, conclusion: ConclusionRow, units: Iterable[UnitRow]) -> tuple[bool, set[str], list[str]]:
    """Whether `email` sees the whole conclusion (its heads), which units it sees (head or supervisor), and why."""
    whole, codes, reasons = False, set(), []
    if conclusion.inspectorate_head == email:
        whole = True
        reasons.append(f"Chánh Thanh tra theo dõi kết luận {conclusion.number}")
    if conclusion.agency_head == email:
        whole = True
        reasons.append(f"thủ trưởng cơ quan quản lý nhà nước chỉ đạo thực hiện kết luận {conclusion.number}")
    for unit in units:
        if unit.head == email:
            codes.add(unit.code)
            reasons.append(f"thủ trưởng {unit.name} (kết luận {conclusion.number})")
        if unit.supervisor == email:
            codes.add(unit.code)
            reasons.append(f"cơ quan cấp trên của {unit.name} (kết luận {conclusion.number})")
    return whole, codes, reasons


def overdue_items(unit: UnitRow, actions: Iterable[ActionRow], now: datetime) -> list[OverdueItem]:
    """The unit's unresolved actions past due and its follow-up report if late, most overdue first."""
    items = [
        OverdueItem(a.action_id, a.ref, a.text, a.due, days_between(a.due, now), a.last_step, due_assumed=a.due_assumed)
        for a in actions
        if a.unit == unit.code and a.status in UNRESOLVED and a.due is not None and a.due < now
    ]
    if unit.report_status in REPORT_PENDING and unit.report_due is not None and unit.report_due < now:
        text = "Báo cáo kết quả thực hiện kết luận thanh tra"
        due = unit.report_due
        items.append(
            OverdueItem(
                report_target(unit.code),
                None,
                text,
                due,
                days_between(due, now),
                unit.report_last_step,
                True,
                unit.report_due_assumed,
            )
        )
    return sorted(items, key=lambda i: (i.due, i.ref or "", i.target))


def letters_sent(unit: UnitRow, outbox: Iterable[NotificationRow]) -> list[SentLetter]:
    """The ladder letters the unit's own copy really went out for, oldest first (one per letter)."""
    seen: dict[str, SentLetter] = {}
    for row in outbox:
        if row.unit != unit.code or row.status != "sent" or row.step not in LADDER_STEPS or row.sent_at is None:
            continue
        key = row.letter_key or row.key
        if key not in seen or row.sent_at < seen[key].sent_at:
            seen[key] = SentLetter(row.step, row.sent_at)
    return sorted(seen.values(), key=lambda s: s.sent_at)


def overdue_digest(
    email: str,
    conclusions: Sequence[ConclusionRow],
    units: Sequence[UnitRow],
    actions: Sequence[ActionRow],
    outbox: Sequence[NotificationRow],
    now: datetime,
) -> OverdueDigest:
    """One person's digest from the rows of the conclusions that may concern them; empty when nothing is overdue."""
    digest = OverdueDigest(email, [])
    for conclusion in sorted(conclusions, key=lambda c: (c.issued_on, c.number)):
        if conclusion.status != "active":
            continue
        wid = conclusion.workflow_id
        own_units = sorted((u for u in units if u.workflow_id == wid), key=lambda u: u.name)
        whole, codes, reasons = concerned(email, conclusion, own_units)
        if not whole and not codes:
            continue
        own_actions = [a for a in actions if a.workflow_id == wid]
        own_outbox = [n for n in outbox if n.workflow_id == wid]
        sections = []
        for unit in own_units:
            if not whole and unit.code not in codes:
                continue
            items = overdue_items(unit, own_actions, now)
            if items:
                sections.append(UnitSection(unit.code, unit.name, items, letters_sent(unit, own_outbox)))
        if sections:
            digest.reasons += reasons
            digest.conclusions.append(ConclusionSection(wid, conclusion.number, conclusion.title, sections))
    return digest


def digest_recipients(conclusions: Iterable[ConclusionRow], units: Iterable[UnitRow]) -> set[str]:
    """Everyone an overdue digest may go to: the heads of active conclusions and their units' heads and supervisors."""
    active = {c.workflow_id for c in conclusions if c.status == "active"}
    found = {e for c in conclusions if c.workflow_id in active for e in (c.inspectorate_head, c.agency_head)}
    found |= {e for u in units if u.workflow_id in active for e in (u.head, u.supervisor) if e}
    return {e.lower() for e in found if e}


# ---------------------------------------------------------------- the review queue


@dataclass(frozen=True)
class WaitingItem:
    kind: str  # evidence | report | extension
    workflow_id: str
    number: str  # the conclusion's
    unit_name: str
    item_id: str  # the evidence, report or request id
    about: str  # what it is about: the action (with its number) or the unit's report
    submitted_by: str
    submitted_at: datetime
    days_waiting: int


@dataclass
class ReviewQueue:
    email: str
    numbers: list[str]  # the conclusions this person is an officer of (why they receive it)
    items: list[WaitingItem] = field(default_factory=list)


def _about(action: ActionRow | None, fallback: str) -> str:
    if action is None:
        return fallback
    return f"{action.ref}. {action.text}" if action.ref else action.text


def review_queue(
    email: str,
    conclusions: Sequence[ConclusionRow],
    units: Sequence[UnitRow],
    actions: Sequence[ActionRow],
    evidence: Sequence[EvidenceRow],
    reports: Sequence[ReportRow],
    requests: Sequence[ExtensionRequestRow],
    now: datetime,
) -> ReviewQueue:
    """What awaits `email`'s review in the active conclusions they are an officer of, oldest first."""
    mine = {c.workflow_id: c for c in conclusions if c.status == "active" and email in c.officers}
    queue = ReviewQueue(email, sorted(c.number for c in mine.values()))
    names = {(u.workflow_id, u.code): u.name for u in units}
    by_action = {(a.workflow_id, a.action_id): a for a in actions}

    def item(kind: str, wid: str, unit: str, item_id: str, about: str, by: str, at: datetime | None) -> None:
        if at is not None:
            name = names.get((wid, unit), unit)
            queue.items.append(
                WaitingItem(kind, wid, mine[wid].number, name, item_id, about, by, at, days_between(at, now))
            )

    for ev in evidence:
        if ev.workflow_id in mine and ev.status == "submitted":
            action = by_action.get((ev.workflow_id, ev.action_id))
            unit = action.unit if action else ""
            about = _about(action, ev.action_id)
            item("evidence", ev.workflow_id, unit, ev.evidence_id, about, ev.submitted_by, ev.submitted_at)
    for rp in reports:
        if rp.workflow_id in mine and rp.status == "submitted":
            about = "Báo cáo kết quả thực hiện kết luận thanh tra"
            item("report", rp.workflow_id, rp.unit, rp.report_id, about, rp.submitted_by, rp.submitted_at)
    for rq in requests:
        if rq.workflow_id in mine and rq.status == "requested":
            action = by_action.get((rq.workflow_id, rq.action_id))
            unit = action.unit if action else ""
            about = _about(action, rq.action_id)
            item("extension", rq.workflow_id, unit, rq.request_id, about, rq.requested_by, rq.requested_at)
    queue.items.sort(key=lambda i: (i.submitted_at, i.workflow_id, i.item_id))
    return queue


def officers_of(conclusions: Iterable[ConclusionRow]) -> set[str]:
    return {o.lower() for c in conclusions if c.status == "active" for o in c.officers}
