"""Registers, statistics and the follow-up report of a conclusion, for staff and supervisors (their conclusions)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from dondoc.reports.period import PeriodError
from dondoc.reports.register import OVERDUE, RegisterFilter, RegisterLine
from dondoc.reports.statistics import Statistics
from dondoc.reports.xlsx import XLSX_TYPE
from dondoc.web import reports
from dondoc.web.api.common import Conclusion, Ctx, not_found, unprocessable
from dondoc.web.api.errors import answers
from dondoc.web.clock import clock
from dondoc.web.security import Principal, require
from models.web_tables import Role

router = APIRouter()

Reader = Annotated[Principal, require(Role.staff, Role.supervisor)]
_XLSX: dict[int | str, dict[str, Any]] = {
    200: {"description": "an Excel workbook", "content": {XLSX_TYPE: {}}},
    **answers(403, 422),
}
_DOCX: dict[int | str, dict[str, Any]] = {
    200: {"description": "a Word document", "content": {reports.DOCX_TYPE: {}}},
    **answers(403, 404),
}
StatusFilter = Literal["open", "evidence_submitted", "done", "waived", "transferred", "overdue"]


class RegisterLineOut(BaseModel):
    workflow_id: str
    conclusion_number: str
    conclusion_issued_on: date
    issuer: str
    unit: str
    unit_name: str
    action_id: str
    ref: str | None
    text: str
    kind: str
    amount_vnd: int | None
    recovered_vnd: int
    due: datetime | None
    due_assumed: bool
    original_due: datetime | None
    status: str
    evidence_accepted_at: datetime | None
    days_overdue: int
    letters_sent: list[str]

    @classmethod
    def of(cls, line: RegisterLine) -> RegisterLineOut:
        f = line.fact
        a, c = f.action, f.conclusion
        return cls(
            workflow_id=c.workflow_id,
            conclusion_number=c.number,
            conclusion_issued_on=c.issued_on,
            issuer=c.issuer,
            unit=f.unit.code,
            unit_name=f.unit.name,
            action_id=a.action_id,
            ref=a.ref,
            text=a.text,
            kind=a.kind,
            amount_vnd=a.amount_vnd,
            recovered_vnd=a.recovered_vnd,
            due=a.due,
            due_assumed=a.due_assumed,
            original_due=a.original_due,
            status=a.status,
            evidence_accepted_at=f.accepted_on,
            days_overdue=line.overdue_days,
            letters_sent=[f"{label} {at.isoformat()}" for label, at in line.letters],
        )


def _filter(
    issuer: str | None, unit: str | None, status: str | None, first: date | None, last: date | None
) -> RegisterFilter:
    try:
        period = reports.optional_period(first, last)
    except PeriodError as error:
        raise unprocessable(str(error)) from None
    return RegisterFilter(issuer or None, unit or None, status or None, period)


Issuer = Annotated[str | None, Query(max_length=300, description="the issuer as conclusions write it")]
UnitName = Annotated[str | None, Query(max_length=300, description="the unit's name")]
Status = Annotated[StatusFilter | None, Query(description=f"an action status, or '{OVERDUE}'")]
From = Annotated[date | None, Query(alias="from", description="conclusions followed from this day")]
To = Annotated[date | None, Query(description="… to this day (both included)")]


@router.get(
    "/register",
    response_model=list[RegisterLineOut],
    responses=answers(403, 422),
    tags=["reports"],
    summary="The tracking register (sổ theo dõi): one line per action across conclusions",
)
def get_register(
    ctx: Ctx,
    who: Reader,
    issuer: Issuer = None,
    unit: UnitName = None,
    status: Status = None,
    from_: From = None,
    to: To = None,
) -> list[RegisterLineOut]:
    chosen = _filter(issuer, unit, status, from_, to)
    return [RegisterLineOut.of(line) for line in reports.register_lines(ctx.engine, who, chosen, clock())]


@router.get("/register.xlsx", tags=["reports"], summary="The tracking register as an Excel workbook", responses=_XLSX)
def get_register_xlsx(
    ctx: Ctx,
    who: Reader,
    issuer: Issuer = None,
    unit: UnitName = None,
    status: Status = None,
    from_: From = None,
    to: To = None,
) -> Response:
    return reports.register_download(ctx.engine, who, _filter(issuer, unit, status, from_, to))


Kind = Annotated[Literal["quarter", "half", "year", "custom"], Query(description="the kind of period")]
Year = Annotated[int | None, Query(ge=2000, le=2100)]
Number = Annotated[int | None, Query(ge=1, le=4, description="the quarter (1–4) or the half (1–2)")]


def _period_stats(
    ctx: Ctx, who: Principal, kind: str, year: int | None, number: int | None, first: date | None, last: date | None
) -> Statistics:
    try:
        period = reports.period_of(kind, year, number, first, last)
    except PeriodError as error:
        raise unprocessable(str(error)) from None
    return reports.period_statistics(ctx.engine, who, period)


@router.get(
    "/statistics",
    response_model=Statistics,
    responses=answers(403, 422),
    tags=["reports"],
    summary="Figures of a period: conclusions followed, actions done on time, late, overdue, waived, transferred, "
    "money to recover and recovered; per issuer, per unit and in total",
)
def get_statistics(
    ctx: Ctx, who: Reader, kind: Kind, year: Year = None, number: Number = None, from_: From = None, to: To = None
) -> Statistics:
    return _period_stats(ctx, who, kind, year, number, from_, to)


@router.get(
    "/statistics.xlsx", tags=["reports"], summary="The figures of a period as an Excel workbook", responses=_XLSX
)
def get_statistics_xlsx(
    ctx: Ctx, who: Reader, kind: Kind, year: Year = None, number: Number = None, from_: From = None, to: To = None
) -> Response:
    try:
        period = reports.period_of(kind, year, number, from_, to)
    except PeriodError as error:
        raise unprocessable(str(error)) from None
    return reports.statistics_download(ctx.engine, who, period)


@router.get(
    "/conclusions/{workflow_id}/follow-up-report.docx",
    tags=["reports"],
    summary="Báo cáo kết quả theo dõi, đôn đốc of one conclusion, as a Word document",
    responses=_DOCX,
)
async def get_follow_up_report(workflow_id: str, conclusion: Conclusion, ctx: Ctx, who: Reader) -> Response:
    response = await reports.follow_up_download(ctx, who, conclusion.workflow_id)
    if response is None:
        raise not_found(f"Không tìm thấy kết luận '{workflow_id}'.")
    return response
