"""What agencies send (evidence, extension requests, follow-up reports) and how a conclusion is registered.

Uploads are multipart, read by hand after the checks so that an unauthorised or oversize request is refused before
its body is read; each file is streamed into the content-addressed store, then the update is sent.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlmodel import Session, col, select
from starlette.datastructures import UploadFile

from dondoc import drafts, officers, unit_directory
from dondoc.spec_loader import SpecError, parse_spec
from dondoc.storage import StoredFile
from dondoc.web import uploads
from dondoc.web.api.common import (
    FILE_FIELD,
    Agency,
    Conclusion,
    Ctx,
    IdempotencyKey,
    Staff,
    TargetAction,
    TargetUnit,
    answer,
    check_unit,
    check_upload_size,
    each_once,
    form_fields,
    get_row,
    multipart_body,
    not_found,
    read_form,
    send,
    store_files,
    unprocessable,
)
from dondoc.web.api.errors import CHANGE, UPLOAD, answers
from dondoc.web.api.schemas import (
    EvidenceFields,
    ExtensionRequestIn,
    ReportFields,
    StartedOut,
    WriteResult,
    inline_schema,
)
from dondoc.web.security import Principal
from models import commands as c
from models.spec import MAX_ACTIONS, ConclusionSpec
from models.tables import ActionRow, ConclusionRow

FieldsT = TypeVar("FieldsT", bound=BaseModel)

router = APIRouter()

_SPEC_EXAMPLE: dict[str, Any] = {
    "number": "15/KL-TTr",
    "issued_on": "2025-03-10",
    "issuer": "Thanh tra tỉnh",
    "title": "Thanh tra việc quản lý, sử dụng ngân sách",
    "tracking_body": "Thanh tra tỉnh",
    "inspectorate_head": "chanhthanhtra@example.vn",
    "agency_head": "chutich@example.vn",
    "units": [{"code": "ly-son", "name": "UBND huyện Lý Sơn", "contacts": ["vanphong@lyson.example.vn"]}],
    "actions": [{"id": "thu-hoi", "unit": "ly-son", "kind": "recover", "text": "Thu hồi", "due": "2025-06-30",
                 "amount_vnd": 120000000}],
}  # fmt: skip


def _refused_spec(error: SpecError, what: str) -> JSONResponse:
    return JSONResponse(
        {"detail": f"{what}: " + "; ".join(error.problems), "errors": error.problems},
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )


@router.post(
    "/conclusions",
    response_model=StartedOut,
    status_code=status.HTTP_201_CREATED,
    tags=["conclusions"],
    summary="Register a conclusion (the spec as JSON) and start its follow-up",
    responses={
        202: {"model": StartedOut, "description": "started, but not yet in the read model"},
        **answers(
            400,
            403,
            409,
            413,
            422,
            e409="this number and year are followed up already",
            e422="the spec is invalid: `errors` lists one Vietnamese line per problem, naming its field",
        ),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": inline_schema(ConclusionSpec), "example": _SPEC_EXAMPLE}},
        }
    },
)
async def start_conclusion(
    ctx: Ctx, who: Staff, spec: Annotated[Any, Body(description="see docs/conclusion-spec.md")]
) -> Response:
    try:
        directory = await asyncio.to_thread(unit_directory.defaults, ctx.engine)
        parsed = parse_spec(spec, directory)
        if (placeholder := drafts.placeholder_problem(parsed.number)) is not None:
            raise SpecError([f"number: {placeholder}"])
        parsed = await asyncio.to_thread(officers.assign, ctx.engine, parsed, who.email)
    except SpecError as error:
        return _refused_spec(error, "Hồ sơ kết luận không hợp lệ")
    except officers.OfficerError as error:
        return _refused_spec(SpecError([str(error)]), "Hồ sơ kết luận không hợp lệ")
    workflow_id = await ctx.gateway.start(parsed, who.email)
    projected = await _wait_projected(ctx, workflow_id)
    url = f"/api/conclusions/{workflow_id}"
    body = StartedOut(workflow_id=workflow_id, number=parsed.number, projected=projected, url=url)
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=status.HTTP_201_CREATED if projected else status.HTTP_202_ACCEPTED,
        headers={"Location": url},
    )


async def _wait_projected(ctx: Ctx, workflow_id: str, seconds: float = 15.0) -> bool:
    """Starting returns before the first projection; wait (briefly) so that the next GET shows the conclusion."""
    delay, waited = 0.02, 0.0
    while waited < seconds:
        if await asyncio.to_thread(get_row, ctx, ConclusionRow, workflow_id) is not None:
            return True
        await asyncio.sleep(delay)
        waited += delay
        delay = min(delay * 1.5, 0.25)
    return False


_ALSO_ACTION_IDS = {
    "type": "array",
    "items": {"type": "string", "minLength": 1, "maxLength": 64},
    "maxItems": MAX_ACTIONS - 1,
    "description": "the same files are evidence for these further actions of the same unit too (e.g. one dispatch "
    "of the unit answering several items): one evidence per action, each reviewed on its own, all in one change; "
    "repeat the field (or separate ids by commas). Every action must be the unit's and open, else nothing is "
    "recorded. Not with `recovered_vnd`",
}


@router.post(
    "/conclusions/{workflow_id}/actions/{action_id}/evidence",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    tags=["evidence"],
    summary="Upload evidence for an action, or the same files for several actions (agency of their unit)",
    responses=UPLOAD,
    openapi_extra=multipart_body(
        {
            **FILE_FIELD,
            "note": {"type": "string", "maxLength": 4000},
            "recovered_vnd": {"type": "integer", "minimum": 0, "description": "amount recovered (kind recover)"},
            "also_action_ids": _ALSO_ACTION_IDS,
        },
        ["file"],
    ),
)
async def submit_evidence(
    request: Request,
    ctx: Ctx,
    who: Agency,
    conclusion: Conclusion,
    action: TargetAction,
    key: IdempotencyKey = None,
) -> WriteResult:
    check_upload_size(request, ctx)
    form = await read_form(request)
    try:
        fields: EvidenceFields = form_fields(form, EvidenceFields, ("note", "recovered_vnd"))
        also = await asyncio.to_thread(_also_actions, ctx, who, conclusion, action, form.getlist("also_action_ids"))
        if also and fields.recovered_vnd is not None:
            raise unprocessable(
                "recovered_vnd: số tiền đã thu hồi chỉ ghi khi nộp minh chứng cho một kiến nghị; "
                "nộp riêng cho kiến nghị thu hồi tiền."
            )
        stored = await store_files(ctx, form)
    finally:
        await form.close()
    command = c.SubmitEvidence(
        actor=who.email,
        action_id=action.action_id,
        also_action_ids=also,
        files=[s.ref for s in stored],
        note=fields.note,
        recovered_vnd=fields.recovered_vnd,
    )
    result = await uploads.submit(ctx, conclusion.workflow_id, stored, lambda: send(ctx, conclusion, command, key))
    out = await answer(ctx, who, conclusion.workflow_id, result.created)
    out.also_created = result.also_created
    return out


def _also_actions(
    ctx: Ctx, who: Principal, conclusion: ConclusionRow, first: ActionRow, values: list[str | UploadFile]
) -> list[str]:
    """The further actions named in `also_action_ids`, checked like the path's action: each exists (404) and is of
    the caller's unit (403), none twice (422)."""
    ids = [part.strip() for value in values if isinstance(value, str) for part in value.split(",") if part.strip()]
    if len(ids) > MAX_ACTIONS - 1:
        raise unprocessable(f"also_action_ids: tối đa {MAX_ACTIONS - 1} kiến nghị.")
    each_once(first.action_id, ids, "also_action_ids", "kiến nghị")
    if not ids:
        return []
    with Session(ctx.engine) as session:
        rows = session.exec(
            select(ActionRow).where(
                col(ActionRow.workflow_id) == conclusion.workflow_id, col(ActionRow.action_id).in_(ids)
            )
        ).all()
    found = {row.action_id: row for row in rows}
    for action_id in ids:
        row = found.get(action_id)
        if row is None:
            raise not_found(f"Không tìm thấy kiến nghị '{action_id}' trong kết luận {conclusion.number}.")
        check_unit(who, row.unit, f"Kiến nghị '{action_id}'")
    return ids


@router.post(
    "/conclusions/{workflow_id}/actions/{action_id}/extension-requests",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    tags=["extensions"],
    summary="Ask for a later due date (agency of the action's unit)",
    responses=CHANGE,
)
async def request_extension(
    body: ExtensionRequestIn,
    ctx: Ctx,
    who: Agency,
    conclusion: Conclusion,
    action: TargetAction,
    key: IdempotencyKey = None,
) -> WriteResult:
    command = c.RequestExtension(
        actor=who.email, action_id=action.action_id, requested_due=body.requested_due, reason=body.reason
    )
    result = await send(ctx, conclusion, command, key)
    return await answer(ctx, who, conclusion.workflow_id, result.created)


@router.post(
    "/conclusions/{workflow_id}/units/{unit}/reports",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    tags=["reports"],
    summary="Submit the unit's follow-up report (agency of the unit)",
    responses=UPLOAD,
    openapi_extra=multipart_body({**FILE_FIELD, "note": {"type": "string", "maxLength": 4000}}, ["file"]),
)
async def submit_report(
    request: Request,
    ctx: Ctx,
    who: Agency,
    conclusion: Conclusion,
    unit: TargetUnit,
    key: IdempotencyKey = None,
) -> WriteResult:
    fields, stored = await _submission(request, ctx, ReportFields, ("note",))
    files = [s.ref for s in stored]
    command = c.SubmitReport(actor=who.email, unit=unit.code, files=files, note=fields.note)
    result = await uploads.submit(ctx, conclusion.workflow_id, stored, lambda: send(ctx, conclusion, command, key))
    return await answer(ctx, who, conclusion.workflow_id, result.created)


async def _submission(
    request: Request, ctx: Ctx, model: type[FieldsT], names: tuple[str, ...]
) -> tuple[FieldsT, list[StoredFile]]:
    """A multipart submission: its size checked before reading, its text fields validated, its files stored."""
    check_upload_size(request, ctx)
    form = await read_form(request)
    try:
        fields: FieldsT = form_fields(form, model, names)
        return fields, await store_files(ctx, form)
    finally:
        await form.close()
