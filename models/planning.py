"""Inputs and outputs of deadline planning, which runs as an activity (holiday data must not enter workflows)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from models.office import OfficeCalendar
from models.policy import Policy
from models.spec import ActionSpec, ConclusionSpec, Period
from models.state import Schedule


class DueRule(BaseModel):
    """How one deadline is given: a day (end of that day), an exact time, or a period from the start day."""

    start_day: date
    due: date | datetime | None = None
    due_in: Period | None = None


class PlanRequest(BaseModel):
    now: datetime  # the workflow's time: sub-day periods count from it
    policy: Policy | None = None  # None: the globally configured policy
    targets: dict[str, DueRule]


class PlanResult(BaseModel):
    policy: Policy
    schedules: dict[str, Schedule]
    calendar: OfficeCalendar  # office hours and working days for the years around these deadlines


def report_target(unit: str) -> str:
    """The target id of a unit's follow-up report: '.' never occurs in an action id, and is Message-ID safe."""
    return f"report.{unit}"


def is_report_target(target: str) -> bool:
    return target.startswith("report.")


def action_rule(spec: ActionSpec, start_day: date) -> DueRule:
    return DueRule(start_day=start_day, due=spec.due, due_in=spec.due_in)


def conclusion_plan_request(spec: ConclusionSpec, now: datetime) -> PlanRequest:
    targets = {a.id: action_rule(a, spec.start_day) for a in spec.actions}
    for unit in spec.units:
        rule = DueRule(start_day=spec.start_day, due=unit.report_due)
        if unit.report_due is None:
            rule = DueRule(start_day=spec.start_day, due_in=spec.report_due_in)
        targets[report_target(unit.code)] = rule
    return PlanRequest(now=now, policy=spec.policy, targets=targets)
