"""Reads of the JSON API, all from the SQL read model and limited to what the asking principal may see."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, Response

from dondoc.storage import ALLOWED, Store, UploadError
from dondoc.web import queries
from dondoc.web.api.common import Conclusion, Ctx, Who, not_found
from dondoc.web.api.errors import READ, answers
from dondoc.web.api.schemas import (
    ConclusionOut,
    ConclusionSummary,
    EventOut,
    MeOut,
    NotificationOut,
    OverdueOut,
    event_out,
    notification_out,
    split_global_id,
)
from dondoc.web.downloads import content_disposition, stored_response
from dondoc.web.security import csrf_token
from models.state import ConclusionStatus, FileRef

router = APIRouter()

FileIndex = Annotated[int, Query(ge=0, le=99, description="which file of a multi-file submission (0 = the first)")]
_BINARY = {"schema": {"type": "string", "format": "binary"}}
_FILE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the stored file, as an attachment, with the content type detected at upload",
        "content": {media_type: _BINARY for media_type in [*ALLOWED, "application/octet-stream"]},
    },
    **READ,
}


@router.get("/me", response_model=MeOut, tags=["account"], summary="Who is asking, and the CSRF token")
def me(request: Request, who: Who) -> MeOut:
    return MeOut(
        email=who.email,
        role=who.role.value,
        unit=who.unit,
        via=who.via,
        workflow_id=who.workflow_id,
        csrf_token=csrf_token(request) if who.via != "token" else None,
    )


@router.get(
    "/conclusions",
    response_model=list[ConclusionSummary],
    responses=answers(422),
    tags=["conclusions"],
    summary="Conclusions the principal may see, newest first",
)
def list_conclusions(
    ctx: Ctx,
    who: Who,
    status: Annotated[ConclusionStatus | None, Query(description="active | closed | withdrawn")] = None,
    unit: Annotated[str | None, Query(max_length=64, description="only conclusions with this unit code")] = None,
    overdue: Annotated[bool | None, Query(description="true: with overdue actions; false: without")] = None,
    text: Annotated[str | None, Query(max_length=200, description="in the number, title or issuer")] = None,
) -> list[ConclusionSummary]:
    rows = queries.list_conclusions(
        ctx.engine, who, status=status.value if status else None, unit=unit, overdue=overdue, text=text
    )
    return [ConclusionSummary.of(row) for row in rows]


@router.get(
    "/conclusions/{workflow_id}",
    response_model=ConclusionOut,
    responses=answers(404),
    tags=["conclusions"],
    summary="One conclusion with its units, actions, evidence, reports and extension requests",
)
def get_conclusion(conclusion: Conclusion, ctx: Ctx, who: Who) -> ConclusionOut:
    detail = queries.conclusion_detail(ctx.engine, who, conclusion.workflow_id)
    if detail is None:
        raise not_found(f"Không tìm thấy kết luận '{conclusion.workflow_id}'.")
    return ConclusionOut.of_detail(detail, queries.timeline(ctx.engine, who, conclusion.workflow_id))


@router.get(
    "/conclusions/{workflow_id}/timeline",
    response_model=list[EventOut],
    responses=answers(404),
    tags=["conclusions"],
    summary="The audit trail (agency users: their unit's actions and report only)",
)
def get_timeline(conclusion: Conclusion, ctx: Ctx, who: Who) -> list[EventOut]:
    return [event_out(e) for e in queries.timeline(ctx.engine, who, conclusion.workflow_id)]


@router.get(
    "/overdue",
    response_model=list[OverdueOut],
    responses=answers(422),
    tags=["follow-up"],
    summary="Open actions past their due time, oldest first",
)
def get_overdue(
    ctx: Ctx,
    who: Who,
    workflow_id: Annotated[str | None, Query(max_length=120, description="only this conclusion")] = None,
) -> list[OverdueOut]:
    items = queries.overdue(ctx.engine, who, datetime.now(UTC))
    return [OverdueOut.of(i) for i in items if workflow_id is None or i.conclusion.workflow_id == workflow_id]


@router.get(
    "/notifications",
    response_model=list[NotificationOut],
    responses=answers(422),
    tags=["follow-up"],
    summary="The mail outbox: every reminder and urging, newest first",
)
def get_notifications(
    ctx: Ctx,
    who: Who,
    status: Annotated[Literal["pending", "sent", "failed"] | None, Query()] = None,
    workflow_id: Annotated[str | None, Query(max_length=120, description="only this conclusion")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[NotificationOut]:
    rows = queries.notifications(ctx.engine, who, status=status, workflow_id=workflow_id, limit=limit)
    return [notification_out(n) for n in rows]


@router.get(
    "/evidence/{evidence_id}/file",
    response_class=FileResponse,
    responses=_FILE_RESPONSE,
    tags=["evidence"],
    summary="Download an evidence file; the id is global: `<workflow_id>.<ev-n>`",
)
def evidence_file(evidence_id: str, ctx: Ctx, who: Who, n: FileIndex = 0) -> Response:
    parsed = split_global_id(evidence_id)
    row = queries.evidence_row(ctx.engine, who, *parsed) if parsed else None
    if row is None:
        raise not_found(f"Không tìm thấy minh chứng '{evidence_id}'.")
    return _download(ctx.files, row.files, n)


@router.get(
    "/reports/{report_id}/file",
    response_class=FileResponse,
    responses=_FILE_RESPONSE,
    tags=["reports"],
    summary="Download a follow-up report file; the id is global: `<workflow_id>.<rp-n>`",
)
def report_file(report_id: str, ctx: Ctx, who: Who, n: FileIndex = 0) -> Response:
    parsed = split_global_id(report_id)
    detail = queries.conclusion_detail(ctx.engine, who, parsed[0]) if parsed else None
    row = next((r for r in detail.reports if parsed and r.report_id == parsed[1]), None) if detail else None
    if row is None:
        raise not_found(f"Không tìm thấy báo cáo '{report_id}'.")
    return _download(ctx.files, row.files, n)


def _download(store: Store, files: list[dict[str, Any]], n: int) -> Response:
    if n >= len(files):
        raise not_found(f"Không có tệp số {n} (có {len(files)} tệp).")
    ref = FileRef.model_validate(files[n])
    try:
        blob = store.open(ref.sha256)
    except UploadError:
        raise not_found("Không tìm thấy tệp.") from None
    if blob is None:
        raise not_found(f"Tệp «{ref.name}» không còn trong kho lưu trữ.")
    media_type = ref.content_type if ref.content_type in ALLOWED else "application/octet-stream"
    headers = {
        "Content-Disposition": content_disposition(ref.name),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-cache",
    }
    return stored_response(blob, media_type, headers)
