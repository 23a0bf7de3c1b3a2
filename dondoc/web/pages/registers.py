"""The tracking register (sổ theo dõi) and the statistics of a period, on a page and as downloads (XLSX, JSON);
the follow-up report of one conclusion as DOCX. Staff and supervisors (their conclusions only)."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse, Response
from markupsafe import Markup

from dondoc.reports.charts import SEGMENTS, money_bars, outcome_bars
from dondoc.reports.period import KIND_LABELS, Period, PeriodError, PeriodKind
from dondoc.reports.register import STATUS_CHOICES, RegisterFilter
from dondoc.reports.statistics import COLUMNS, MONEY
from dondoc.web import reports
from dondoc.web.clock import clock
from dondoc.web.pages.common import Ctx, Reader, parse_day, show
from models.vn import VN

router = APIRouter()

PAGE_SIZE = 200


def _day(value: str, label: str, errors: dict[str, str], name: str) -> date | None:
    if not value.strip():
        return None
    day = parse_day(value)
    if day is None:
        errors[name] = f"{label}: ngày không hợp lệ (ngày/tháng/năm)."
    return day


# ---------------------------------------------------------------- register


@router.get("/registers", include_in_schema=False)
def register_page(
    request: Request,
    ctx: Ctx,
    who: Reader,
    issuer: str = "",
    unit: str = "",
    status_: Annotated[str, Query(alias="status")] = "",
    from_: Annotated[str, Query(alias="from")] = "",
    to: str = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    format_: Annotated[str, Query(alias="format")] = "",
) -> Response:
    errors: dict[str, str] = {}
    first, last = _day(from_, "Từ ngày", errors, "from"), _day(to, "Đến ngày", errors, "to")
    period = None
    try:
        period = reports.optional_period(first, last)
    except PeriodError as error:
        errors["to"] = str(error)
    chosen = RegisterFilter(issuer.strip() or None, unit.strip() or None, status_ or None, period)
    if format_ == "xlsx" and not errors:
        return reports.register_download(ctx.engine, who, chosen)
    now = clock()
    lines = [] if errors else reports.register_lines(ctx.engine, who, chosen, now)
    issuers, units = reports.choices(ctx.engine, who)
    filters = {"issuer": issuer, "unit": unit, "status": status_, "from": from_, "to": to}
    query = urlencode({k: v for k, v in filters.items() if v})
    pages = max((len(lines) + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return show(
        request,
        "pages/register.html",
        who,
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT if errors else status.HTTP_200_OK,
        lines=lines[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
        count=len(lines),
        page=page,
        pages=pages,
        first_index=(page - 1) * PAGE_SIZE,
        to_recover=sum(line.fact.action.amount_vnd or 0 for line in lines),
        recovered=sum(line.fact.action.recovered_vnd for line in lines),
        issuers=issuers,
        units=units,
        statuses=STATUS_CHOICES,
        filters=filters,
        filtered=any(filters.values()),
        query=query,
        errors=errors,
    )


# ---------------------------------------------------------------- statistics


@router.get("/statistics", include_in_schema=False)
def statistics_page(
    request: Request,
    ctx: Ctx,
    who: Reader,
    kind: str = "quarter",
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    number: Annotated[int | None, Query(ge=1, le=4)] = None,
    from_: Annotated[str, Query(alias="from")] = "",
    to: str = "",
    format_: Annotated[str, Query(alias="format")] = "",
) -> Response:
    today = clock().astimezone(VN).date()
    errors: dict[str, str] = {}
    first, last = _day(from_, "Từ ngày", errors, "from"), _day(to, "Đến ngày", errors, "to")
    if year is None and kind != PeriodKind.custom.value:
        default = Period.current_quarter(today)
        year, number = default.first.year, (default.first.month - 1) // 3 + 1
        if kind == PeriodKind.half.value:
            number = 1 if number <= 2 else 2
    period: Period | None = None
    if not errors:
        try:
            period = reports.period_of(kind, year, number, first, last)
        except PeriodError as error:
            errors["period"] = str(error)
    if period is not None and format_ == "xlsx":
        return reports.statistics_download(ctx.engine, who, period)
    stats = reports.period_statistics(ctx.engine, who, period) if period else None
    if stats is not None and format_ == "json":
        return JSONResponse(stats.model_dump(mode="json"), headers={"Cache-Control": "private, no-store"})
    if format_ and period is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, errors.get("period") or "; ".join(errors.values()))
    filters = {"kind": kind, "year": year or "", "number": number or "", "from": from_, "to": to}
    query = urlencode({k: v for k, v in filters.items() if v})
    return show(
        request,
        "pages/statistics.html",
        who,
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT if errors else status.HTTP_200_OK,
        stats=stats,
        period=period,
        kinds=[(k.value, label) for k, label in KIND_LABELS.items()],
        years=list(range(today.year, today.year - 10, -1)),
        filters=filters,
        query=query,
        errors=errors,
        columns=COLUMNS,
        money=MONEY,
        segments=SEGMENTS,
        scope=reports.scope_text(who),
        issuer_chart=Markup(outcome_bars(stats.by_issuer, "Kết quả theo cơ quan ban hành")) if stats else "",
        unit_chart=Markup(outcome_bars(stats.by_unit, "Kết quả theo đơn vị")) if stats else "",
        money_chart=Markup(money_bars(stats.total)) if stats else "",
    )


# ---------------------------------------------------------------- the follow-up report of a conclusion


@router.get("/conclusions/{workflow_id}/follow-up-report.docx", include_in_schema=False)
async def follow_up_report(workflow_id: str, ctx: Ctx, who: Reader) -> Response:
    response = await reports.follow_up_download(ctx, who, workflow_id)
    if response is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Không tìm thấy kết luận '{workflow_id}'.")
    return response
