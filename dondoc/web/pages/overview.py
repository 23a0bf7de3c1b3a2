"""The staff pages that look across conclusions: dashboard, conclusion list, overdue overview, notifications."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import Response
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from dondoc.gateway import Refused
from dondoc.web import letters, queries, reports, sending
from dondoc.web.clock import clock
from dondoc.web.pages import conclusion
from dondoc.web.pages.common import (
    Ctx,
    FormState,
    Reader,
    Staff,
    conclusion_numbers,
    redirect,
    safe_next,
    show,
    text,
    unit_names,
)
from dondoc.web.rendering import flash
from dondoc.web.security import Principal, principal
from models import commands as c
from models.labels import CONCLUSION_STATUS
from models.tables import AuditEventRow, ConclusionRow, NotificationRow, UnitRow
from models.vn import VN
from models.web_tables import Role

router = APIRouter()


NOTIFICATION_STATUS = {"sent": "Đã gửi", "failed": "Gửi lỗi", "pending": "Đang gửi"}
BUCKETS = (("le7", "≤ 7 ngày"), ("8to30", "8–30 ngày"), ("gt30", "> 30 ngày"))


# ---------------------------------------------------------------- dashboard


@dataclass
class DashboardView:
    by_status: list[tuple[str, str, int]]  # status, label, count
    total: int
    overdue_by_unit: list[tuple[str, int]]
    overdue_total: int
    upcoming: list[tuple[ConclusionRow, object, str]]  # conclusion, action, unit name
    recent: list[RecentLine]
    waiting: int | None  # the review queue's size, for staff


SYSTEM = "hệ thống"
RECENT_LINES = 15


@dataclass
class RecentLine:
    """One line of recent activity: a person's action, or the system's events of one kind, conclusion and day."""

    at: datetime | None
    conclusion: ConclusionRow | None
    actor: str
    message: str
    count: int = 1


def _step(message: str) -> str | None:
    match = re.search(r"«([^»]+)»", message)
    return match.group(1) if match else None


def _grouped_text(kind: str, events: list[AuditEventRow]) -> str:
    if len(events) == 1:
        message = events[0].message
        return sending.sent_message(message) if kind.startswith("notification_") else message
    steps = {_step(e.message) for e in events}
    step = steps.pop() if len(steps) == 1 else None
    what = f"văn bản «{step}»" if step else "văn bản nhắc nhở, đôn đốc"
    if kind == "notification_sent":
        return f"Đã gửi {len(events)} {what}"
    if kind == "notification_failed":
        return f"{len(events)} {what} gửi lỗi"
    return f"{conclusion.EVENT_KINDS.get(kind, kind)} ({len(events)} lần)"


def recent_lines(events: list[AuditEventRow], conclusions: dict[str, ConclusionRow]) -> list[RecentLine]:
    """Newest first; the system's events of one kind on one conclusion and day become one line."""
    lines: list[RecentLine] = []
    groups: dict[tuple[str, str, str], list[AuditEventRow]] = {}
    order: list[tuple[str, str, str] | AuditEventRow] = []
    for event in events:
        if event.actor != SYSTEM:
            order.append(event)
            continue
        day = f"{event.at.astimezone(VN):%Y-%m-%d}" if event.at else ""
        key = (event.workflow_id, event.kind, day)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(event)
    for entry in order:
        if isinstance(entry, AuditEventRow):
            lines.append(RecentLine(entry.at, conclusions.get(entry.workflow_id), entry.actor, entry.message))
        else:
            grouped = groups[entry]
            first = grouped[0]
            text = _grouped_text(first.kind, grouped)
            lines.append(RecentLine(first.at, conclusions.get(first.workflow_id), SYSTEM, text, len(grouped)))
        if len(lines) == RECENT_LINES:
            break
    return lines


def dashboard_view(engine: Engine, who: Principal) -> DashboardView:
    board = queries.dashboard(engine, who, clock())
    ids = {c.workflow_id for c, _ in board.upcoming} | {e.workflow_id for e in board.recent}
    names = unit_names(engine, {c.workflow_id for c, _ in board.upcoming})
    conclusions = conclusion_numbers(engine, ids)
    statuses = [(s.value, label, board.by_status.get(s.value, 0)) for s, label in CONCLUSION_STATUS.items()]
    return DashboardView(
        by_status=statuses,
        total=sum(board.by_status.values()),
        overdue_by_unit=board.overdue_by_unit,
        overdue_total=sum(n for _, n in board.overdue_by_unit),
        upcoming=[(c, a, names.get((c.workflow_id, a.unit), a.unit)) for c, a in board.upcoming],
        recent=recent_lines(board.recent, conclusions),
        waiting=queries.review_queue(engine).size if who.is_staff else None,
    )


@router.get("/", include_in_schema=False)
def dashboard(request: Request, ctx: Ctx, who: Annotated[Principal, Depends(principal)]) -> Response:
    if who.role == Role.agency:
        return redirect("/portal")
    view = dashboard_view(ctx.engine, who)
    return show(request, "pages/dashboard.html", who, view=view)


# ---------------------------------------------------------------- conclusion list


def _units_of(engine: Engine, ids: set[str] | None) -> list[tuple[str, str]]:
    """(code, name) of the units in the conclusions `ids` (None: all), for the unit filter."""
    with Session(engine) as session:
        query = select(UnitRow.code, UnitRow.name)
        if ids is not None:
            query = query.where(col(UnitRow.workflow_id).in_(ids))
        rows = session.exec(query).all()
    names: dict[str, str] = {}
    for code, name in rows:
        names.setdefault(code, name)
    return sorted(names.items(), key=lambda item: item[1])


def _visible(engine: Engine, who: Principal) -> set[str] | None:
    with Session(engine) as session:
        return queries.visible_workflow_ids(session, who)


@router.get("/conclusions", include_in_schema=False)
def conclusion_list(
    request: Request,
    ctx: Ctx,
    who: Reader,
    status_: Annotated[str, Query(alias="status")] = "",
    unit: str = "",
    overdue: str = "",
    q: str = "",
) -> Response:
    late = {"yes": True, "no": False}.get(overdue)
    rows = queries.list_conclusions(
        ctx.engine, who, status=status_ or None, unit=unit or None, overdue=late, text=q.strip() or None
    )
    units = _units_of(ctx.engine, _visible(ctx.engine, who))
    filters = {"status": status_, "unit": unit, "overdue": overdue, "q": q}
    return show(
        request,
        "pages/conclusions.html",
        who,
        rows=rows,
        units=units,
        filters=filters,
        filtered=any(filters.values()),
        statuses=CONCLUSION_STATUS,
    )


# ---------------------------------------------------------------- overdue overview


def _bucket(days: int) -> str:
    return "le7" if days <= 7 else "8to30" if days <= 30 else "gt30"


@dataclass
class OverdueGroup:
    """What waits for one side: the unit (nothing sent, or sent back) or the inspectorate (sent, to review)."""

    key: str
    title: str
    hint: str
    items: list[queries.LateItem]


@router.get("/overdue", include_in_schema=False)
def overdue_overview(
    request: Request,
    ctx: Ctx,
    who: Reader,
    workflow_id: Annotated[str, Query(alias="conclusion", max_length=120)] = "",
    unit: Annotated[str, Query(max_length=300)] = "",
    issuer: Annotated[str, Query(max_length=300)] = "",
    format_: Annotated[str, Query(alias="format")] = "",
) -> Response:
    """Actions and reports past due on active conclusions, most days first, what waits for the unit apart from
    what waits for the inspectorate's review; filtered by conclusion, unit and issuer; as XLSX too."""
    items = queries.late_items(
        ctx.engine, who, clock(), workflow_id=workflow_id or None, unit=unit or None, issuer=issuer or None
    )
    conclusions = {i.conclusion.workflow_id: i.conclusion for i in queries.late_items(ctx.engine, who, clock())}
    notes = [
        text
        for text, value in (
            (
                f"Kết luận: {conclusions[workflow_id].number if workflow_id in conclusions else workflow_id}",
                workflow_id,
            ),
            (f"Đơn vị: {unit}", unit),
            (f"Cơ quan ban hành: {issuer}", issuer),
        )
        if value
    ]
    if format_ == "xlsx":
        return reports.overdue_download(items, notes)
    groups = [
        OverdueGroup(
            "unit",
            "Chờ đơn vị thực hiện",
            "Đơn vị chưa nộp minh chứng, báo cáo, hoặc đã bị yêu cầu bổ sung, trả lại.",
            [i for i in items if not i.waits_for_review],
        ),
        OverdueGroup(
            "review",
            "Chờ Thanh tra xem xét",
            "Đơn vị đã nộp; quá hạn vì chưa được xem xét — không tính là lỗi của đơn vị.",
            [i for i in items if i.waits_for_review],
        ),
    ]
    per_unit: dict[str, Counter[str]] = {}
    for item in groups[0].items:
        per_unit.setdefault(item.unit.name, Counter())[_bucket(item.days)] += 1
    table = sorted(per_unit.items(), key=lambda kv: (-kv[1]["gt30"], -sum(kv[1].values()), kv[0]))
    filters = {"conclusion": workflow_id, "unit": unit, "issuer": issuer}
    issuers, units = reports.choices(ctx.engine, who)
    return show(
        request,
        "pages/overdue.html",
        who,
        groups=groups,
        count=len(items),
        table=table,
        totals=Counter(_bucket(i.days) for i in groups[0].items),
        buckets=BUCKETS,
        bucket=_bucket,
        filters=filters,
        filtered=any(filters.values()),
        query=urlencode({k: v for k, v in filters.items() if v}),
        conclusions=sorted(conclusions.values(), key=lambda c: c.number),
        issuers=issuers,
        units=units,
        waits_text=reports.waits_text,
    )


# ---------------------------------------------------------------- notifications


@dataclass
class NotificationLine:
    """One copy of a letter, as the outbox holds it."""

    row: NotificationRow
    unit_name: str
    resend: bool  # the first failed copy of its letter carries the «send again» form

    @property
    def letter_key(self) -> str:
        return self.row.letter_key or self.row.key

    @property
    def step_label(self) -> str:
        return letters.step_label(self.row.step)

    @property
    def items_text(self) -> str:
        return letters.items_text(len(self.row.items))

    @property
    def audience_label(self) -> str:
        return letters.AUDIENCE.get(self.row.audience, self.row.audience)

    @property
    def status_text(self) -> str:
        return letters.status_text(self.row.status, self.row.smtp_answer)


def notification_lines(engine: Engine, rows: list[NotificationRow]) -> list[NotificationLine]:
    """The rows (newest first) with the copies of one letter together, the unit's copy first."""
    names = unit_names(engine, {r.workflow_id for r in rows})
    first: dict[str, int] = {}
    for index, row in enumerate(rows):
        first.setdefault(row.letter_key or row.key, index)
    rows = sorted(rows, key=lambda r: (first[r.letter_key or r.key], r.audience != "unit", r.key))
    offered: set[str] = set()
    lines = []
    for row in rows:
        line = NotificationLine(row, names.get((row.workflow_id, row.unit), row.unit), False)
        # Letters and notices are sent again by their conclusion's workflow; a digest (no workflow) goes again with
        # the next day's run.
        if row.status == "failed" and row.workflow_id and line.letter_key not in offered:
            offered.add(line.letter_key)
            line.resend = True
        lines.append(line)
    return lines


NOTIFICATIONS_PER_PAGE = 100


def _notifications_page(
    request: Request,
    engine: Engine,
    who: Principal,
    status_: str,
    workflow_id: str,
    code: int = status.HTTP_200_OK,
    form: FormState | None = None,
    message: str | None = None,
    page: int = 1,
) -> Response:
    rows, total, counts = queries.notifications_page(
        engine, who, status_ or None, workflow_id or None, page, NOTIFICATIONS_PER_PAGE
    )
    pages = max((total + NOTIFICATIONS_PER_PAGE - 1) // NOTIFICATIONS_PER_PAGE, 1)
    conclusions = conclusion_numbers(engine, {r.workflow_id for r in rows} | ({workflow_id} if workflow_id else set()))
    extra = {"flash": message, "flash_kind": "error"} if message else {}
    filters = {"status": status_, "workflow_id": workflow_id}
    return show(
        request,
        "pages/notifications.html",
        who,
        status_code=code,
        lines=notification_lines(engine, rows),
        conclusions=conclusions,
        counts=counts,
        total=total,
        page=min(page, pages),
        pages=pages,
        query=urlencode({k: v for k, v in filters.items() if v}),
        filters=filters,
        labels=NOTIFICATION_STATUS,
        form=form or FormState(),
        **extra,
    )


@router.get("/notifications", include_in_schema=False)
def notifications(
    request: Request,
    ctx: Ctx,
    who: Staff,
    status_: Annotated[str, Query(alias="status")] = "",
    workflow_id: str = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    return _notifications_page(request, ctx.engine, who, status_, workflow_id, page=page)


def _letter_row(engine: Engine, key: str) -> NotificationRow | None:
    """A copy of the letter `key` (or the copy whose own key it is)."""
    with Session(engine) as session:
        found = session.exec(select(NotificationRow).where(NotificationRow.letter_key == key).limit(1)).first()
        return found or session.get(NotificationRow, key)


@router.post("/notifications/resend", include_in_schema=False)
async def resend(request: Request, ctx: Ctx, who: Staff) -> Response:
    """Ask the conclusion's workflow to send a failed letter again, every copy that did not go (the rules refuse
    anything else). The form posts the letter's key."""
    data = await request.form()
    key, workflow_id = text(data, "key"), text(data, "workflow_id")
    back = safe_next(text(data, "next"), "/notifications")
    row = await run_in_threadpool(_letter_row, ctx.engine, key) if key else None
    if row is not None:
        key, workflow_id = row.letter_key or key, row.workflow_id
    if not key or not workflow_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Không tìm thấy văn bản '{key}'.")
    try:
        await ctx.gateway.update(
            workflow_id, c.ResendNotification(actor=who.email, key=key), f"page-{uuid.uuid4().hex}"
        )
    except Refused as error:
        form = FormState(key=f"resend--{key}", errors={"form": str(error)})
        message = f"Không gửi lại được văn bản: {error}"
        if back.startswith("/conclusions/"):
            return await conclusion.render_conclusion(
                request, ctx, who, workflow_id, status.HTTP_409_CONFLICT, form, message
            )
        return await run_in_threadpool(
            _notifications_page, request, ctx.engine, who, "", "", status.HTTP_409_CONFLICT, form, message
        )
    flash(request, "Đã yêu cầu gửi lại văn bản; hệ thống sẽ gửi trong giây lát.")
    return redirect(back)
