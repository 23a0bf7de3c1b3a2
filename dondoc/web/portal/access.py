"""Who may come into the agency portal: agency accounts and link visitors, each with one unit; what its pages share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.responses import Response
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from dondoc import links
from dondoc.storage import ALLOWED
from dondoc.web.context import AppContext, get_context
from dondoc.web.rendering import PRIVATE, page
from dondoc.web.security import SESSION_LINK, Principal, optional_principal
from models.tables import (
    UnitRow,
)
from models.web_tables import Role

Ctx = Annotated[AppContext, Depends(get_context)]

ACCEPT = ",".join(ext for exts in ALLOWED.values() for ext in exts)
TYPES = "PDF, DOCX, XLSX, DOC, XLS, ODT, JPEG, PNG, ZIP"
MAX_FILES = 20
UNRESOLVED = ("open", "evidence_submitted")
NOT_AGENCY = "Trang này dành cho đơn vị được thanh tra. Cán bộ thanh tra theo dõi kết luận ở trang «Kết luận»."
NOT_YOURS = "Bạn chỉ được thao tác trên kiến nghị và báo cáo của đơn vị mình, trong kết luận được giao."


def unit_name(engine: Engine, workflow_id: str, unit: str) -> str:
    with Session(engine) as session:
        row = session.get(UnitRow, (workflow_id, unit))
    return row.name if row is not None else unit


def link_error(request: Request, error: links.LinkError) -> Response:
    """The page shown for a link that cannot be used: 410 when it expired or was revoked, 403 otherwise."""
    message = str(error)
    gone = "hết hạn" in message or "thu hồi" in message
    code = status.HTTP_410_GONE if gone else status.HTTP_403_FORBIDDEN
    response = page(request, "link_error.html", None, status_code=code, message=message, gone=gone)
    response.headers.update(PRIVATE)
    return response


def principal_or_link_error(request: Request, ctx: AppContext) -> Principal | Response:
    """The principal, or the link error page when the visitor's link stopped being valid since it was opened."""
    token = request.session.get(SESSION_LINK)
    who = optional_principal(request, ctx)
    if who is None and token:
        try:
            links.verify(ctx.engine, ctx.settings.signing_key, str(token))
        except links.LinkError as error:
            return link_error(request, error)
    if who is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Cần đăng nhập.")
    return who


async def agency(request: Request, ctx: AppContext) -> Principal | Response:
    """An agency account or a link visitor, both with a unit; anyone else is refused (403)."""
    who = await run_in_threadpool(principal_or_link_error, request, ctx)
    if isinstance(who, Principal) and (who.role != Role.agency or not who.unit):
        raise HTTPException(status.HTTP_403_FORBIDDEN, NOT_AGENCY)
    return who


def actor_of(who: Principal) -> str:
    """How a change is signed in the audit trail: the account's email, or the unit and the link it came with."""
    if who.via == "link":
        return f"đơn vị {who.unit} (đường dẫn {who.email.removeprefix('link:')})"
    return who.email
