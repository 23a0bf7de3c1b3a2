"""Staff: a unit's signed portal links for one conclusion; issue a new one (shown once) or revoke them all."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from dondoc import links
from dondoc.logs import get_logger
from dondoc.web.context import AppContext
from dondoc.web.pages.common import Ctx
from dondoc.web.rendering import PRIVATE, flash, page
from dondoc.web.security import Principal, require
from models.tables import (
    ConclusionRow,
    UnitRow,
)
from models.web_tables import PortalLink, Role

router = APIRouter()

_SESSION_NEW_LINK = "new_link"  # the link just issued, shown once after the redirect


def unit_links(engine: Engine, workflow_id: str, unit: str) -> list[PortalLink]:
    with Session(engine) as session:
        query = (
            select(PortalLink)
            .where(PortalLink.workflow_id == workflow_id, PortalLink.unit == unit)
            .order_by(col(PortalLink.created_at).desc())
        )
        return list(session.exec(query).all())


def revoke_unit_links(engine: Engine, workflow_id: str, unit: str) -> int:
    """Revoke every link of `unit` for this conclusion (emailed ones included); returns how many were live."""
    now = datetime.now(UTC)
    with Session(engine) as session:
        live = session.exec(
            select(PortalLink).where(
                PortalLink.workflow_id == workflow_id,
                PortalLink.unit == unit,
                col(PortalLink.revoked_at).is_(None),
            )
        ).all()
        for link in live:
            link.revoked_at = now
            session.add(link)
        session.commit()
        return len(live)


def _unit_or_404(engine: Engine, workflow_id: str, unit: str) -> tuple[ConclusionRow, UnitRow]:
    with Session(engine) as session:
        conclusion = session.get(ConclusionRow, workflow_id)
        row = session.get(UnitRow, (workflow_id, unit))
    if conclusion is None or row is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"Không tìm thấy đơn vị '{unit}' trong kết luận '{workflow_id}'."
        )
    return conclusion, row


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


async def _links_page(
    request: Request,
    ctx: AppContext,
    who: Principal,
    workflow_id: str,
    unit: str,
    url: str | None = None,
) -> Response:
    conclusion, row = await run_in_threadpool(_unit_or_404, ctx.engine, workflow_id, unit)
    rows = await run_in_threadpool(unit_links, ctx.engine, workflow_id, unit)
    response = page(
        request,
        "portal_links.html",
        who,
        conclusion=conclusion,
        unit=row,
        links=rows,
        url=url,
        now=datetime.now(UTC),
        link_days=ctx.settings.link_days,
    )
    response.headers.update(PRIVATE)
    return response


@router.get("/conclusions/{workflow_id}/units/{unit}/links", include_in_schema=False)
async def list_links(
    request: Request, workflow_id: str, unit: str, ctx: Ctx, who: Annotated[Principal, require(Role.staff)]
) -> Response:
    """Staff: the unit's portal links for this conclusion, with forms to issue a new one or revoke them all (and the
    link just issued, shown this once)."""
    url = request.session.pop(_SESSION_NEW_LINK, None)
    return await _links_page(request, ctx, who, workflow_id, unit, url=url if isinstance(url, str) else None)


@router.post("/conclusions/{workflow_id}/units/{unit}/links", include_in_schema=False)
async def issue_link(
    request: Request, workflow_id: str, unit: str, ctx: Ctx, who: Annotated[Principal, require(Role.staff)]
) -> Response:
    """Staff: a new signed link to the unit's portal, valid `link_days` days; shown once to be copied."""
    await run_in_threadpool(_unit_or_404, ctx.engine, workflow_id, unit)
    days = ctx.settings.link_days
    token = await run_in_threadpool(links.issue, ctx.engine, ctx.settings.signing_key, workflow_id, unit, days)
    url = f"{ctx.settings.link_base}/portal/{token}"
    get_logger().info("portal_link_issued", workflow_id=workflow_id, unit=unit, by=who.email)
    if _wants_json(request):
        return JSONResponse({"url": url, "days": days}, status_code=status.HTTP_201_CREATED, headers=PRIVATE)
    request.session[_SESSION_NEW_LINK] = url
    flash(request, f"Đã tạo đường dẫn mới, có hiệu lực {days} ngày. Sao chép và gửi cho đơn vị.")
    return _back_to_links(workflow_id, unit)


@router.post("/conclusions/{workflow_id}/units/{unit}/links/revoke", include_in_schema=False)
async def revoke_links(
    request: Request, workflow_id: str, unit: str, ctx: Ctx, who: Annotated[Principal, require(Role.staff)]
) -> Response:
    """Staff: revoke every link of the unit for this conclusion; visitors who came with one are shut out."""
    await run_in_threadpool(_unit_or_404, ctx.engine, workflow_id, unit)
    count = await run_in_threadpool(revoke_unit_links, ctx.engine, workflow_id, unit)
    get_logger().info("portal_links_revoked", workflow_id=workflow_id, unit=unit, count=count, by=who.email)
    if _wants_json(request):
        return JSONResponse({"revoked": count})
    flash(request, f"Đã thu hồi {count} đường dẫn." if count else "Không có đường dẫn nào đang hiệu lực.")
    return _back_to_links(workflow_id, unit)


def _back_to_links(workflow_id: str, unit: str) -> Response:
    """After issuing or revoking: the links page by a redirect, so a reload never issues or revokes again."""
    url = f"/conclusions/{workflow_id}/units/{unit}/links"
    return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER, headers=PRIVATE)
