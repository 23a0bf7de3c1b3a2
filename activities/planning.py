"""Deadline planning: due times and ladder times as absolute moments, computed once outside workflow code."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import configuration
from activities.calendar import VN_TZ, WorkingCalendar, end_of_day
from activities.database import get_engine
from dondoc.settings import get_settings
from models.office import OfficeCalendar
from models.planning import DueRule, PlanRequest, PlanResult
from models.policy import Policy, PolicyStep
from models.state import Schedule, ScheduledStep


class Planner:
    """Turns due rules into absolute schedules with one calendar and one policy."""

    def __init__(self, calendar: WorkingCalendar, dispatch_time: time = time(8, 0)) -> None:
        self.calendar = calendar
        self.dispatch_time = dispatch_time

    def due(self, rule: DueRule, now: datetime) -> datetime:
        if isinstance(rule.due, datetime):
            return rule.due.astimezone(VN_TZ)
        if isinstance(rule.due, date):
            return end_of_day(self.calendar.roll_forward(rule.due))
        period = rule.due_in
        if period is None:
            raise ValueError("due rule without due or due_in")
        if period.days == 0:  # a sub-day period counts from now (used for short test ladders)
            return now.astimezone(VN_TZ) + period.sub_day
        day = self.calendar.add_days(rule.start_day, period.days, working=period.working)
        return end_of_day(day) + period.sub_day

    def step_time(self, due: datetime, step: PolicyStep) -> datetime:
        days = step.whole_days
        if days is None:
            return due + step.offset
        due_day = due.astimezone(VN_TZ).date()
        day = due_day if days == 0 else self.calendar.add_days(due_day, days, working=step.working)
        return datetime.combine(day, self.dispatch_time, VN_TZ)

    def schedule(self, rule: DueRule, policy: Policy, now: datetime) -> Schedule:
        due = self.due(rule, now)
        steps = [ScheduledStep(index=i, step=s.step, at=self.step_time(due, s)) for i, s in enumerate(policy.steps)]
        steps.sort(key=lambda s: (s.at, s.index))
        return Schedule(due=due, steps=steps)

    def plan(self, request: PlanRequest, default_policy: Policy, office: OfficeCalendar) -> PlanResult:
        policy = request.policy or default_policy
        schedules = {target: self.schedule(rule, policy, request.now) for target, rule in request.targets.items()}
        years = [request.now.astimezone(VN_TZ).year, *(s.due.astimezone(VN_TZ).year for s in schedules.values())]
        return PlanResult(policy=policy, schedules=schedules, calendar=self.office(office, min(years), max(years) + 2))

    def office(self, hours: OfficeCalendar, first_year: int, last_year: int) -> OfficeCalendar:
        """`hours` with the working-day exceptions of [first_year, last_year] (weekday holidays, weekend work)."""
        days_off: list[date] = []
        days_on: list[date] = []
        day, end = date(first_year, 1, 1), date(last_year, 12, 31)
        while day <= end:
            working = self.calendar.is_working_day(day)
            if day.weekday() < 5 and not working:
                days_off.append(day)
            elif day.weekday() >= 5 and working:
                days_on.append(day)
            day += timedelta(days=1)
        return hours.model_copy(
            update={"days_off": days_off, "days_on": days_on, "first_year": first_year, "last_year": last_year}
        )


@activity.defn(name="plan_deadlines")
async def plan_deadlines(request: PlanRequest) -> PlanResult:
    """Retried while the configuration is broken (an admin can fix it); a date beyond the calendar never plans."""
    try:
        return await asyncio.to_thread(_plan, request)
    except OverflowError as error:
        message = f"Không tính được thời hạn: ngày vượt quá phạm vi lịch ({error})"
        raise ApplicationError(message, type="PlanningError", non_retryable=True) from None


def _plan(request: PlanRequest) -> PlanResult:
    settings = get_settings()
    engine = get_engine(settings.sqlalchemy_url)
    calendar = WorkingCalendar(configuration.effective_overrides(engine, settings).value)
    planner = Planner(calendar, settings.dispatch_time)
    return planner.plan(request, configuration.effective_policy(engine, settings).value, settings.office_hours)
