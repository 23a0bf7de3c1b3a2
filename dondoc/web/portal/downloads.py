"""Files a unit may download again: its own evidence and reports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool

from dondoc.storage import ALLOWED, UploadError
from dondoc.web import queries
from dondoc.web.context import AppContext
from dondoc.web.portal.access import Ctx, principal_or_link_error
from dondoc.web.rendering import PRIVATE

router = APIRouter()

# ---------------------------------------------------------------- downloads


def _download(ctx: AppContext, files: list[dict[str, Any]], sha256: str) -> Response:
    ref = next((f for f in files if f.get("sha256") == sha256), None)
    if ref is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Không tìm thấy tệp.")
    try:
        path = ctx.files.path_of(sha256)
    except UploadError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Không tìm thấy tệp.") from None
    if not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Tệp không còn trong kho lưu trữ; liên hệ cơ quan thanh tra.")
    content_type = str(ref.get("content_type", ""))
    return FileResponse(
        path,
        media_type=content_type if content_type in ALLOWED else "application/octet-stream",
        filename=str(ref.get("name") or "tep"),
        content_disposition_type="attachment",
        headers={
            **PRIVATE,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


@router.get("/portal/conclusions/{workflow_id}/evidence/{evidence_id}/files/{sha256}", include_in_schema=False)
async def evidence_file(request: Request, workflow_id: str, evidence_id: str, sha256: str, ctx: Ctx) -> Response:
    """A file of an evidence submission, as an attachment with its original name (the unit's own, or staff)."""
    who = await run_in_threadpool(principal_or_link_error, request, ctx)
    if isinstance(who, Response):
        return who
    row = await run_in_threadpool(queries.evidence_row, ctx.engine, who, workflow_id, evidence_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Không tìm thấy minh chứng.")
    return _download(ctx, row.files, sha256)


@router.get("/portal/conclusions/{workflow_id}/reports/{report_id}/files/{sha256}", include_in_schema=False)
async def report_file(request: Request, workflow_id: str, report_id: str, sha256: str, ctx: Ctx) -> Response:
    """A file of a follow-up report, as an attachment with its original name."""
    who = await run_in_threadpool(principal_or_link_error, request, ctx)
    if isinstance(who, Response):
        return who
    detail = await run_in_threadpool(queries.conclusion_detail, ctx.engine, who, workflow_id)
    row = next((r for r in detail.reports if r.report_id == report_id), None) if detail else None
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Không tìm thấy báo cáo.")
    return _download(ctx, row.files, sha256)
