"""Registers, statistics and the follow-up report as the pages and the API serve them: each limited to the
conclusions the principal may see, each downloadable (XLSX, DOCX) under a Vietnamese file name."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from urllib.parse import quote

from fastapi.responses import Response
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from temporalio.service import RPCError

from dondoc.gateway import NotFound, Unavailable
from dondoc.reports import facts, xlsx
from dondoc.reports.followup import Letterhead, SentLetter, follow_up_docx, follow_up_filename, follow_up_report
from dondoc.reports.period import Period, PeriodError, PeriodKind
from dondoc.reports.register import RegisterFilter, RegisterLine, register, register_xlsx
from dondoc.reports.statistics import Statistics, statistics
from dondoc.reports.statistics_xlsx import statistics_xlsx
from dondoc.reports.xlsx import XLSX_TYPE
from dondoc.web import queries
from dondoc.web.clock import clock
from dondoc.web.context import AppContext
from dondoc.web.letters import letters, step_label
from dondoc.web.security import Principal
from models.tables import ConclusionRow, UnitRow
from models.vn import VN

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SNAPSHOT_WAIT = 5.0  # seconds to wait for the letterhead from the workflow before using the read model's facts


def download(content: bytes, filename: str, media_type: str) -> Response:
    """A generated document as an attachment under its real name, never cached by a shared proxy."""
    ascii_name = filename.encode("ascii", "ignore").decode() or "tep"
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def visible(engine: Engine, who: Principal) -> set[str] | None:
    with Session(engine) as session:
        return queries.visible_workflow_ids(session, who)


def choices(engine: Engine, who: Principal) -> tuple[list[str], list[str]]:
    """The issuers and unit names of the conclusions `who` may see, for the filters."""
    ids = visible(engine, who)
    with Session(engine) as session:
        issuers = select(ConclusionRow.issuer)
        units = select(UnitRow.name)
        if ids is not None:
            issuers = issuers.where(col(ConclusionRow.workflow_id).in_(ids))
            units = units.where(col(UnitRow.workflow_id).in_(ids))
        return (
            sorted({i.strip() for i in session.exec(issuers)}),
            sorted({u.strip() for u in session.exec(units)}),
        )


# ---------------------------------------------------------------- register


def register_lines(engine: Engine, who: Principal, chosen: RegisterFilter, now: datetime) -> list[RegisterLine]:
    return register(facts.load(engine, visible(engine, who)), chosen, now)


def register_download(engine: Engine, who: Principal, chosen: RegisterFilter) -> Response:
    now = clock()
    content = register_xlsx(register_lines(engine, who, chosen, now), chosen, now)
    return download(content, f"so-theo-doi-{now.astimezone(VN):%Y%m%d}.xlsx", XLSX_TYPE)


def optional_period(first: date | None, last: date | None) -> Period | None:
    """The register's period: none, or the days given (one missing end stays open)."""
    if first is None and last is None:
        return None
    return Period.between(first or date(2000, 1, 1), last or date(2100, 12, 31))


# ---------------------------------------------------------------- statistics


def period_of(kind: str, year: int | None, number: int | None, first: date | None, last: date | None) -> Period:
    """The period asked for; PeriodError (a Vietnamese message) when it cannot be."""
    try:
        period_kind = PeriodKind(kind)
    except ValueError:
        raise PeriodError("Loại kỳ báo cáo phải là quarter, half, year hoặc custom.") from None
    return Period.of(period_kind, year, number, first, last)


def period_statistics(engine: Engine, who: Principal, period: Period) -> Statistics:
    return statistics(facts.load(engine, visible(engine, who)), period)


def scope_text(who: Principal) -> str:
    return "mọi kết luận" if who.is_staff else "các kết luận được giao giám sát"


def statistics_download(engine: Engine, who: Principal, period: Period) -> Response:
    stats = period_statistics(engine, who, period)
    content = statistics_xlsx(stats, clock(), scope_text(who))
    return download(content, f"thong-ke-{period.slug}.xlsx", XLSX_TYPE)


# ---------------------------------------------------------------- the follow-up report of one conclusion


async def _letterhead(ctx: AppContext, workflow_id: str) -> Letterhead:
    """How the conclusion's letters are headed and signed; the plain read-model facts when the follow-up does not
    answer (finished long ago, or the server is busy)."""
    try:
        state = await asyncio.wait_for(ctx.gateway.snapshot(workflow_id), SNAPSHOT_WAIT)
    except (NotFound, Unavailable, TimeoutError, RPCError):  # a report never fails for want of its letterhead
        return Letterhead()
    sig = state.signature
    return Letterhead(
        parent=sig.parent,
        symbol=sig.letter_symbol,
        place=sig.place,
        signer_title=sig.title,
        signer_name=sig.name,
        acting_for=sig.acting_for,
        addressee=state.agency_head_title,
    )


def _report_bytes(engine: Engine, who: Principal, workflow_id: str, head: Letterhead) -> tuple[bytes, str] | None:
    detail = queries.conclusion_detail(engine, who, workflow_id)
    if detail is None:
        return None
    now = clock()
    own = {a.action_id for a in detail.actions}
    mine = [f for f in facts.load(engine, [workflow_id]) if f.action.action_id in own]
    sent = [
        SentLetter(
            unit=letter.unit,
            step=letter.step_label,
            at=letter.at,
            items=len(letter.items),
            sent=letter.status == "sent",
            number=letter.number,
            signed_on=letter.signed_on,
        )
        for letter in letters(queries.timeline(engine, who, workflow_id), detail.notifications)
        if letter.unit and letter.status in ("sent", "failed")
    ]
    units = queries.ordered_units(detail.units, detail.actions)
    report = follow_up_report(detail.conclusion, units, mine, sent, head, now)
    return follow_up_docx(report), follow_up_filename(report)


async def follow_up_download(ctx: AppContext, who: Principal, workflow_id: str) -> Response | None:
    """The report as a Word file; None when `who` may not see the conclusion."""
    if not await run_in_threadpool(queries.may_see, ctx.engine, who, workflow_id):
        return None
    head = await _letterhead(ctx, workflow_id)
    made = await run_in_threadpool(_report_bytes, ctx.engine, who, workflow_id, head)
    if made is None:
        return None
    return download(made[0], made[1], DOCX_TYPE)


# ---------------------------------------------------------------- what is overdue


OVERDUE_COLUMNS = [
    xlsx.Column("STT", 6, "int"),
    xlsx.Column("Số ngày quá hạn", 10, "int"),
    xlsx.Column("Chờ", 22),
    xlsx.Column("Số kết luận", 16),
    xlsx.Column("Cơ quan ban hành", 24),
    xlsx.Column("Đơn vị", 26),
    xlsx.Column("Số hiệu", 10),
    xlsx.Column("Nội dung", 60, "wrap"),
    xlsx.Column("Hạn", 13, "date"),
    xlsx.Column("Hạn giả định", 10),
    xlsx.Column("Văn bản đã gửi gần nhất", 22),
]


def waits_text(item: queries.LateItem) -> str:
    if item.waits_for_review:
        return "Thanh tra xem xét" if item.action else "Thanh tra xem xét báo cáo"
    return "Đơn vị thực hiện" if item.action else "Đơn vị nộp báo cáo"


def overdue_download(items: list[queries.LateItem], notes: list[str]) -> Response:
    now = clock()
    rows: list[list[xlsx.Cell]] = []
    for i, item in enumerate(items, start=1):
        a = item.action
        last = a.last_step if a else item.unit.report_last_step
        rows.append(
            [
                i,
                item.days,
                waits_text(item),
                item.conclusion.number,
                item.conclusion.issuer,
                item.unit.name,
                (a.ref or "") if a else "",
                a.text if a else "Báo cáo kết quả thực hiện kết luận thanh tra",
                item.due,
                "Có" if a and a.due_assumed else "",
                step_label(last) if last else "",
            ]
        )
    book = xlsx.workbook()
    xlsx.add_sheet(
        book,
        "Quá hạn",
        "KIẾN NGHỊ, BÁO CÁO QUÁ HẠN",
        [f"Tính đến ngày {now.astimezone(VN):%d/%m/%Y}; {len(items)} nội dung.", *notes],
        OVERDUE_COLUMNS,
        rows,
    )
    return download(xlsx.to_bytes(book), f"qua-han-{now.astimezone(VN):%Y%m%d}.xlsx", XLSX_TYPE)
