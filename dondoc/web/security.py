"""Who is asking: session users, API bearer tokens and emailed portal links; roles; CSRF.

Every route declares what it needs through these dependencies; nothing is trusted from the browser alone.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from dondoc import links, users
from dondoc.web import bodies
from dondoc.web.context import AppContext, get_context
from models.web_tables import Role

SESSION_USER = "uid"
SESSION_CSRF = "csrf"
SESSION_LINK = "portal"  # the signed link token a visitor came in with


@dataclass(frozen=True)
class Principal:
    email: str
    role: Role
    unit: str | None = None  # agency users, and link visitors
    workflow_id: str | None = None  # link visitors only: the one conclusion they may see
    via: str = "session"  # session | token | link
    view_only: bool = False  # a link mailed to supervisors and heads: sees the unit, acts for nobody

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.staff, Role.admin)

    def may_see_unit(self, workflow_id: str, unit: str) -> bool:
        if self.is_staff or self.role == Role.supervisor:
            return True
        if self.via == "link":
            return self.workflow_id == workflow_id and self.unit == unit
        return self.role == Role.agency and self.unit == unit


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def optional_principal(request: Request, ctx: Annotated[AppContext, Depends(get_context)]) -> Principal | None:
    token = _bearer(request)
    if token is not None:
        user = users.user_for_token(ctx.engine, token)
        if user is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Mã truy cập (token) không hợp lệ hoặc đã bị thu hồi.")
        return Principal(user.email, Role(user.role), user.unit, via="token")
    email = request.session.get(SESSION_USER)
    if email:
        user = users.find_user(ctx.engine, email)
        if user is not None and user.active:
            return Principal(user.email, Role(user.role), user.unit)
        request.session.clear()
    link_token = request.session.get(SESSION_LINK)
    if link_token:
        try:
            scope = links.verify(ctx.engine, ctx.settings.signing_key, link_token)
        except links.LinkError:
            request.session.pop(SESSION_LINK, None)
            return None
        return Principal(
            f"link:{scope.link_id}", Role.agency, scope.unit, scope.workflow_id, via="link", view_only=scope.view_only
        )
    return None


def principal(principal: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    if principal is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Cần đăng nhập.")
    return principal


def require(*roles: Role) -> object:
    """A dependency admitting only the given roles (admin is always admitted)."""

    def check(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if who.role != Role.admin and who.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "Bạn không có quyền thực hiện thao tác này.")
        return who

    return Depends(check)


def csrf_token(request: Request) -> str:
    token = request.session.get(SESSION_CSRF)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return str(token)


async def verify_csrf(request: Request) -> None:
    """Unsafe methods from a signed-in browser session must carry the session's CSRF token (form field or header).

    Bearer-token requests are exempt: a browser never adds that header on its own. A session with nobody signed in is
    left to the route, which answers 401 before reading anything (CSRF protects what a session may do). The body is
    read for the token only when it could be a legitimate form: never beyond the upload limit.
    """
    if not (request.session.get(SESSION_USER) or request.session.get(SESSION_LINK)):
        return
    if request.method not in ("GET", "HEAD", "OPTIONS") and not request.session.get(SESSION_USER):
        _refuse_view_only(request)
    await verify_login_csrf(request)


VIEW_ONLY = "Đường dẫn này chỉ để xem tình hình thực hiện; chỉ đầu mối của đơn vị mới gửi được minh chứng, báo cáo."


def _refuse_view_only(request: Request) -> None:
    """A read-only link (mailed to supervisors and heads) changes nothing, whatever route it is sent to."""
    ctx: AppContext = request.app.state.ctx
    try:
        scope = links.verify(ctx.engine, ctx.settings.signing_key, str(request.session.get(SESSION_LINK)))
    except links.LinkError:
        return  # the route answers for an invalid link
    if scope.view_only:
        raise HTTPException(status.HTTP_403_FORBIDDEN, VIEW_ONLY)


async def verify_login_csrf(request: Request) -> None:
    """The CSRF check itself, also for the login form (whose session has nobody signed in yet)."""
    if request.method in ("GET", "HEAD", "OPTIONS") or _bearer(request) is not None:
        return
    refused = HTTPException(status.HTTP_403_FORBIDDEN, "Phiên làm việc đã hết hạn hoặc yêu cầu không hợp lệ (CSRF).")
    expected = request.session.get(SESSION_CSRF)
    if not expected:
        raise refused
    sent = request.headers.get("x-csrf-token")
    content_type = request.headers.get("content-type", "")
    multipart = content_type.startswith("multipart/form-data")
    if multipart or (sent is None and content_type.startswith("application/x-www-form-urlencoded")):
        # Every multipart form of a session is parsed here, within the upload limits, and kept for the route: no
        # route ever reads one unbounded, whichever way its token comes.
        form = await bodies.read_form(request, request.app.state.ctx)
        value = form.get("csrf_token")
        if sent is None:
            sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(str(expected), sent):
        raise refused
