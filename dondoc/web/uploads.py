"""Files of a submission on their way in: streamed to the store all or nothing, and released again when the rules
refuse the submission, never while another submission relies on the same content (portal and API alike)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from dondoc import file_refs
from dondoc.gateway import Refused
from dondoc.storage import StoredFile, too_large
from dondoc.web.bodies import LimitedUpload
from dondoc.web.context import AppContext

_CHUNK = 1024 * 1024
T = TypeVar("T")


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(_CHUNK):
        yield chunk


async def store(ctx: AppContext, uploads: list[UploadFile]) -> list[StoredFile]:
    """Stream every upload to the store; when one is refused (UploadError) none of them is kept. A file the form
    parser already found too large (its content dropped while it streamed) is refused like one the store finds so."""
    stored: list[StoredFile] = []
    try:
        for upload in uploads:
            if isinstance(upload, LimitedUpload) and upload.too_large:
                raise too_large(upload.shown_name, upload.limit)
            stored.append(await ctx.files.save(upload.filename or "", _chunks(upload)))
    except BaseException:
        await run_in_threadpool(forget, ctx, stored)
        raise
    return stored


async def submit(ctx: AppContext, workflow_id: str, stored: list[StoredFile], send: Callable[[], Awaitable[T]]) -> T:
    """Send the submission; when the rules refuse it, release its files and re-raise. Any other failure (a timeout
    …) keeps them: the update may still be applied."""
    try:
        return await send()
    except Refused:
        in_use = await files_in_use(ctx, workflow_id)
        await run_in_threadpool(forget, ctx, stored, in_use)
        raise


def forget(ctx: AppContext, stored: list[StoredFile], in_use: set[str] | None = None) -> None:
    """Delete what a request stored, unless a submission uses the same content: one recorded in SQL, one in the
    conclusion's own state (`in_use`: applied, maybe not projected yet) or one being saved right now."""
    for file in stored:
        if file.ref.sha256 in (in_use or set()) or _referenced(ctx.engine, file.ref.sha256):
            continue
        ctx.files.discard(file)


async def files_in_use(ctx: AppContext, workflow_id: str) -> set[str]:
    return await ctx.gateway.files_in_use(workflow_id)


SWEEP_GRACE = timedelta(days=7)  # far beyond any update or projection still in flight


def sweep(ctx: AppContext) -> list[str]:
    """Remove stored files no recorded submission uses, once untouched for a week (what the FileSweep schedule
    runs, once per cluster: activities.file_sweep)."""
    return ctx.files.sweep(lambda sha256: _referenced(ctx.engine, sha256), SWEEP_GRACE)


def _referenced(engine: Engine, sha256: str) -> bool:
    """Whether any recorded evidence or report (of any conclusion), or a conclusion's draft as its original
    document, uses this content: indexed lookups (dondoc.file_refs)."""
    return file_refs.referenced(engine, sha256)
