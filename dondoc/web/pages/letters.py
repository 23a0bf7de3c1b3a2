"""Letters on the staff pages: the DOCX of a unit's letter drawn up now (to number, sign and dispatch), and the form
that records the office number and signing day of a letter sent, so that later letters cite it."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import Response
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from dondoc.web import queries
from dondoc.web.clock import today
from dondoc.web.downloads import docx_response
from dondoc.web.letters import MAX_NUMBER, docx_step, draft_docx
from dondoc.web.pages.actions import apply_form
from dondoc.web.pages.common import DAY_HINT, Ctx, FormState, Reader, Staff, parse_day, safe_next, text
from dondoc.web.security import Principal
from models import commands as c
from models.tables import UnitRow

router = APIRouter()


def _visible_unit(engine: Engine, who: Principal, workflow_id: str, unit: str) -> None:
    """404 unless `who` may see the conclusion and the unit is one of its units."""
    if not queries.may_see(engine, who, workflow_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Không tìm thấy kết luận '{workflow_id}'.")
    with Session(engine) as session:
        row = session.get(UnitRow, (workflow_id, unit))
    if row is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"Không tìm thấy đơn vị '{unit}' trong kết luận '{workflow_id}'."
        )


@router.get("/conclusions/{workflow_id}/units/{unit}/letters/{step}.docx", include_in_schema=False)
async def letter_docx(workflow_id: str, unit: str, step: str, ctx: Ctx, who: Reader) -> Response:
    """Staff and supervisors: the letter of `step` to the unit as it would read today, as a Word document."""
    await run_in_threadpool(_visible_unit, ctx.engine, who, workflow_id, unit)
    content, filename = await draft_docx(ctx, workflow_id, unit, docx_step(step))
    return docx_response(content, filename)


@router.post("/conclusions/{workflow_id}/letters/number", include_in_schema=False)
async def record_number(request: Request, workflow_id: str, ctx: Ctx, who: Staff) -> Response:
    """Staff: the office number (and signing day) of a letter that went out; later letters cite it."""
    data = await request.form()
    key, number, signed = text(data, "key"), text(data, "number"), text(data, "signed_on")
    form = FormState(f"{workflow_id}--number--{key}", values={"number": number, "signed_on": signed})
    if not key.startswith(f"{workflow_id}/"):
        form.errors["form"] = "Không rõ ghi số cho văn bản nào; tải lại trang và thử lại."
    if not number:
        form.errors["number"] = "Nhập số, ký hiệu văn bản (ví dụ 125/TTr-NV)."
    elif len(number) > MAX_NUMBER:
        form.errors["number"] = f"Số, ký hiệu văn bản quá dài (tối đa {MAX_NUMBER} ký tự)."
    day = parse_day(signed) if signed else None
    if signed and day is None:
        form.errors["signed_on"] = DAY_HINT
    elif day is not None and day > today():
        form.errors["signed_on"] = "Ngày ký không thể sau ngày hôm nay."
    back = safe_next(text(data, "next"), f"/conclusions/{workflow_id}")
    return await apply_form(
        request,
        ctx,
        who,
        workflow_id,
        back,
        form,
        lambda: c.RecordLetterNumber(actor=who.email, key=key, number=number, signed_on=day),
        f"Đã ghi số văn bản {number}; các văn bản sau sẽ dẫn số này.",
        {"number", "signed_on"},
    )
