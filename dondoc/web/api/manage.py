"""What staff decide: reviews of evidence and reports, extension decisions, waive, transfer, amend, withdraw."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Response, status
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from dondoc.spec_loader import explain
from dondoc.web.api.common import (
    Conclusion,
    Ctx,
    IdempotencyKey,
    Staff,
    TargetAction,
    TargetEvidence,
    TargetReport,
    TargetRequest,
    TargetUnit,
    answer,
    each_once,
    not_found,
    send,
)
from dondoc.web.api.errors import CHANGE, answers
from dondoc.web.api.schemas import (
    ContactsIn,
    EvidenceReviewIn,
    ExtensionDecisionIn,
    ReasonIn,
    ReviewIn,
    WriteResult,
    inline_schema,
)
from dondoc.web.context import AppContext
from models import commands as c
from models.spec import NEW_INPUT, ActionSpec
from models.tables import ConclusionRow, EvidenceRow

router = APIRouter()

_REFUSED = CHANGE  # 409: refused by the rules (the message says why, in Vietnamese)


@router.post(
    "/conclusions/{workflow_id}/evidence/{evidence_id}/review",
    response_model=WriteResult,
    responses=_REFUSED,
    tags=["evidence"],
    summary="Accept evidence, or reject it with a reason (the action is open again); the same decision on several "
    "evidence at once with `also_evidence_ids`",
)
async def review_evidence(
    body: EvidenceReviewIn,
    ctx: Ctx,
    who: Staff,
    conclusion: Conclusion,
    evidence: TargetEvidence,
    key: IdempotencyKey = None,
) -> WriteResult:
    also = await run_in_threadpool(_also_evidence, ctx, conclusion, evidence.evidence_id, body.also_evidence_ids)
    command = c.ReviewEvidence(
        actor=who.email,
        evidence_id=evidence.evidence_id,
        also_evidence_ids=also,
        decision=body.decision,
        reason=body.reason,
        new_due=body.new_due,
    )
    await send(ctx, conclusion, command, key)
    return await answer(ctx, who, conclusion.workflow_id)


def _also_evidence(ctx: AppContext, conclusion: ConclusionRow, first: str, ids: list[str]) -> list[str]:
    """The further evidence of one decision: each once (422) and in this conclusion's read model (404 naming it)."""
    each_once(first, ids, "also_evidence_ids", "minh chứng")
    if not ids:
        return []
    with Session(ctx.engine) as session:
        found = set(
            session.exec(
                select(EvidenceRow.evidence_id).where(
                    col(EvidenceRow.workflow_id) == conclusion.workflow_id, col(EvidenceRow.evidence_id).in_(ids)
                )
            ).all()
        )
    missing = next((evidence_id for evidence_id in ids if evidence_id not in found), None)
    if missing is not None:
        raise not_found(f"Không tìm thấy minh chứng '{missing}' trong kết luận {conclusion.number}.")
    return ids


@router.post(
    "/conclusions/{workflow_id}/extension-requests/{request_id}/decision",
    response_model=WriteResult,
    responses=_REFUSED,
    tags=["extensions"],
    summary="Approve an extension request (new deadline and ladder) or deny it with a reason",
)
async def decide_extension(
    body: ExtensionDecisionIn,
    ctx: Ctx,
    who: Staff,
    conclusion: Conclusion,
    extension: TargetRequest,
    key: IdempotencyKey = None,
) -> WriteResult:
    command = c.DecideExtension(
        actor=who.email,
        request_id=extension.request_id,
        approve=body.approve,
        reason=body.reason,
        granted_due=body.granted_due,
    )
    await send(ctx, conclusion, command, key)
    return await answer(ctx, who, conclusion.workflow_id)


@router.post(
    "/conclusions/{workflow_id}/reports/{report_id}/review",
    response_model=WriteResult,
    responses=_REFUSED,
    tags=["reports"],
    summary="Accept a follow-up report, or return it with a reason",
)
async def review_report(
    body: ReviewIn,
    ctx: Ctx,
    who: Staff,
    conclusion: Conclusion,
    report: TargetReport,
    key: IdempotencyKey = None,
) -> WriteResult:
    command = c.ReviewReport(
        actor=who.email, report_id=report.report_id, decision=body.decision, reason=body.reason, new_due=body.new_due
    )
    await send(ctx, conclusion, command, key)
    return await answer(ctx, who, conclusion.workflow_id)


@router.post(
    "/conclusions/{workflow_id}/actions/{action_id}/waive",
    response_model=WriteResult,
    responses=_REFUSED,
    tags=["actions"],
    summary="Waive an action (miễn thực hiện), with a reason",
)
async def waive_action(
    body: ReasonIn,
    ctx: Ctx,
    who: Staff,
    conclusion: Conclusion,
    action: TargetAction,
    key: IdempotencyKey = None,
) -> WriteResult:
    await send(ctx, conclusion, c.WaiveAction(actor=who.email, action_id=action.action_id, reason=body.reason), key)
    return await answer(ctx, who, conclusion.workflow_id)


@router.post(
    "/conclusions/{workflow_id}/actions/{action_id}/transfer",
    response_model=WriteResult,
    responses=_REFUSED,
    tags=["actions"],
    summary="Transfer an action to the investigating body, with the reason (e.g. the letter number)",
)
async def transfer_action(
    body: ReasonIn,
    ctx: Ctx,
    who: Staff,
    conclusion: Conclusion,
    action: TargetAction,
    key: IdempotencyKey = None,
) -> WriteResult:
    command = c.TransferAction(actor=who.email, action_id=action.action_id, reason=body.reason)
    await send(ctx, conclusion, command, key)
    return await answer(ctx, who, conclusion.workflow_id)


@router.post(
    "/conclusions/{workflow_id}/actions",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    responses=answers(400, 403, 404, 409, 413, 422, e422="the action is invalid: `errors` lists one line per problem"),
    tags=["actions"],
    summary="Amend the conclusion: add an action (same shape as an action of the spec)",
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": inline_schema(ActionSpec)}}}
    },
)
async def add_action(
    ctx: Ctx,
    who: Staff,
    conclusion: Conclusion,
    action: Annotated[Any, Body(description="an ActionSpec: id, unit, kind, text, due or due_in, amount_vnd")],
    key: IdempotencyKey = None,
) -> Response:
    try:
        spec = ActionSpec.model_validate(action, context=NEW_INPUT)
    except ValidationError as error:
        problems = explain(error)
        return JSONResponse(
            {"detail": "Kiến nghị bổ sung không hợp lệ: " + "; ".join(problems), "errors": problems},
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    await send(ctx, conclusion, c.AddAction(actor=who.email, action=spec), key)
    result = await answer(ctx, who, conclusion.workflow_id, created=spec.id)
    return JSONResponse(result.model_dump(mode="json"), status_code=status.HTTP_201_CREATED)


@router.put(
    "/conclusions/{workflow_id}/units/{unit}/contacts",
    response_model=WriteResult,
    responses=_REFUSED,
    tags=["units"],
    summary="Replace a unit's contacts, head and supervisor (who the notices go to) and their titles",
)
async def change_contacts(
    body: ContactsIn,
    ctx: Ctx,
    who: Staff,
    conclusion: Conclusion,
    unit: TargetUnit,
    key: IdempotencyKey = None,
) -> WriteResult:
    command = c.ChangeUnitContacts(
        actor=who.email,
        unit=unit.code,
        contacts=body.contacts,
        head=body.head,
        supervisor=body.supervisor,
        head_title=body.head_title,
        supervisor_title=body.supervisor_title,
    )
    await send(ctx, conclusion, command, key)
    return await answer(ctx, who, conclusion.workflow_id)


@router.post(
    "/conclusions/{workflow_id}/withdraw",
    response_model=WriteResult,
    responses=_REFUSED,
    tags=["conclusions"],
    summary="Withdraw the conclusion from follow-up, with a reason",
)
async def withdraw(
    body: ReasonIn,
    ctx: Ctx,
    who: Staff,
    conclusion: Conclusion,
    key: IdempotencyKey = None,
) -> WriteResult:
    await send(ctx, conclusion, c.Withdraw(actor=who.email, reason=body.reason), key)
    return await answer(ctx, who, conclusion.workflow_id)
