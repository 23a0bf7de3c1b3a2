"""The deadline preview: each due date as the planner will compute it, with its working days, the holidays it crosses
and its escalation ladder — from the registration form as typed, or from a spec file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from activities.calendar import VN_TZ, CalendarOverrides, WorkingCalendar
from activities.planning import Planner, load_policy
from dondoc.settings import Settings
from dondoc.web.pages_common import DAY_HINT, clock, parse_day
from models.labels import STEP
from models.planning import DueRule
from models.spec import ConclusionSpec, Period


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


def planner_for(settings: Settings) -> Planner:
    return Planner(WorkingCalendar(CalendarOverrides.load(settings.holidays_file)), settings.dispatch_time)


def _describe(rule: DueRule) -> str:
    if isinstance(rule.due, datetime):
        return f"đúng thời điểm {rule.due.astimezone(VN_TZ):%H:%M %d/%m/%Y}"
    if isinstance(rule.due, date):
        return f"ngày {rule.due:%d/%m/%Y}"
    assert rule.due_in is not None
    unit = "ngày làm việc" if rule.due_in.working else "ngày"
    return f"{rule.due_in.days} {unit} kể từ ngày {rule.start_day:%d/%m/%Y}"


def preview_row(planner: Planner, settings: Settings, label: str, rule: DueRule) -> PreviewRow:
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
    schedule = planner.schedule(rule, load_policy(settings.policy_file), clock())
    row.ladder = [(STEP.get(s.step, s.step), s.at) for s in schedule.steps]
    return row


def preview_form(
    settings: Settings, header: dict[str, str], actions: list[dict[str, str]], units: list[str]
) -> Preview:
    """The preview of the registration form as typed: each action row with a due, and the units' report."""
    start = parse_day(header.get("received_on", "")) or parse_day(header.get("issued_on", ""))
    if start is None:
        return Preview(None, [], "Nhập ngày ban hành (và ngày nhận, nếu có) để tính hạn.")
    try:
        planner = planner_for(settings)
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
        rows.append(preview_row(planner, settings, label, rule) if rule else PreviewRow(label, "—", error=problem))
    report_days = header.get("report_due_in", "")
    if report_days.isdigit() and int(report_days) > 0:
        rule = DueRule(start_day=start, due_in=Period(days=int(report_days)))
        who = f"{len(units)} đơn vị" if units else "mỗi đơn vị"
        rows.append(preview_row(planner, settings, f"Báo cáo kết quả thực hiện ({who})", rule))
    return Preview(start, rows, None if rows else "Chưa có kiến nghị nào có hạn để xem trước.")


def _form_rule(start: date, action: dict[str, str]) -> tuple[DueRule | None, str | None]:
    if action.get("due") and action.get("due_in"):
        return None, "Chỉ nhập một trong hai: hạn (ngày) hoặc thời hạn (số ngày)."
    if action.get("due"):
        day = parse_day(action["due"])
        return (DueRule(start_day=start, due=day), None) if day else (None, DAY_HINT)
    days = action.get("due_in", "")
    if days.isdigit() and int(days) > 0:
        period = Period(days=int(days), working=bool(action.get("due_in_working")))
        return DueRule(start_day=start, due_in=period), None
    if not days:
        return None, "Chưa nhập hạn hoặc thời hạn."
    return None, "Số ngày phải là số nguyên dương."


def preview_spec(settings: Settings, spec: ConclusionSpec) -> Preview:
    try:
        planner = planner_for(settings)
    except ValueError as error:
        return Preview(spec.start_day, [], str(error))
    rows = [
        preview_row(
            planner, settings, f"{a.id} · {a.text[:80]}", DueRule(start_day=spec.start_day, due=a.due, due_in=a.due_in)
        )
        for a in spec.actions
    ]
    return Preview(spec.start_day, rows)
