"""The conclusion's own document, as it was imported (DOCX, PDF or plain text): kept in the file store with the
draft read from it, and downloadable from the draft and, once started, from the conclusion's page."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from dondoc import drafts
from dondoc.importer.extract import kind_of
from dondoc.storage import Store, UploadError, safe_name, too_large
from dondoc.web.downloads import content_disposition, stored_response
from dondoc.web.pages.common import Ctx, Reader, Staff
from dondoc.web.pages.conclusion import conclusion_view
from models.draft_tables import ConclusionDraftRow
from models.state import FileRef

router = APIRouter()


async def _chunks(content: bytes) -> AsyncIterator[bytes]:
    yield content


async def keep(files: Store, name: str, content: bytes) -> FileRef:
    """The imported file, byte for byte, in the file store (UploadError when it cannot be kept): a DOCX or PDF
    checked by content as any upload; plain text, which the store's allow-list (what agencies may send) does not
    take, as the importer read it."""
    if kind_of(name, content) in ("docx", "pdf"):
        return (await files.save(name, _chunks(content))).ref
    return await run_in_threadpool(_keep_text, files, name, content)


def _keep_text(files: Store, name: str, content: bytes) -> FileRef:
    clean = safe_name(name)
    if len(content) > files.max_bytes:
        raise too_large(clean, files.max_bytes)
    sha256 = hashlib.sha256(content).hexdigest()
    with tempfile.TemporaryDirectory(prefix="dondoc-original-") as folder:
        path = Path(folder) / sha256
        path.write_bytes(content)
        files.copy_in(path, sha256)
    return FileRef(name=clean, sha256=sha256, size=len(content), content_type=text_media_type(content))


def text_media_type(content: bytes) -> str:
    """Plain text in the encoding the importer read it in: UTF-16 with its BOM, else UTF-8, else Windows-1258."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "text/plain; charset=utf-16"
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return "text/plain; charset=windows-1258"
    return "text/plain; charset=utf-8"


def _document(files: Store, row: ConclusionDraftRow | None) -> Response:
    if row is None or row.source_sha256 is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Không có văn bản gốc đi kèm.")
    try:
        blob = files.open(row.source_sha256)
    except UploadError:
        blob = None
    if blob is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Văn bản gốc không còn trong kho lưu trữ.")
    name = row.source_name or "ket-luan"
    headers = {"Content-Disposition": content_disposition(name), "X-Content-Type-Options": "nosniff"}
    return stored_response(blob, row.source_media_type or "application/octet-stream", headers)


@router.get("/drafts/{draft_id}/document", include_in_schema=False)
def draft_document(draft_id: str, ctx: Ctx, who: Staff) -> Response:
    return _document(ctx.files, drafts.get(ctx.engine, draft_id))


@router.get("/conclusions/{workflow_id}/document", include_in_schema=False)
def conclusion_document(workflow_id: str, ctx: Ctx, who: Reader) -> Response:
    """The signed conclusion as it was imported, kept with the conclusion it started."""
    if conclusion_view(ctx.engine, who, workflow_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Không tìm thấy kết luận này.")
    return _document(ctx.files, drafts.of_conclusion(ctx.engine, workflow_id))
