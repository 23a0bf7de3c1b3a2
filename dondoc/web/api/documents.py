"""The conclusion's own document, as it was imported to register it (DOCX, PDF or plain text), for whoever may see
it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool

from dondoc import drafts
from dondoc.storage import ALLOWED, UploadError
from dondoc.web.api.common import Conclusion, Ctx, not_found
from dondoc.web.api.errors import READ
from dondoc.web.downloads import content_disposition, stored_response

router = APIRouter()
_BINARY = {"schema": {"type": "string", "format": "binary"}}
_DOCUMENT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the conclusion's document as imported, as an attachment",
        "content": {media_type: _BINARY for media_type in [*ALLOWED, "text/plain", "application/octet-stream"]},
    },
    **READ,
}


@router.get(
    "/conclusions/{workflow_id}/document",
    response_class=FileResponse,
    responses=_DOCUMENT,
    tags=["conclusions"],
    summary="Download the conclusion's own document (the DOCX, PDF or plain text it was imported from)",
)
async def conclusion_document(conclusion: Conclusion, ctx: Ctx) -> Response:
    row = await run_in_threadpool(drafts.of_conclusion, ctx.engine, conclusion.workflow_id)
    if row is None or row.source_sha256 is None:
        raise not_found("Kết luận này không được nhập từ văn bản nên không có văn bản gốc đi kèm.")
    try:
        blob = await run_in_threadpool(ctx.files.open, row.source_sha256)
    except UploadError:
        blob = None
    if blob is None:
        raise not_found("Văn bản gốc không còn trong kho lưu trữ.")
    media_type = row.source_media_type or ""
    if media_type not in ALLOWED and not media_type.startswith("text/plain; charset="):
        media_type = "application/octet-stream"
    headers = {
        "Content-Disposition": content_disposition(row.source_name or "ket-luan"),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-cache",
    }
    return stored_response(blob, media_type, headers)
