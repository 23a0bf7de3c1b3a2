"""The escalation ladder over time: which notices are due now, when to wake up next, what is overdue.

Pure functions of a state and a time; no Temporal, clock, database or network.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from models.planning import report_target
from models.policy import Role, Step
from models.state import (
    ActionState,
    ActionStatus,
    ConclusionState,
    ConclusionStatus,
    NotificationRecord,
    ReportStatus,
    ScheduledStep,
    Tracked,
    UnitState,
)


@dataclass(frozen=True)
class Target:
    """One deadline that climbs the ladder: an action, or a unit's follow-up report (`report:<unit>`)."""

    id: str
    unit: UnitState
    tracked: Tracked
    action: ActionState | None

    @property
    def climbing(self) -> bool:
        """Whether the ladder applies: the ball is in the unit's court."""
        if self.action is not None:
            return self.action.status == ActionStatus.open
        return self.unit.report_status in (ReportStatus.awaited, ReportStatus.returned)

    @property
    def unresolved(self) -> bool:
        if self.action is not None:
            return self.action.status in (ActionStatus.open, ActionStatus.evidence_submitted)
        return self.unit.report_status != ReportStatus.accepted


@dataclass(frozen=True)
class Notification:
    """A notice to send, with the key that makes sending it idempotent."""

    key: str
    target: str
    unit: str
    action_id: str | None
    step: Step
    step_index: int
    due_version: int
    due: datetime | None
    to: list[str]
    cc: list[str]


def targets(state: ConclusionState) -> Iterator[Target]:
    for action in state.actions.values():
        yield Target(action.id, state.units[action.unit], action, action)
    for unit in state.units.values():
        yield Target(report_target(unit.code), unit, unit, None)


def notification_key(workflow_id: str, target: str, due_version: int, index: int, step: Step) -> str:
    return f"{workflow_id}/{target}/v{due_version}/{index}-{step.value}"


def closing_key(workflow_id: str) -> str:
    return f"{workflow_id}/closing"


def resolve_recipients(state: ConclusionState, unit: UnitState | None, names: list[str]) -> list[str]:
    """Roles become addresses (in order, without repeats); literal addresses pass through."""
    out: list[str] = []
    for name in names:
        if name == Role.contacts:
            found = list(unit.contacts) if unit else []
        elif name == Role.head:
            found = [unit.head] if unit and unit.head else []
        elif name == Role.supervisor:
            found = [unit.supervisor] if unit and unit.supervisor else []
        elif name == Role.inspectorate_head:
            found = [state.inspectorate_head]
        elif name == Role.agency_head:
            found = [state.agency_head]
        else:
            found = [name]
        out += [a for a in found if a not in out]
    return out


def _sent_keys(state: ConclusionState) -> set[str]:
    return {n.key for n in state.notifications}


def _latest_passed(steps: list[ScheduledStep], now: datetime) -> ScheduledStep | None:
    passed = [s for s in steps if s.at <= now]
    return passed[-1] if passed else None


def due_notifications(state: ConclusionState, now: datetime) -> list[Notification]:
    """The notices to send at `now`: per target only the latest step that has come, never the backlog."""
    sent = _sent_keys(state)
    if state.status == ConclusionStatus.closed:
        key = closing_key(state.workflow_id)
        if key in sent:
            return []
        everyone = resolve_recipients(state, None, [Role.inspectorate_head, Role.agency_head])
        units = [resolve_recipients(state, u, [Role.contacts, Role.head]) for u in state.units.values()]
        to = [a for group in units for a in group]
        to = list(dict.fromkeys(to))
        cc = [a for a in everyone if a not in to]
        return [Notification(key, "conclusion", "", None, Step.closing, 0, 0, None, to, cc)]
    if state.status != ConclusionStatus.active:
        return []
    due = [_again(record) for record in state.notifications if record.key in state.resend_keys]
    for target in targets(state):
        if not target.climbing:
            continue
        step = _latest_passed(target.tracked.schedule.steps, now)
        if step is None:
            continue
        key = notification_key(state.workflow_id, target.id, target.tracked.due_version, step.index, step.step)
        if key in sent:
            continue
        cc = resolve_recipients(state, target.unit, step.cc)
        # A step whose roles are all missing for this unit (no head, no supervisor) still reaches someone.
        to = resolve_recipients(state, target.unit, step.to) or cc or list(target.unit.contacts)
        due.append(
            Notification(
                key=key,
                target=target.id,
                unit=target.unit.code,
                action_id=target.action.id if target.action else None,
                step=step.step,
                step_index=step.index,
                due_version=target.tracked.due_version,
                due=target.tracked.due,
                to=to,
                cc=[a for a in cc if a not in to],
            )
        )
    return due


def _again(record: NotificationRecord) -> Notification:
    """A failed notice, as it was, to be sent again."""
    return Notification(
        key=record.key,
        target=record.target,
        unit=record.unit,
        action_id=record.action_id,
        step=record.step,
        step_index=record.step_index,
        due_version=record.due_version,
        due=record.due,
        to=record.to,
        cc=record.cc,
    )


def next_wakeup(state: ConclusionState, now: datetime) -> datetime | None:
    """The earliest moment something changes: `now` when a notice is already due (e.g. its time passed while
    other notices were being sent), else the next ladder step or deadline passing."""
    if due_notifications(state, now):
        return now
    if state.status != ConclusionStatus.active:
        return None
    moments: list[datetime] = []
    for target in targets(state):
        if target.climbing:
            moments += [s.at for s in target.tracked.schedule.steps if s.at > now]
        if target.unresolved and target.tracked.due > now:
            moments.append(target.tracked.due)
    return min(moments, default=None)


def overdue_actions(state: ConclusionState, now: datetime) -> list[ActionState]:
    if state.status != ConclusionStatus.active:
        return []
    return [
        a
        for a in state.actions.values()
        if a.status in (ActionStatus.open, ActionStatus.evidence_submitted) and a.due < now
    ]


def next_deadline(state: ConclusionState, now: datetime) -> datetime | None:
    if state.status != ConclusionStatus.active:
        return None
    return min((t.tracked.due for t in targets(state) if t.unresolved and t.tracked.due > now), default=None)
