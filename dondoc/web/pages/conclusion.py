"""One conclusion: per unit its actions, evidence, extension requests, report and the letters sent (each with its
office number); the timeline. The staff forms it shows post to pages.actions and pages.letters."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import Response
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from dondoc import drafts
from dondoc.web import queries
from dondoc.web.clock import clock
from dondoc.web.context import AppContext
from dondoc.web.letters import DOCX_STEPS, LetterView, letters
from dondoc.web.pages.common import UNRESOLVED, Ctx, FormState, Reader, late_days, ref_order, show
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
    letters: list[LetterView]
    report_late_days: int | None
    outstanding: bool  # something of the unit climbs the ladder: a letter can be drawn up for it


@dataclass
class ConclusionView:
    conclusion: ConclusionRow
    active: bool
    units: list[UnitView]
    events: list[AuditEventRow]
    statuses: list[tuple[str, int]]
    late: int


def conclusion_view(engine: Engine, who: Principal, workflow_id: str) -> ConclusionView | None:
    detail = queries.conclusion_detail(engine, who, workflow_id)
    if detail is None:
        return None
    events = queries.timeline(engine, who, workflow_id)
    now = clock()
    active = detail.conclusion.status == "active"
    per_unit: dict[str, list[LetterView]] = {}
    for letter in letters(events, detail.notifications):
        per_unit.setdefault(letter.unit, []).append(letter)
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
            for a in sorted(detail.actions_of(unit.code), key=lambda a: ref_order(a.ref))
        ]
        awaited = active and unit.report_status in ("awaited", "returned")
        units.append(
            UnitView(
                row=unit,
                actions=actions,
                reports=detail.reports_of(unit.code),
                letters=per_unit.get(unit.code, []),
                report_late_days=late_days(unit.report_due, awaited, False, now),
                outstanding=awaited or any(a.row.status == "open" for a in actions if a.unresolved),
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
        docx_steps=[(s.value, STEP[s]) for s in DOCX_STEPS],
        refs={a.action_id: a.ref for u in view.units for a in (x.row for x in u.actions) if a.ref},
        event_kinds=EVENT_KINDS,
        unit_options=[(u.row.code, u.row.name) for u in view.units],
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
def conclusion(request: Request, workflow_id: str, ctx: Ctx, who: Reader) -> Response:
    return _page(request, ctx.engine, who, workflow_id)
