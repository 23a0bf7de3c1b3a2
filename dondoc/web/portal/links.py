"""A signed link from a letter, opened: the visitor becomes the unit for this conclusion (or is told why not)."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from dondoc import links
from dondoc.logs import get_logger
from dondoc.web.portal.access import Ctx, link_error, unit_name
from dondoc.web.rendering import PRIVATE, page
from dondoc.web.security import SESSION_LINK, SESSION_USER
from dondoc.web.throttle import (
    LINK_OPENINGS_PER_TOKEN,
    LINK_REFUSALS_PER_IP,
    TooManyAttempts,
    client_ip,
    throttle_of,
    wait_text,
)

router = APIRouter()

# ---------------------------------------------------------------- links


@router.get("/portal/{token}", include_in_schema=False)
async def open_link(request: Request, token: str, ctx: Ctx, confirm: bool = False) -> Response:
    """An emailed link: valid → a fresh session scoped to its unit and conclusion; otherwise a clear page. A browser
    signed in to an account is asked first: opening the link signs that account out here. Guessing is limited per
    client address (refused links) and per link (every opening): 429 beyond."""
    throttle, ip = throttle_of(request), client_ip(request)
    wait = throttle.wait(LINK_REFUSALS_PER_IP, ip) or throttle.wait(LINK_OPENINGS_PER_TOKEN, token)
    if wait is not None:
        raise TooManyAttempts(f"Đường dẫn được mở quá nhiều lần; vui lòng thử lại sau {wait_text(wait)}.", wait)
    throttle.count(LINK_OPENINGS_PER_TOKEN, token)
    try:
        scope = await run_in_threadpool(links.verify, ctx.engine, ctx.settings.signing_key, token)
    except links.LinkError as error:
        throttle.count(LINK_REFUSALS_PER_IP, ip)
        get_logger().info("portal_link_refused", reason=str(error))
        return link_error(request, error)
    signed_in = request.session.get(SESSION_USER)
    if signed_in and not confirm:
        unit = await run_in_threadpool(unit_name, ctx.engine, scope.workflow_id, scope.unit)
        response = page(request, "link_confirm.html", None, account=signed_in, unit=unit, token=token)
        response.headers.update(PRIVATE)
        return response
    request.session.clear()  # whoever was signed in, this browser now speaks for the link's unit only
    request.session[SESSION_LINK] = token
    get_logger().info("portal_link_opened", link=scope.link_id, workflow_id=scope.workflow_id, unit=scope.unit)
    return RedirectResponse("/portal", status_code=status.HTTP_303_SEE_OTHER, headers=PRIVATE)
