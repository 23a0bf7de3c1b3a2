"""Due dates for the actions a conclusion gives none: the general deadline the conclusion sets ("… thực hiện kết luận
này trong thời hạn 30 ngày kể từ ngày ký"), else the deployment's policy default counted from the conclusion's date.
Either way the due date is an assumption (`due_assumed`): the draft says where it came from, and staff confirm it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from activities.calendar import CalendarOverrides, WorkingCalendar
from dondoc.importer.deadlines import Deadline, GeneralDeadline
from dondoc.importer.model import ConclusionDraft, DraftAction, ImportWarning, WarningCode
from dondoc.settings import Settings

SHOWN_REFS = 8


@dataclass(frozen=True)
class DeadlinePolicy:
    """The due date proposed for an action when the conclusion states none (`DONDOC_IMPORT_DUE_DAYS`, `…_WORKING`):
    `days` after the conclusion's date, calendar or working days; 0 proposes none. Days are counted on the
    deadline calendar (holidays, make-up days)."""

    days: int
    working: bool = False
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)

    @classmethod
    def from_settings(cls, settings: Settings, overrides: CalendarOverrides | None = None) -> DeadlinePolicy:
        """The deployment's policy; the holidays of `DONDOC_HOLIDAYS_FILE` unless given the effective ones (a list
        saved on the admin page: `activities.configuration.effective_overrides`)."""
        calendar = WorkingCalendar(
            overrides if overrides is not None else CalendarOverrides.load(settings.holidays_file)
        )
        return cls(settings.import_due_days, settings.import_due_working, calendar)


@dataclass(frozen=True)
class Resolved:
    due: date | None
    days: int | None
    working: bool


def resolve(deadline: Deadline, issued_on: date | None, calendar: WorkingCalendar) -> Resolved:
    """A stated deadline as the draft keeps it: a day; a period counted from the signing day becomes a day when that
    day is known (Bộ luật Dân sự 2015, Điều 148, on the deadline calendar); any other period stays a period, which
    the conclusion spec counts from the day the conclusion was received."""
    if deadline.due is not None:
        return Resolved(deadline.due, None, False)
    assert deadline.days is not None
    if deadline.anchor == "signed" and issued_on is not None:
        return Resolved(calendar.add_days(issued_on, deadline.days, working=deadline.working), None, False)
    return Resolved(None, deadline.days, deadline.working)


def _set(action: DraftAction, resolved: Resolved, text: str) -> None:
    action.due, action.due_in_days, action.due_working = resolved.due, resolved.days, resolved.working
    action.due_text = text
    action.due_assumed = True


def _refs(actions: list[DraftAction]) -> str:
    refs = list(dict.fromkeys(a.ref for a in actions))
    shown = ", ".join(refs[:SHOWN_REFS])
    return shown + (f" và {len(refs) - SHOWN_REFS} mục khác" if len(refs) > SHOWN_REFS else "")


def _when(resolved: Resolved) -> str:
    if resolved.due is not None:
        return f"ngày {resolved.due.day:02d}/{resolved.due.month:02d}/{resolved.due.year}"
    kind = " làm việc" if resolved.working else ""
    return f"{resolved.days} ngày{kind} kể từ ngày nhận kết luận"


def assume_deadlines(draft: ConclusionDraft, general: GeneralDeadline | None, policy: DeadlinePolicy) -> None:
    """Give every action without a due date the general deadline, else the policy default, marked as assumed, with
    a warning saying where it came from."""
    missing = [a for a in draft.actions if a.due is None and a.due_in_days is None]
    if not missing:
        return
    issued_on = draft.issued_on.value if draft.issued_on is not None else None
    n = len(missing)
    if general is not None:
        resolved = resolve(general.deadline, issued_on, policy.calendar)
        for action in missing:
            _set(action, resolved, f"hạn chung của kết luận: {general.deadline.text}")
        draft.warnings.append(
            ImportWarning(
                code=WarningCode.assumed_due,
                message=f"{n} kiến nghị không có hạn riêng ({_refs(missing)}): đã lấy hạn chung của kết luận "
                f"“{general.deadline.text}” ({general.paragraph.place().label()}), tức {_when(resolved)}. Đây là "
                "hạn giả định: xác nhận hoặc sửa từng hạn trước khi bắt đầu theo dõi.",
                place=general.paragraph.place(),
            )
        )
        return
    if policy.days <= 0:
        draft.warnings.append(
            ImportWarning(
                code=WarningCode.assumed_due,
                message=f"Kết luận không nêu hạn cho {n} kiến nghị ({_refs(missing)}): hãy nhập hạn cho từng kiến nghị.",
            )
        )
        return
    counted = Deadline("", days=policy.days, working=policy.working, anchor="signed")
    resolved = resolve(counted, issued_on, policy.calendar)
    kind = " làm việc" if policy.working else ""
    text = f"mặc định {policy.days} ngày{kind} kể từ ngày kết luận"
    for action in missing:
        _set(action, resolved, text)
    when = _when(resolved) if issued_on is not None else f"{policy.days} ngày{kind} kể từ ngày kết luận (chưa rõ ngày)"
    draft.warnings.append(
        ImportWarning(
            code=WarningCode.assumed_due,
            message=f"Kết luận không nêu hạn cho {n} kiến nghị ({_refs(missing)}) và không nêu hạn chung: đã đề xuất "
            f"hạn giả định theo mặc định của hệ thống, {policy.days} ngày{kind} kể từ ngày kết luận ({when}). "
            "Xác nhận hoặc sửa từng hạn trước khi bắt đầu theo dõi.",
        )
    )
