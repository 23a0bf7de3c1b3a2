"""The deadline preview: each due date as the planner will compute it, with its working days, the holidays it crosses
and its escalation ladder — from the registration form as typed, or from a spec file; and before a start, the letters
its ladder sends at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.engine import Engine

from activities import configuration
from activities.calendar import VN_TZ, WorkingCalendar
from activities.planning import Planner
from dondoc.settings import Settings
from dondoc.web.clock import clock
from dondoc.web.pages.common import DAY_HINT, DAYS_HINT, parse_day, parse_days
from models.labels import STEP
from models.planning import DueRule, conclusion_plan_request
from models.policy import Policy
from models.spec import ConclusionSpec, Period
from models.state import LetterRecord
from workflows.rules.ladder import due_letters
from workflows.rules.notices import letter_request
from workflows.rules.transitions import new_conclusion


@dataclass
class PreviewRow:
    label: str
    rule: str
    due: datetime | None = None
    calendar_days: int = 0
    working_days: int = 0
    holidays: list[tuple[date, str]] = field(default_factory=list)
    rolled_from: date | None = None
    ladder: list[tuple[str, datetime]] = field(default_factory=list)
    error: str | None = None


@dataclass
class Preview:
    start_day: date | None
    rows: list[PreviewRow]
    problem: str | None = None


def planner_for(engine: Engine, settings: Settings) -> tuple[Planner, Policy]:
    """The planner and global ladder the worker would use now (ValueError when their configuration is broken)."""
    overrides = configuration.effective_overrides(engine, settings).value
    policy = configuration.effective_policy(engine, settings).value
    return Planner(WorkingCalendar(overrides), settings.dispatch_time), policy


def _describe(rule: DueRule) -> str:
    if isinstance(rule.due, datetime):
        return f"đúng thời điểm {rule.due.astimezone(VN_TZ):%H:%M %d/%m/%Y}"
    if isinstance(rule.due, date):
        return f"ngày {rule.due:%d/%m/%Y}"
    assert rule.due_in is not None
    unit = "ngày làm việc" if rule.due_in.working else "ngày"
    return f"{rule.due_in.days} {unit} kể từ ngày {rule.start_day:%d/%m/%Y}"


def preview_row(planner: Planner, policy: Policy, label: str, rule: DueRule) -> PreviewRow:
    row = PreviewRow(label=label, rule=_describe(rule))
    calendar = planner.calendar
    due = planner.due(rule, clock())
    row.due = due
    due_day = due.astimezone(VN_TZ).date()
    row.calendar_days = (due_day - rule.start_day).days
    row.working_days = calendar.working_days_between(rule.start_day, due_day)
    day = rule.start_day
    while day < due_day:
        day += timedelta(days=1)
        name = calendar.holiday_name(day)
        if name is not None:
            row.holidays.append((day, name))
    if isinstance(rule.due, date) and not isinstance(rule.due, datetime) and rule.due != due_day:
        row.rolled_from = rule.due
        name = calendar.holiday_name(rule.due)
        if name is not None and (rule.due, name) not in row.holidays:
            row.holidays.append((rule.due, name))
    schedule = planner.schedule(rule, policy, clock())
    row.ladder = [(STEP.get(s.step, s.step), s.at) for s in schedule.steps]
    return row


def preview_form(
    engine: Engine, settings: Settings, header: dict[str, str], actions: list[dict[str, str]], units: list[str]
) -> Preview:
    """The preview of the registration form as typed: each action row with a due, and the units' report."""
    start = parse_day(header.get("received_on", "")) or parse_day(header.get("issued_on", ""))
    if start is None:
        return Preview(None, [], "Nhập ngày ban hành (và ngày nhận, nếu có) để tính hạn.")
    try:
        planner, policy = planner_for(engine, settings)
    except ValueError as error:
        return Preview(start, [], str(error))
    rows: list[PreviewRow] = []
    for i, action in enumerate(actions):
        if not any(action.get(n) for n in ("id", "text", "due", "due_in")):
            continue
        label = f"Dòng {i + 1}" + (f" · {action['id']}" if action.get("id") else "")
        if action.get("text"):
            label += f" · {action['text'][:80]}"
        rule, problem = _form_rule(start, action)
        rows.append(preview_row(planner, policy, label, rule) if rule else PreviewRow(label, "—", error=problem))
    report_days = parse_days(header.get("report_due_in", ""))
    if report_days is not None:
        rule = DueRule(start_day=start, due_in=Period(days=report_days))
        who = f"{len(units)} đơn vị" if units else "mỗi đơn vị"
        rows.append(preview_row(planner, policy, f"Báo cáo kết quả thực hiện ({who})", rule))
    return Preview(start, rows, None if rows else "Chưa có kiến nghị nào có hạn để xem trước.")


def _form_rule(start: date, action: dict[str, str]) -> tuple[DueRule | None, str | None]:
    if action.get("due") and action.get("due_in"):
        return None, "Chỉ nhập một trong hai: hạn (ngày) hoặc thời hạn (số ngày)."
    if action.get("due"):
        day = parse_day(action["due"])
        return (DueRule(start_day=start, due=day), None) if day else (None, DAY_HINT)
    typed = action.get("due_in", "")
    days = parse_days(typed)
    if days is not None:
        period = Period(days=days, working=bool(action.get("due_in_working")))
        return DueRule(start_day=start, due_in=period), None
    if not typed:
        return None, "Chưa nhập hạn hoặc thời hạn."
    return None, DAYS_HINT


def preview_spec(engine: Engine, settings: Settings, spec: ConclusionSpec) -> Preview:
    """The spec's deadlines, each with the spec's own ladder when it has one, else the global one."""
    try:
        planner, policy = planner_for(engine, settings)
    except ValueError as error:
        return Preview(spec.start_day, [], str(error))
    policy = spec.policy or policy
    rows = [
        preview_row(
            planner, policy, f"{a.id} · {a.text[:80]}", DueRule(start_day=spec.start_day, due=a.due, due_in=a.due_in)
        )
        for a in spec.actions
    ]
    return Preview(spec.start_day, rows)


# ---------------------------------------------------------------- what starting does at once


@dataclass
class LetterPreview:
    """One letter that would go out as soon as the follow-up starts (a conclusion registered late)."""

    unit: str
    step: str
    addressees: list[str]  # "Kính gửi", by title
    copied_to: list[str]
    emails: list[str]
    items: list[str]


@dataclass
class StartPreview:
    deadlines: Preview
    letters: list[LetterPreview]
    units: int
    actions: int
    problem: str | None = None


def preview_start(engine: Engine, settings: Settings, spec: ConclusionSpec, actor: str) -> StartPreview:
    """What starting `spec` does at once, computed with the workflow's own pure rules (no workflow is started): the
    deadlines it plans and the letters its ladder sends right away, per unit and recipient."""
    deadlines = preview_spec(engine, settings, spec)
    try:
        planner, policy = planner_for(engine, settings)
    except ValueError as error:
        return StartPreview(deadlines, [], len(spec.units), len(spec.actions), str(error))
    now = clock()
    plan = planner.plan(conclusion_plan_request(spec, now), policy, settings.office_hours)
    state = new_conclusion(spec, plan, now, actor)
    letters = []
    for due in due_letters(state, now):
        record = LetterRecord(
            key="preview", unit=due.unit, step=due.step, items=due.items, to=due.to, cc=due.cc, planned_at=now
        )
        request = letter_request(state, record, now)
        letters.append(
            LetterPreview(
                unit=request.unit_name or "Tất cả đơn vị",
                step=STEP.get(due.step, due.step),
                addressees=request.addressees,
                copied_to=request.copied_to,
                emails=[*due.to, *due.cc],
                items=[" · ".join(p for p in (line.ref, line.text[:120]) if p) for line in request.items],
            )
        )
    return StartPreview(deadlines, letters, len(spec.units), len(spec.actions))
