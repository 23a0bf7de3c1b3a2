"""The escalation ladder over time: which letters are due now, when to wake up next, what is overdue.

Vietnamese practice, as rules: one letter per unit and step listing every item of that unit that reached the step;
a conclusion registered late (or a worker that was down) starts at the first step that applies, never at the top;
each later step comes no earlier than its gap after the letter before it; letters go in office hours.

Pure functions of a state and a time; no Temporal, clock, database or network.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from models.office import next_office_moment, same_window
from models.planning import report_target
from models.policy import Role, Step
from models.state import (
    ActionState,
    ActionStatus,
    ConclusionState,
    ConclusionStatus,
    LetterItem,
    NotificationStatus,
    ReportStatus,
    ScheduledStep,
    Tracked,
    UnitState,
)

# Letters falling due within this long after one that is due go with it (`gather_letters`; a tenth of the
# policy's shortest step spacing at most). A step's moment is its gap after the earlier letter was sent, to the
# millisecond, so the letters one pass sent fall due milliseconds apart at the next step: together they wake the
# workflow once, not once per unit.
LETTER_SLACK = timedelta(seconds=5)


@dataclass(frozen=True)
class Target:
    """One deadline that climbs the ladder: an action, or a unit's follow-up report (`report.<unit>`)."""

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
class NextStep:
    """The next rung an item climbs, and the moment its letter may go out."""

    target: Target
    step: ScheduledStep
    at: datetime


@dataclass(frozen=True)
class DueLetter:
    """A letter to send now: one unit, one step, every item that reached it."""

    unit: str
    step: Step
    items: list[LetterItem]
    to: list[str]
    cc: list[str]


def targets(state: ConclusionState, units: Collection[str] | None = None) -> Iterator[Target]:
    """Every action and report of the conclusion, or only those of `units`."""
    for action in state.actions.values():
        if units is None or action.unit in units:
            yield Target(action.id, state.units[action.unit], action, action)
    for unit in state.units.values() if units is None else (state.units[u] for u in units if u in state.units):
        yield Target(report_target(unit.code), unit, unit, None)


def _deadlines_ahead(state: ConclusionState, now: datetime, units: Collection[str] | None = None) -> Iterator[datetime]:
    """The deadlines of unresolved items still to pass (as `targets` and `Target.unresolved`, without the objects)."""
    open_actions = (ActionStatus.open, ActionStatus.evidence_submitted)
    for action in state.actions.values():  # the cheap tests first: comparing times is the costly one
        if (units is None or action.unit in units) and action.status in open_actions and action.due > now:
            yield action.due
    for unit in state.units.values():
        if (units is None or unit.code in units) and unit.report_status != ReportStatus.accepted and unit.due > now:
            yield unit.due


def target(state: ConclusionState, target_id: str) -> Target | None:
    action = state.actions.get(target_id)
    if action is not None:
        return Target(action.id, state.units[action.unit], action, action)
    unit = next((u for u in state.units.values() if report_target(u.code) == target_id), None)
    return Target(target_id, unit, unit, None) if unit is not None else None


def letter_key(workflow_id: str, unit: str, step: Step, seq: int) -> str:
    return f"{workflow_id}/{unit}/{step.value}/{seq}"


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


def next_step(state: ConclusionState, item: Target, now: datetime) -> NextStep | None:
    """The rung `item` climbs next and when its letter may go, or None at the top of the ladder.

    Before the deadline only the latest reminder that has come is sent (an older one is moot). Past the deadline
    reminders are skipped and the steps after it are climbed one at a time, each no earlier than its gap after the
    letter before it really went: a late registration or an outage never jumps to the top, and a ladder sent on
    time keeps its scheduled days. After a return past the deadline (`resume_at`) the next step waits until then, and
    an item returned at the top gets the step it had reached once more. The moment is never before `now` and always
    in office hours (a letter overdue since the weekend goes when the office opens).
    """
    tracked = item.tracked
    steps = tracked.schedule.steps
    last = tracked.last_step_index
    position = next((i for i, s in enumerate(steps) if s.index == last), -1) if last is not None else -1
    rest = steps[position + 1 :]
    due = tracked.due
    before = [s for s in rest if s.at < due]
    after = [s for s in rest if s.at >= due]
    eligible: datetime
    if now < due and before:
        passed = [s for s in before if s.at <= now]
        chosen = passed[-1] if passed else before[0]
        eligible = chosen.at
    elif after:
        chosen = after[0]
        eligible = chosen.at
        previous = steps[position] if position >= 0 else None
        if previous is not None and previous.at >= due and tracked.last_letter_at is not None:
            # The policy's gap (the offsets' difference), but never more than the item's schedule spaces the two
            # steps: offsets mix working and calendar days (urging +5 working days, second urging +15 days), and
            # the bare difference would push a ladder sent on time past its scheduled days.
            offsets = state.policy.steps[chosen.index].offset - state.policy.steps[previous.index].offset
            eligible = max(eligible, tracked.last_letter_at + min(offsets, chosen.at - previous.at))
        if tracked.resume_at is not None:
            eligible = max(eligible, tracked.resume_at)
    elif tracked.resume_at is not None and position >= 0:
        chosen, eligible = steps[position], tracked.resume_at  # returned at the top: that step once more
    else:
        return None
    return NextStep(item, chosen, next_office_moment(state.calendar, max(eligible, now)))


def _busy(state: ConclusionState) -> set[str]:
    """Items in a letter still being sent: they wait for it before climbing on."""
    return {i.target for letter in state.letters if letter.status == NotificationStatus.pending for i in letter.items}


def _waiting(
    state: ConclusionState, now: datetime, units: Collection[str] | None = None
) -> dict[tuple[str, Step], list[NextStep]]:
    busy = _busy(state)
    groups: dict[tuple[str, Step], list[NextStep]] = {}
    for item in targets(state, units):
        if not item.climbing or item.id in busy:
            continue
        found = next_step(state, item, now)
        if found is not None:
            groups.setdefault((item.unit.code, found.step.step), []).append(found)
    return groups


def gather_letters(state: ConclusionState, now: datetime, due: list[DueLetter]) -> list[DueLetter]:
    """`due` (the letters due at `now`, as `due_letters` gave them) with the letters of other units falling due
    within `letter_slack`; none when none is due. Every letter due now is kept as it is (a unit's items seen a
    moment later may stand at another step), so a pass always plans what is due."""
    if not due:
        return due
    units = {letter.unit for letter in due}
    return due + [d for d in due_letters(state, now + letter_slack(state)) if d.unit not in units]


def letter_slack(state: ConclusionState) -> timedelta:
    """LETTER_SLACK, or a tenth of the shortest spacing between the policy's steps and the deadline when that is
    shorter: a ladder of seconds (end-to-end tests) is never climbed early."""
    offsets = sorted({step.offset for step in state.policy.steps} | {timedelta(0)})
    spacings = [later - earlier for earlier, later in pairwise(offsets)]
    return min([LETTER_SLACK, *(spacing / 10 for spacing in spacings)])


def due_letters(state: ConclusionState, now: datetime) -> list[DueLetter]:
    """The new letters to send at `now`: per unit and step one letter with every item that reached the step, and
    those that reach it within the grouping window (by default the same working day)."""
    if state.status == ConclusionStatus.closed:
        return [] if any(letter.step == Step.closing for letter in state.letters) else [_closing(state)]
    if state.status != ConclusionStatus.active:
        return []
    letters: list[DueLetter] = []
    order = {action_id: i for i, action_id in enumerate(state.actions)}
    for (code, step), waiting in _waiting(state, now).items():
        ready = [w for w in waiting if w.at <= now]
        if not ready:
            continue
        first = min(w.at for w in ready)
        joined = [w for w in waiting if w.at <= now or same_window(state.calendar, first, w.at)]
        joined.sort(key=lambda w: order.get(w.target.id, len(order)))  # as the conclusion lists them, report last
        unit = state.units[code]
        to: list[str] = []
        cc: list[str] = []
        for index in sorted({w.step.index for w in joined}):
            rung = state.policy.steps[index]
            to += [a for a in resolve_recipients(state, unit, list(rung.to)) if a not in to]
            cc += [a for a in resolve_recipients(state, unit, list(rung.cc)) if a not in cc]
        # A step whose roles are all missing for this unit (no head, no supervisor) still reaches the unit itself.
        to = to or list(unit.contacts)
        items = [
            LetterItem(target=w.target.id, step_index=w.step.index, due_version=w.target.tracked.due_version)
            for w in joined
        ]
        letters.append(DueLetter(code, step, items, to, [a for a in cc if a not in to]))
    return letters


def _closing(state: ConclusionState) -> DueLetter:
    heads = resolve_recipients(state, None, [Role.inspectorate_head, Role.agency_head])
    units = [a for u in state.units.values() for a in resolve_recipients(state, u, [Role.contacts, Role.head])]
    to = list(dict.fromkeys(units))
    return DueLetter("", Step.closing, [], to, [a for a in heads if a not in to])


def next_wakeup(state: ConclusionState, now: datetime, units: Collection[str] | None = None) -> datetime | None:
    """The earliest moment something changes: `now` when a letter is due already (e.g. its time passed while
    other letters were being sent), else the next letter's time or the next deadline passing. With `units`, only
    what those units' items bring (after a change to them alone, the rest stands as it was)."""
    if state.status != ConclusionStatus.active:
        return now if due_letters(state, now) else None
    moments = [w.at for waiting in _waiting(state, now, units).values() for w in waiting]
    if any(moment <= now for moment in moments):
        return now
    moments += _deadlines_ahead(state, now, units)
    return min(moments, default=None)


@dataclass(frozen=True)
class Figures:
    """What the read model's header and the search attributes say of a conclusion at a moment."""

    open_actions: int  # open or with evidence awaiting review
    overdue_actions: int  # of those, past their deadline (none once the follow-up ended)
    next_deadline: datetime | None  # of an unresolved action or report (none once the follow-up ended)


def figures(state: ConclusionState, now: datetime) -> Figures:
    """`Figures` in one pass over the actions: an update computes them once (the same as counting `overdue_actions`
    and taking `next_deadline`). Deadlines compare as timestamps: each read back from a payload carries a time zone
    object of its own, and comparing two such datetimes costs a time zone lookup for each."""
    active = state.status == ConclusionStatus.active
    moment = now.timestamp()
    unresolved, overdue, soonest, soonest_at = 0, 0, None, float("inf")
    for action in state.actions.values():
        if action.status not in (ActionStatus.open, ActionStatus.evidence_submitted):
            continue
        unresolved += 1
        if not active:
            continue
        due = action.schedule.due
        at = due.timestamp()
        if at < moment:
            overdue += 1
        elif moment < at < soonest_at:
            soonest, soonest_at = due, at
    if active:
        for unit in state.units.values():
            at = unit.due.timestamp()
            if moment < at < soonest_at and unit.report_status != ReportStatus.accepted:
                soonest, soonest_at = unit.due, at
    return Figures(open_actions=unresolved, overdue_actions=overdue, next_deadline=soonest)


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
    return min(_deadlines_ahead(state, now), default=None)
