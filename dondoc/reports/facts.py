"""What the registers, statistics and reports know of each action, read once from the SQL read model.

The judgements they share live here, so the register, the statistics and the follow-up report never disagree:
- the due date in force at a moment (an approved extension counts from the moment it was decided);
- the due date an outcome is judged against: an extension granted before the due date in force passed moves it;
  one granted after it had passed does not undo the lateness;
- when an action was completed: when the unit sent the evidence that was then accepted (the inspectorate's review
  time is not the unit's delay); waived and transferred actions end when staff decided so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from dondoc.refs import ref_order
from models.state import ActionStatus
from models.tables import (
    ActionRow,
    ConclusionRow,
    EvidenceRow,
    ExtensionRequestRow,
    NotificationRow,
    UnitRow,
)

RESOLVED = (ActionStatus.done.value, ActionStatus.waived.value, ActionStatus.transferred.value)
UNRESOLVED = (ActionStatus.open.value, ActionStatus.evidence_submitted.value)
T = TypeVar("T")


def days_late(due: datetime, moment: datetime) -> int:
    """Days past `due` at `moment`, a started day counting as one (as on the pages); 0 when not past."""
    if moment <= due:
        return 0
    return (moment - due).days + 1


@dataclass
class ActionFacts:
    conclusion: ConclusionRow
    unit: UnitRow
    action: ActionRow
    evidence: list[EvidenceRow] = field(default_factory=list)  # every submission, oldest first
    extensions: list[ExtensionRequestRow] = field(default_factory=list)  # approved ones, in the order decided
    letters: list[NotificationRow] = field(default_factory=list)  # the unit's copies sent that list this action

    @property
    def accepted(self) -> list[EvidenceRow]:
        return [e for e in self.evidence if e.status == "accepted"]

    @property
    def original_due(self) -> datetime:
        first = self.action.original_due or self.action.due
        assert first is not None
        return first

    @property
    def resolved(self) -> bool:
        return self.action.status in RESOLVED

    def due_at(self, moment: datetime) -> datetime:
        """The due date in force at `moment`: the last extension decided by then, else the original one."""
        due = self.original_due
        for extension in self.extensions:
            decided, granted = extension.decided_at, extension.granted_due
            if decided is not None and granted is not None and decided <= moment:
                due = granted
        return due

    @property
    def judged_due(self) -> datetime:
        """The due date the outcome is judged against: extensions count while granted before the due in force
        passed; once it had passed, a later extension does not make the action on time."""
        due = self.original_due
        for extension in self.extensions:
            if extension.decided_at is None or extension.granted_due is None:
                continue
            if extension.decided_at > due:
                break
            due = extension.granted_due
        return due

    @property
    def completed_at(self) -> datetime | None:
        """When the unit completed the action: the submission of the evidence accepted last; for waived and
        transferred actions, the decision."""
        if not self.resolved:
            return None
        if self.action.status == ActionStatus.done.value:
            accepted = [e for e in self.accepted if e.submitted_at is not None]
            if accepted:
                return max(accepted, key=lambda e: e.reviewed_at or e.submitted_at or self.original_due).submitted_at
        return self.action.resolved_at

    @property
    def accepted_on(self) -> datetime | None:
        """When the inspectorate accepted the evidence that made the action done."""
        if self.action.status != ActionStatus.done.value:
            return None
        times = [e.reviewed_at for e in self.accepted if e.reviewed_at is not None]
        return max(times) if times else self.action.resolved_at

    @property
    def late(self) -> bool:
        """Done after the due date it is judged against."""
        done = self.completed_at
        return self.action.status == ActionStatus.done.value and done is not None and done > self.judged_due

    def resolved_by(self, moment: datetime) -> bool:
        return self.resolved and self.action.resolved_at is not None and self.action.resolved_at <= moment

    def followed(self, moment: datetime) -> bool:
        """Still followed up at `moment`: its conclusion neither closed nor withdrawn by then."""
        closed = self.conclusion.closed_at
        return closed is None or closed > moment

    def overdue_at(self, moment: datetime) -> bool:
        """Unresolved and past the due date in force at `moment`, while its conclusion was still followed."""
        return not self.resolved_by(moment) and self.followed(moment) and self.due_at(moment) < moment

    def days_overdue(self, now: datetime) -> int:
        """For an unresolved action, days past due now; for one done late, days late when completed."""
        if not self.resolved:
            return days_late(self.due_at(now), now) if self.followed(now) else 0
        done = self.completed_at
        if self.late and done is not None:
            return days_late(self.judged_due, done)
        return 0

    def recovered_by(self, moment: datetime) -> int:
        """Money recovered, as accepted evidence said, by `moment`."""
        return sum(e.recovered_vnd or 0 for e in self.accepted if e.reviewed_at is not None and e.reviewed_at <= moment)


def load(engine: Engine, workflow_ids: Iterable[str] | None) -> list[ActionFacts]:
    """Every action of the conclusions `workflow_ids` (None: all) with its evidence, approved extensions and the
    letters sent to its unit that list it; in the conclusions' order, then as each conclusion numbers its items."""
    ids = None if workflow_ids is None else sorted(set(workflow_ids))
    if ids is not None and not ids:
        return []
    with Session(engine) as session:
        conclusions = {c.workflow_id: c for c in session.exec(_scoped(select(ConclusionRow), ConclusionRow, ids))}
        units = {(u.workflow_id, u.code): u for u in session.exec(_scoped(select(UnitRow), UnitRow, ids))}
        actions = list(session.exec(_scoped(select(ActionRow), ActionRow, ids)))
        evidence = list(
            session.exec(_scoped(select(EvidenceRow), EvidenceRow, ids).order_by(col(EvidenceRow.submitted_at)))
        )
        approved = list(
            session.exec(
                _scoped(select(ExtensionRequestRow), ExtensionRequestRow, ids)
                .where(ExtensionRequestRow.status == "approved", col(ExtensionRequestRow.decided_at).is_not(None))
                .order_by(col(ExtensionRequestRow.decided_at))
            )
        )
        letters = list(
            session.exec(
                _scoped(select(NotificationRow), NotificationRow, ids)
                .where(NotificationRow.status == "sent", NotificationRow.audience == "unit")
                .order_by(col(NotificationRow.sent_at))
            )
        )
    by_action: dict[tuple[str, str], ActionFacts] = {}
    for action in sorted(actions, key=lambda a: (a.workflow_id, ref_order(a.ref), a.action_id)):
        unit = units.get((action.workflow_id, action.unit))
        conclusion = conclusions.get(action.workflow_id)
        if unit is not None and conclusion is not None:
            by_action[(action.workflow_id, action.action_id)] = ActionFacts(conclusion, unit, action)
    for ev in evidence:
        if (found := by_action.get((ev.workflow_id, ev.action_id))) is not None:
            found.evidence.append(ev)
    for request in approved:
        if (found := by_action.get((request.workflow_id, request.action_id))) is not None:
            found.extensions.append(request)
    for letter in letters:
        for item in letter.items:
            if (found := by_action.get((letter.workflow_id, item))) is not None:
                found.letters.append(letter)
    order = {c.workflow_id: i for i, c in enumerate(sorted(conclusions.values(), key=_conclusion_order))}
    return sorted(by_action.values(), key=lambda f: order[f.conclusion.workflow_id])


def _conclusion_order(c: ConclusionRow) -> tuple[date, str]:
    return (c.issued_on, c.number)


def _scoped(query: SelectOfScalar[T], table: Any, ids: list[str] | None) -> SelectOfScalar[T]:
    return query if ids is None else query.where(col(table.workflow_id).in_(ids))
