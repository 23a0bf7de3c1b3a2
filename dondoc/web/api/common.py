"""What every API route shares: who asks, what they may see or touch, and how a change is sent and read back.

Order of checks on every route: authentication (401) → role (403, says nothing about the id) → visibility of the
conclusion (404, its existence is not revealed) → the unit of the target for agency users (403) → the target exists
in the read model (404) → the workflow's validator (409). Reads are limited to what the principal may see.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Request, status
from pydantic import BaseModel, ValidationError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from temporalio.service import RPCError

from dondoc.gateway import NotFound, Refused
from dondoc.spec_loader import explain
from dondoc.storage import StoredFile, UploadError
from dondoc.web import bodies, queries, uploads
from dondoc.web.api.schemas import ConclusionOut, WriteResult
from dondoc.web.context import AppContext, get_context
from dondoc.web.security import VIEW_ONLY, Principal, principal, require
from models import commands as c
from models.state import ConclusionStatus
from models.tables import ActionRow, ConclusionRow, EvidenceRow, ExtensionRequestRow, ReportRow, UnitRow
from models.web_tables import Role
from models.workflow_io import UpdateResult

Ctx = Annotated[AppContext, Depends(get_context)]
Who = Annotated[Principal, Depends(principal)]
Staff = Annotated[Principal, require(Role.staff)]
Agency = Annotated[Principal, require(Role.agency)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Any unique string per intended change; a retry with the same key applies it at most once "
        "and answers like the first time.",
    ),
]

MAX_FILES = bodies.API_FILES


def not_found(message: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, message)


def forbidden(message: str) -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, message)


def unprocessable(message: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, message)


def each_once(first: str, more: list[str], field: str, what: str) -> None:
    """422 naming `field` when an id of `more` repeats `first` or another (several items in one change)."""
    seen = {first}
    for item in more:
        if item in seen:
            raise unprocessable(f"{field}: {what} '{item}' có mặt hai lần.")
        seen.add(item)


# ---------------------------------------------------------------- targets, as dependencies (run in a thread)


def visible_conclusion(workflow_id: str, ctx: Ctx, who: Who) -> ConclusionRow:
    """The conclusion if `who` may see it; otherwise 404, exactly as if it did not exist."""
    if not queries.may_see(ctx.engine, who, workflow_id):
        raise not_found(f"Không tìm thấy kết luận '{workflow_id}'.")
    with Session(ctx.engine) as session:
        row = session.get(ConclusionRow, workflow_id)
    if row is None:
        raise not_found(f"Không tìm thấy kết luận '{workflow_id}'.")
    return row


Conclusion = Annotated[ConclusionRow, Depends(visible_conclusion)]


def check_unit(who: Principal, unit: str, what: str) -> None:
    """Agency users (and link visitors) act only for their own unit; a view-only link for nobody."""
    if who.view_only:
        raise forbidden(VIEW_ONLY)
    if who.role == Role.agency and who.unit != unit:
        raise forbidden(f"{what} thuộc đơn vị khác; bạn chỉ được thao tác cho đơn vị {who.unit}.")


def get_row(ctx: AppContext, table: type[Any], *key: str) -> Any:
    with Session(ctx.engine) as session:
        return session.get(table, key)


def target_action(action_id: str, conclusion: Conclusion, ctx: Ctx, who: Who) -> ActionRow:
    action: ActionRow | None = get_row(ctx, ActionRow, conclusion.workflow_id, action_id)
    if action is None:
        raise not_found(f"Không tìm thấy kiến nghị '{action_id}' trong kết luận {conclusion.number}.")
    check_unit(who, action.unit, f"Kiến nghị '{action_id}'")
    return action


def target_unit(unit: str, conclusion: Conclusion, ctx: Ctx, who: Who) -> UnitRow:
    row: UnitRow | None = get_row(ctx, UnitRow, conclusion.workflow_id, unit)
    if row is None:
        raise not_found(f"Không tìm thấy đơn vị '{unit}' trong kết luận {conclusion.number}.")
    check_unit(who, row.code, f"Đơn vị '{unit}'")
    return row


def target_evidence(evidence_id: str, conclusion: Conclusion, ctx: Ctx) -> EvidenceRow:
    row: EvidenceRow | None = get_row(ctx, EvidenceRow, conclusion.workflow_id, evidence_id)
    if row is None:
        raise not_found(f"Không tìm thấy minh chứng '{evidence_id}' trong kết luận {conclusion.number}.")
    return row


def target_request(request_id: str, conclusion: Conclusion, ctx: Ctx) -> ExtensionRequestRow:
    row: ExtensionRequestRow | None = get_row(ctx, ExtensionRequestRow, conclusion.workflow_id, request_id)
    if row is None:
        raise not_found(f"Không tìm thấy đề nghị gia hạn '{request_id}' trong kết luận {conclusion.number}.")
    return row


def target_report(report_id: str, conclusion: Conclusion, ctx: Ctx) -> ReportRow:
    row: ReportRow | None = get_row(ctx, ReportRow, conclusion.workflow_id, report_id)
    if row is None:
        raise not_found(f"Không tìm thấy báo cáo '{report_id}' trong kết luận {conclusion.number}.")
    return row


TargetAction = Annotated[ActionRow, Depends(target_action)]
TargetUnit = Annotated[UnitRow, Depends(target_unit)]
TargetEvidence = Annotated[EvidenceRow, Depends(target_evidence)]
TargetRequest = Annotated[ExtensionRequestRow, Depends(target_request)]
TargetReport = Annotated[ReportRow, Depends(target_report)]


# ---------------------------------------------------------------- changes


def _finished_message(row: ConclusionRow) -> str:
    if row.status == ConclusionStatus.withdrawn:
        return f"Kết luận {row.number} đã bị rút; không thể thay đổi."
    return f"Kết luận {row.number} đã kết thúc theo dõi; không thể thay đổi."


async def send(ctx: AppContext, conclusion: ConclusionRow, command: c.Command, key: str | None) -> UpdateResult:
    """Run `command` as a workflow update and wait until it (and its projection) finished.

    A conclusion that is closed or withdrawn refuses every change with 409, also once its workflow has completed
    (Temporal then no longer takes updates); a retry of the very update that finished it answers as the first time.
    """
    wid = conclusion.workflow_id
    if conclusion.status == ConclusionStatus.active:
        try:
            return await ctx.gateway.update(wid, command, update_id=key)
        except (NotFound, RPCError):
            fresh: ConclusionRow | None = await run_in_threadpool(get_row, ctx, ConclusionRow, wid)
            if fresh is None or fresh.status == ConclusionStatus.active:
                raise
            conclusion = fresh
    if key is not None:
        try:
            result = await ctx.gateway.applied(wid, key)
        except NotFound:
            result = None
        if result is not None:
            return result
    raise Refused(_finished_message(conclusion))


async def answer(ctx: AppContext, who: Principal, workflow_id: str, created: str | None = None) -> WriteResult:
    """The conclusion as `who` sees it now, read back from SQL (the update returned after its projection)."""
    detail = await run_in_threadpool(queries.conclusion_detail, ctx.engine, who, workflow_id)
    if detail is None:  # cannot happen for a principal who just changed it; keep the answer honest anyway
        raise not_found(f"Không tìm thấy kết luận '{workflow_id}'.")
    events = await run_in_threadpool(queries.timeline, ctx.engine, who, workflow_id)
    return WriteResult(workflow_id=workflow_id, created=created, conclusion=ConclusionOut.of_detail(detail, events))


# ---------------------------------------------------------------- uploads


def check_upload_size(request: Request, ctx: AppContext) -> None:
    """Refuse before reading the body when the declared size is already too large (a chunked body is limited
    while it streams, by `read_form`)."""
    declared = request.headers.get("content-length", "")
    limit = bodies.request_limit(request.url.path, ctx.files.max_bytes)
    if declared.isdigit() and int(declared) > limit:
        raise bodies.over_request_limit(limit)


async def read_form(request: Request) -> FormData:
    """The multipart form, per file and per request within the upload limits while it streams."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise unprocessable("Cần gửi dạng multipart/form-data với trường file (tệp) và note (ghi chú).")
    return await bodies.read_form(request, request.app.state.ctx)


def form_fields(form: FormData, model: type[BaseModel], names: tuple[str, ...]) -> Any:
    """The text fields of a multipart form, validated by `model` (422 naming the field)."""
    data: dict[str, Any] = {}
    for name in names:
        value = form.get(name)
        if isinstance(value, str) and value.strip() != "":
            data[name] = value
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise unprocessable("Dữ liệu không hợp lệ: " + "; ".join(explain(error))) from None


async def store_files(ctx: AppContext, form: FormData) -> list[StoredFile]:
    """Stream every `file` part into the content-addressed store, all or nothing; refusals become 422 with the
    store's message."""
    chosen = [v for v in form.getlist("file") if not isinstance(v, str)]
    chosen = [u for u in chosen if u.filename or (u.size or 0) > 0]
    if not chosen:
        raise unprocessable("Chưa chọn tệp: cần gửi ít nhất một tệp trong trường 'file'.")
    try:
        stored: list[StoredFile] = await uploads.store(ctx, chosen)
    except UploadError as error:
        raise unprocessable(str(error)) from None
    return stored


def multipart_body(fields: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """The OpenAPI description of a multipart body (parsed by hand so that checks run before it is read)."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {"type": "object", "properties": fields, "required": required},
                    "encoding": {"file": {"contentType": "application/octet-stream"}},
                }
            },
        }
    }


FILE_FIELD = {
    "file": {
        "type": "array",
        "items": {"type": "string", "format": "binary"},
        "description": f"one or more files (at most {MAX_FILES}): PDF, DOCX, XLSX, DOC, XLS, ODT, JPEG, PNG or ZIP",
    }
}
