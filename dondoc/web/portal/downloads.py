"""Files a unit may download again: its own evidence and reports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from dondoc.storage import ALLOWED, UploadError
from dondoc.web import queries
from dondoc.web.context import AppContext
from dondoc.web.downloads import content_disposition, stored_response
from dondoc.web.portal.access import Ctx, principal_or_link_error
from dondoc.web.rendering import PRIVATE

router = APIRouter()

# ---------------------------------------------------------------- downloads


async def _download(ctx: AppContext, files: list[dict[str, Any]], sha256: str) -> Response:
    ref = next((f for f in files if f.get("sha256") == sha256), None)
    if ref is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Không tìm thấy tệp.")
    try:
        blob = await run_in_threadpool(ctx.files.open, sha256)
    except UploadError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Không tìm thấy tệp.") from None
    if blob is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Tệp không còn trong kho lưu trữ; liên hệ cơ quan thanh tra.")
    content_type = str(ref.get("content_type", ""))
    headers = {
        **PRIVATE,
        "Content-Disposition": content_disposition(str(ref.get("name") or "tep")),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    return stored_response(blob, content_type if content_type in ALLOWED else "application/octet-stream", headers)


@router.get("/portal/conclusions/{workflow_id}/evidence/{evidence_id}/files/{sha256}", include_in_schema=False)
async def evidence_file(request: Request, workflow_id: str, evidence_id: str, sha256: str, ctx: Ctx) -> Response:
    """A file of an evidence submission, as an attachment with its original name (the unit's own, or staff)."""
    who = await run_in_threadpool(principal_or_link_error, request, ctx)
    if isinstance(who, Response):
        return who
    row = await run_in_threadpool(queries.evidence_row, ctx.engine, who, workflow_id, evidence_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Không tìm thấy minh chứng.")
    return await _download(ctx, row.files, sha256)


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
    return await _download(ctx, row.files, sha256)
