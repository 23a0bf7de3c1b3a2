"""One conclusion: per unit its actions, evidence, extension requests, report and escalations sent; the timeline.
The staff forms it shows post to pages_actions."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import Response
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from dondoc.web import queries
from dondoc.web.context import AppContext
from dondoc.web.pages_common import (
    UNRESOLVED,
    Ctx,
    FormState,
    Reader,
    clock,
    late_days,
    show,
)
from dondoc.web.security import Principal
from models.labels import KIND, STEP
from models.planning import is_report_target
from models.policy import Step
from models.tables import (
    ActionRow,
    AuditEventRow,
    ConclusionRow,
    EvidenceRow,
    ExtensionRequestRow,
    NotificationRow,
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
    "notification_sent": "Gửi thông báo",
    "notification_failed": "Gửi thông báo thất bại",
    "notification_resend_requested": "Yêu cầu gửi lại",
    "withdrawn": "Rút kết luận",
    "closed": "Kết thúc theo dõi",
}


# ---------------------------------------------------------------- what the page shows


@dataclass
class Escalation:
    key: str
    target: str
    step: str
    at: datetime | None
    status: str  # sent | failed | pending
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    detail: str | None = None  # the SMTP answer, or the audit trail's sentence
    subject: str | None = None


@dataclass
class ActionView:
    row: ActionRow
    late_days: int | None
    evidence: list[EvidenceRow]
    requests: list[ExtensionRequestRow]
    unresolved: bool


@dataclass
class UnitView:
    row: UnitRow
    actions: list[ActionView]
    reports: list[ReportRow]
    escalations: list[Escalation]
    report_late_days: int | None


@dataclass
class ConclusionView:
    conclusion: ConclusionRow
    active: bool
    units: list[UnitView]
    events: list[AuditEventRow]
    statuses: list[tuple[str, int]]
    late: int


def step_of(key: str) -> str:
    """The ladder step named by a notice key ('<wid>/<target>/v<n>/<index>-<step>', or '<wid>/closing')."""
    name = key.rsplit("/", 1)[-1]
    name = name.partition("-")[2] or name
    return name if name in Step.__members__ else ""


def escalations(events: list[AuditEventRow], outbox: list[NotificationRow]) -> dict[str, Escalation]:
    """Every notice by key: what the audit trail says last, completed by its outbox row (recipients, SMTP answer)."""
    found: dict[str, Escalation] = {}
    for event in events:
        key = str(event.data.get("key", ""))
        if not key or event.kind not in ("notification_sent", "notification_failed"):
            continue
        state = "sent" if event.kind == "notification_sent" else "failed"
        found[key] = Escalation(key, event.target or "", step_of(key), event.at, state, detail=event.message)
    for row in outbox:
        esc = found.setdefault(row.key, Escalation(row.key, row.target, row.step, row.created_at, row.status))
        esc.status, esc.to, esc.cc, esc.subject = row.status, list(row.recipients), list(row.cc), row.subject
        esc.detail = row.smtp_answer or esc.detail
        esc.at = row.sent_at or esc.at or row.created_at
        esc.step = row.step or esc.step
    return found


def conclusion_view(engine: Engine, who: Principal, workflow_id: str) -> ConclusionView | None:
    detail = queries.conclusion_detail(engine, who, workflow_id)
    if detail is None:
        return None
    events = queries.timeline(engine, who, workflow_id)
    now = clock()
    active = detail.conclusion.status == "active"
    unit_of = {a.action_id: a.unit for a in detail.actions}
    per_unit: dict[str, list[Escalation]] = {}
    for esc in escalations(events, detail.notifications).values():
        code = esc.target.removeprefix("report.") if is_report_target(esc.target) else unit_of.get(esc.target)
        if code:
            per_unit.setdefault(code, []).append(esc)
    units = []
    for unit in detail.units:
        actions = [
            ActionView(
                row=a,
                late_days=late_days(a.due, active and a.status in UNRESOLVED, a.overdue, now),
                evidence=detail.evidence_of(a.action_id),
                requests=detail.requests_of(a.action_id),
                unresolved=active and a.status in UNRESOLVED,
            )
            for a in detail.actions_of(unit.code)
        ]
        awaited = active and unit.report_status in ("awaited", "returned")
        units.append(
            UnitView(
                row=unit,
                actions=actions,
                reports=detail.reports_of(unit.code),
                escalations=sorted(per_unit.get(unit.code, []), key=lambda e: (e.at is None, e.at)),
                report_late_days=late_days(unit.report_due, awaited, False, now),
            )
        )
    statuses = Counter(a.status for a in detail.actions)
    return ConclusionView(
        conclusion=detail.conclusion,
        active=active,
        units=units,
        events=events,
        statuses=sorted(statuses.items()),
        late=sum(1 for u in units for a in u.actions if a.late_days),
    )


def _page(
    request: Request,
    engine: Engine,
    who: Principal,
    workflow_id: str,
    code: int = status.HTTP_200_OK,
    form: FormState | None = None,
    message: str | None = None,
) -> Response:
    view = conclusion_view(engine, who, workflow_id)
    if view is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Không tìm thấy kết luận '{workflow_id}'.")
    extra = {"flash": message, "flash_kind": "error"} if message else {}
    return show(
        request,
        "pages/conclusion.html",
        who,
        status_code=code,
        view=view,
        form=form or FormState(),
        kinds=KIND,
        steps=STEP,
        event_kinds=EVENT_KINDS,
        unit_options=[(u.row.code, u.row.name) for u in view.units],
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
def conclusion(request: Request, workflow_id: str, ctx: Ctx, who: Reader) -> Response:
    return _page(request, ctx.engine, who, workflow_id)
