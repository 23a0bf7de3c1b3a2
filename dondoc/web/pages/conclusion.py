"""One conclusion: per unit its actions, evidence, extension requests, report and the letters sent (each with its
office number); the timeline. The staff forms it shows post to pages.actions and pages.letters."""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import Response
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from dondoc import drafts
from dondoc.refs import ref_order
from dondoc.web import queries, sending
from dondoc.web.clock import clock
from dondoc.web.context import AppContext
from dondoc.web.letters import DOCX_STEPS, LetterView, letters
from dondoc.web.pages.common import UNRESOLVED, Ctx, FormState, Reader, late_days, show
from dondoc.web.security import Principal
from models.labels import KIND, STEP
from models.tables import (
    ActionRow,
    AuditEventRow,
    ConclusionRow,
    EvidenceRow,
    ExtensionRequestRow,
    ReportRow,
    UnitRow,
)

router = APIRouter()

EVENT_KINDS = {
    "started": "Bắt đầu theo dõi",
    "evidence_submitted": "Nộp minh chứng",
    "evidence_accepted": "Chấp nhận minh chứng",
    "evidence_rejected": "Yêu cầu bổ sung",
    "extension_requested": "Đề nghị gia hạn",
    "extension_approved": "Gia hạn",
    "extension_denied": "Không chấp thuận gia hạn",
    "report_submitted": "Nộp báo cáo",
    "report_accepted": "Chấp nhận báo cáo",
    "report_returned": "Trả lại báo cáo",
    "action_waived": "Miễn thực hiện",
    "action_transferred": "Chuyển cơ quan điều tra",
    "action_added": "Bổ sung kiến nghị",
    "contacts_changed": "Cập nhật đầu mối",
    "notification_sent": "Gửi văn bản",
    "notification_failed": "Gửi văn bản lỗi",
    "notification_resend_requested": "Yêu cầu gửi lại",
    "letter_numbered": "Ghi số văn bản",
    "withdrawn": "Rút kết luận",
    "closed": "Kết thúc theo dõi",
}


# ---------------------------------------------------------------- what the page shows

COLLAPSE_AT = 12  # beyond this many actions, unit sections start collapsed (their counts stay visible)
EVENTS_PER_PAGE = 50
LETTERS_PER_PAGE = 10
ITEM_FILTERS = [
    ("unresolved", "Chưa hoàn thành"),
    ("overdue", "Quá hạn"),
    ("evidence_submitted", "Chờ xem xét minh chứng"),
    ("open", "Đang thực hiện"),
    ("done", "Hoàn thành"),
    ("waived", "Miễn thực hiện"),
    ("transferred", "Đã chuyển cơ quan điều tra"),
]


def fold(text: str) -> str:
    """Lower case without diacritics, so that 'ly son' finds 'Lý Sơn'."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch)).casefold()


@dataclass(frozen=True)
class PageFilters:
    status: str = ""
    unit: str = ""
    q: str = ""
    events_page: int = 1
    letters_unit: str = ""
    letters_page: int = 1

    @property
    def items_filtered(self) -> bool:
        return bool(self.status or self.unit or self.q)

    def query(self, **changes: str | int) -> str:
        values = {"status": self.status, "unit": self.unit, "q": self.q, **changes}
        return urlencode({k: v for k, v in values.items() if v and v != 1})


@dataclass
class ActionView:
    row: ActionRow
    late_days: int | None
    evidence: list[EvidenceRow]
    requests: list[ExtensionRequestRow]
    unresolved: bool

    def matches(self, filters: PageFilters) -> bool:
        status_, a = filters.status, self.row
        if status_ == "unresolved" and not self.unresolved:
            return False
        if status_ == "overdue" and not self.late_days:
            return False
        if status_ not in ("", "unresolved", "overdue") and a.status != status_:
            return False
        needle = fold(filters.q.strip())
        return not needle or needle in fold(f"{a.ref or ''} {a.text} {a.action_id}")


@dataclass
class UnitView:
    row: UnitRow
    actions: list[ActionView]  # those the filters show
    reports: list[ReportRow]
    letters: list[LetterView]  # this page of them, newest first
    letters_total: int
    letters_page: int
    letters_pages: int
    report_late_days: int | None
    outstanding: bool  # something of the unit climbs the ladder: a letter can be drawn up for it
    counts: dict[str, int]
    open: bool  # the section starts expanded
    hidden: int  # actions the filters leave out


@dataclass(frozen=True)
class TimelineLine:
    event: AuditEventRow
    kind: str
    about: str | None  # the item's number or the unit's report, never an internal code
    message: str


@dataclass
class ConclusionView:
    conclusion: ConclusionRow
    active: bool
    units: list[UnitView]
    events: list[TimelineLine]  # this page, newest first
    events_total: int
    events_page: int
    events_pages: int
    statuses: list[tuple[str, int]]
    late: int
    filters: PageFilters
    shown: int  # actions the filters show, across units
    refs: dict[str, str]  # action id → its number in the conclusion
    unit_options: list[tuple[str, str]]  # every unit (code, name) in the conclusion's order


def _pages(total: int, size: int) -> int:
    return max((total + size - 1) // size, 1)


def _timeline_line(event: AuditEventRow, refs: dict[str, str], names: dict[str, str]) -> TimelineLine:
    target = event.target
    if target and target.startswith("report."):
        unit = names.get(target.removeprefix("report."), target.removeprefix("report."))
        about: str | None = f"Báo cáo của {unit}" if event.kind.startswith("report_") else unit  # letters: the unit
    elif target:
        about = f"Kiến nghị {refs[target]}" if target in refs else None
    else:
        about = None
    message = event.message
    if event.kind in ("notification_sent", "notification_failed"):
        message = sending.sent_message(message)
        if event.kind == "notification_failed":
            message += f" — Gửi lỗi: {sending.failure_text(event.message.partition(': ')[2])}"
    return TimelineLine(event, EVENT_KINDS.get(event.kind, event.kind), about, message)


def conclusion_view(
    engine: Engine, who: Principal, workflow_id: str, filters: PageFilters | None = None, open_key: str | None = None
) -> ConclusionView | None:
    """The page's content; `open_key` (a form shown again with its errors) expands the section holding it."""
    filters = filters or PageFilters()
    detail = queries.conclusion_detail(engine, who, workflow_id)
    if detail is None:
        return None
    events = queries.timeline(engine, who, workflow_id)
    now = clock()
    active = detail.conclusion.status == "active"
    per_unit: dict[str, list[LetterView]] = {}
    for letter in letters(events, detail.notifications):
        per_unit.setdefault(letter.unit, []).append(letter)
    collapse = len(detail.actions) > COLLAPSE_AT
    units = []
    ordered = queries.ordered_units(detail.units, detail.actions)
    for unit in ordered:
        every = [
            ActionView(
                row=a,
                late_days=late_days(a.due, active and a.status in UNRESOLVED, a.overdue, now),
                evidence=detail.evidence_of(a.action_id),
                requests=detail.requests_of(a.action_id),
                unresolved=active and a.status in UNRESOLVED,
            )
            for a in sorted(detail.actions_of(unit.code), key=lambda a: ref_order(a.ref))
        ]
        if filters.unit and filters.unit != unit.code:
            continue
        shown = [a for a in every if a.matches(filters)]
        if filters.items_filtered and not shown and filters.unit != unit.code:
            continue
        awaited = active and unit.report_status in ("awaited", "returned")
        report_late = late_days(unit.report_due, awaited, False, now)
        unit_letters = list(reversed(per_unit.get(unit.code, [])))
        page = filters.letters_page if filters.letters_unit == unit.code else 1
        pages = _pages(len(unit_letters), LETTERS_PER_PAGE)
        page = min(page, pages)
        counts = {
            "actions": len(every),
            "done": sum(1 for a in every if a.row.status in ("done", "waived", "transferred")),
            "late": sum(1 for a in every if a.late_days),
            "review": sum(1 for a in every if a.row.status == "evidence_submitted")
            + (1 if unit.report_status == "submitted" else 0),
        }
        mine = {a.row.action_id for a in every} | {unit.code}
        opened = (  # sections start collapsed on a large conclusion, except where staff have something to decide
            not collapse
            or counts["review"] > 0
            or any(letter.status == "failed" for letter in unit_letters)
            or filters.items_filtered
            or filters.letters_unit == unit.code
            or bool(open_key and any(part in mine for part in open_key.split("--")))
        )
        units.append(
            UnitView(
                row=unit,
                actions=shown,
                reports=detail.reports_of(unit.code),
                letters=unit_letters[(page - 1) * LETTERS_PER_PAGE : page * LETTERS_PER_PAGE],
                letters_total=len(unit_letters),
                letters_page=page,
                letters_pages=pages,
                report_late_days=report_late,
                outstanding=awaited or any(a.row.status == "open" for a in every if a.unresolved),
                counts=counts,
                open=opened,
                hidden=len(every) - len(shown),
            )
        )
    refs = {a.action_id: a.ref or "" for a in detail.actions if a.ref}
    names = {u.code: u.name for u in detail.units}
    newest = list(reversed(events))
    events_pages = _pages(len(newest), EVENTS_PER_PAGE)
    events_page = min(filters.events_page, events_pages)
    chosen = newest[(events_page - 1) * EVENTS_PER_PAGE : events_page * EVENTS_PER_PAGE]
    statuses = Counter(a.status for a in detail.actions)
    return ConclusionView(
        conclusion=detail.conclusion,
        active=active,
        units=units,
        events=[_timeline_line(e, refs, names) for e in chosen],
        events_total=len(events),
        events_page=events_page,
        events_pages=events_pages,
        statuses=sorted(statuses.items()),
        late=sum(1 for a in detail.actions if late_days(a.due, active and a.status in UNRESOLVED, a.overdue, now)),
        filters=filters,
        shown=sum(len(u.actions) for u in units),
        refs=refs,
        unit_options=[(u.code, u.name) for u in ordered],
    )


def _page(
    request: Request,
    engine: Engine,
    who: Principal,
    workflow_id: str,
    code: int = status.HTTP_200_OK,
    form: FormState | None = None,
    message: str | None = None,
    filters: PageFilters | None = None,
) -> Response:
    form = form or FormState()
    view = conclusion_view(engine, who, workflow_id, filters, form.key if form.errors else None)
    if view is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Không tìm thấy kết luận '{workflow_id}'.")
    extra = {"flash": message, "flash_kind": "error"} if message else {}
    return show(
        request,
        "pages/conclusion.html",
        who,
        status_code=code,
        view=view,
        form=form,
        kinds=KIND,
        steps=STEP,
        docx_steps=[(s.value, STEP[s]) for s in DOCX_STEPS],
        refs=view.refs,
        item_filters=ITEM_FILTERS,
        unit_options=view.unit_options,
        original=drafts.of_conclusion(engine, workflow_id),  # the imported document it was started from, if any
        **extra,
    )


async def render_conclusion(
    request: Request,
    ctx: AppContext,
    who: Principal,
    workflow_id: str,
    code: int = status.HTTP_200_OK,
    form: FormState | None = None,
    message: str | None = None,
) -> Response:
    return await run_in_threadpool(_page, request, ctx.engine, who, workflow_id, code, form, message)


@router.get("/conclusions/{workflow_id}", include_in_schema=False)
def conclusion(
    request: Request,
    workflow_id: str,
    ctx: Ctx,
    who: Reader,
    status_: Annotated[str, Query(alias="status", max_length=40)] = "",
    unit: Annotated[str, Query(max_length=64)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    events: Annotated[int, Query(ge=1, le=100_000)] = 1,
    lunit: Annotated[str, Query(max_length=64)] = "",
    lpage: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    known = {key for key, _ in ITEM_FILTERS}
    filters = PageFilters(status_ if status_ in known else "", unit, q, events, lunit, lpage)
    return _page(request, ctx.engine, who, workflow_id, filters=filters)
