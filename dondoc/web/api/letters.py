"""Letters through the API: a unit's letter drawn up now as DOCX (to number, sign and dispatch by hand), and the
office number of a letter that went out (later letters cite it)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import Response

from dondoc.web.api.common import Conclusion, Ctx, IdempotencyKey, Staff, TargetUnit, answer, send
from dondoc.web.api.errors import answers
from dondoc.web.api.schemas import LetterNumberIn, WriteResult
from dondoc.web.downloads import DOCX_TYPE, docx_response
from dondoc.web.letters import DOCX_STEPS, docx_step, draft_docx
from dondoc.web.security import Principal, require
from models import commands as c
from models.web_tables import Role

router = APIRouter()

Reader = Annotated[Principal, require(Role.staff, Role.supervisor)]
Step = Annotated[str, Path(description=" | ".join(s.value for s in DOCX_STEPS), max_length=32)]

_DOCX: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the letter as a Word document (an attachment named van-ban-<step>-<unit>-<yyyymmdd>.docx)",
        "content": {DOCX_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    },
    **answers(
        403,
        404,
        409,
        422,
        e404="no such conclusion (or not yours to see), unit or step",
        e409="the unit owes nothing any more: no letter to draw up",
    ),
}


@router.get(
    "/conclusions/{workflow_id}/units/{unit}/letters/{step}",
    response_class=Response,
    responses=_DOCX,
    tags=["letters"],
    summary="The letter of a step (urging, second_urging, proposal) to a unit as it would read today, as DOCX",
)
async def letter_docx(step: Step, ctx: Ctx, who: Reader, conclusion: Conclusion, unit: TargetUnit) -> Response:
    content, filename = await draft_docx(ctx, conclusion.workflow_id, unit.code, docx_step(step))
    return docx_response(content, filename)


@router.post(
    "/conclusions/{workflow_id}/letters/number",
    response_model=WriteResult,
    responses=answers(400, 403, 404, 409, 413, 422, e409="no letter with this key went out (the message says why)"),
    tags=["letters"],
    summary="Record the office number (and signing day) of a letter that went out; later letters cite it",
)
async def record_letter_number(
    body: LetterNumberIn,
    ctx: Ctx,
    who: Staff,
    conclusion: Conclusion,
    idempotency: IdempotencyKey = None,
) -> WriteResult:
    command = c.RecordLetterNumber(actor=who.email, key=body.key, number=body.number, signed_on=body.signed_on)
    await send(ctx, conclusion, command, idempotency)
    return await answer(ctx, who, conclusion.workflow_id)
