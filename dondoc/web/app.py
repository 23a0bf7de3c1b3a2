"""The web app: JSON API under /api, server-rendered pages, the agency portal. Built by `create_app`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Form, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException
from starlette.middleware.sessions import SessionMiddleware

from dondoc import users
from dondoc.gateway import AlreadyStarted, NotFound, Refused
from dondoc.spec_loader import describe
from dondoc.storage import size_label
from dondoc.web import api, health, outages, pages, portal
from dondoc.web.api.errors import truthful_openapi
from dondoc.web.bodies import BodyLimit
from dondoc.web.context import AppContext, get_context
from dondoc.web.headers import SecurityHeaders
from dondoc.web.rendering import templates
from dondoc.web.security import SESSION_USER, csrf_token, verify_csrf, verify_login_csrf
from dondoc.web.throttle import (
    LOGIN_FAILURES_PER_ACCOUNT,
    LOGIN_FAILURES_PER_IP,
    Throttle,
    TooManyAttempts,
    client_ip,
    throttle_of,
    wait_text,
)

STATIC = Path(__file__).resolve().parent / "static"


def create_app(ctx: AppContext) -> FastAPI:
    app = FastAPI(
        title="dondoc",
        description="Theo dõi, đôn đốc việc thực hiện kết luận thanh tra — API cho hệ thống khác và trang web.",
        version="0.1.0",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.ctx = ctx
    app.add_middleware(
        SessionMiddleware,
        secret_key=ctx.settings.signing_key,
        session_cookie="dondoc_session",
        same_site="lax",
        https_only=ctx.settings.environment == "production",
        max_age=12 * 3600,
    )
    app.add_middleware(BodyLimit, ctx=ctx)  # 413 once a body passes its cap, while it streams
    app.add_middleware(SecurityHeaders)  # outermost of these: also on the answers of the middlewares inside
    app.state.throttle = Throttle()
    app.openapi = lambda: truthful_openapi(app)  # type: ignore[method-assign]
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(api.router, prefix="/api", dependencies=[Depends(verify_csrf)])
    app.include_router(portal.router, dependencies=[Depends(verify_csrf)])
    app.include_router(pages.router, dependencies=[Depends(verify_csrf)])
    _auth_routes(app)
    _error_handlers(app)
    health.install(app, ctx)  # /healthz, /readyz, request metrics
    return app


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api") or "application/json" in request.headers.get("accept", "")


UNREADABLE = "Không đọc được nội dung gửi lên: JSON sai cú pháp, không phải UTF-8 hoặc biểu mẫu multipart hỏng."
_STANDARD_MESSAGES = {
    "Not Found": "Không tìm thấy trang hoặc tài nguyên này.",
    "Method Not Allowed": "Thao tác này không được hỗ trợ tại địa chỉ này.",
    "There was an error parsing the body": UNREADABLE,
    # starlette.formparsers: a body that is not a well-formed form
    "Missing boundary in multipart.": UNREADABLE,
    "Invalid multipart data.": UNREADABLE,
    'The Content-Disposition header field "name" must be provided.': UNREADABLE,
}
_FIELD_TOO_LARGE = re.compile(r"(?:Field|Part) exceeded maximum size of (\d+)KB\.")  # starlette.formparsers
_TOO_MANY = re.compile(r"Too many (files|fields)\. Maximum number of (?:files|fields) is (\d+)\.")


def _standard_message(detail: str) -> str:
    """FastAPI's and Starlette's own English answers, in Vietnamese; ours pass through."""
    if match := _FIELD_TOO_LARGE.fullmatch(detail):
        limit = size_label(int(match.group(1)) * 1024)
        return f"Nội dung gửi lên quá lớn: mỗi ô của biểu mẫu tối đa {limit}; rút gọn nội dung rồi gửi lại."
    if match := _TOO_MANY.fullmatch(detail):
        what = "tệp" if match.group(1) == "files" else "trường"
        return (
            f"Gửi quá nhiều {what} trong một lần (tối đa {match.group(2)} {what}); vui lòng chia thành nhiều lần gửi."
        )
    return _STANDARD_MESSAGES.get(detail, detail)


def _error_handlers(app: FastAPI) -> None:
    def error(
        request: Request,
        code: int,
        message: str,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": message, **(extra or {})}, status_code=code, headers=headers)
        if code == status.HTTP_401_UNAUTHORIZED:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=status.HTTP_303_SEE_OTHER)
        context = {"code": code, "message": message}
        return templates.TemplateResponse(request, "error.html", context, status_code=code, headers=headers)

    @app.exception_handler(StarletteHTTPException)  # FastAPI's HTTPException included: unknown paths and methods too
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = _standard_message(str(exc.detail))
        return error(request, exc.status_code, message)

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        about = {"action_id": exc.about} if exc.about is not None else None  # the item it is about, for clients
        return error(request, status.HTTP_409_CONFLICT, str(exc), about)

    @app.exception_handler(AlreadyStarted)
    async def already(request: Request, exc: AlreadyStarted) -> Response:
        return error(request, status.HTTP_409_CONFLICT, str(exc))

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return error(request, status.HTTP_404_NOT_FOUND, str(exc))

    async def unavailable(request: Request, exc: Exception) -> Response:
        message = outages.explain(exc, request.url.path)
        return error(request, status.HTTP_503_SERVICE_UNAVAILABLE, message, headers=outages.retry_after())

    for outage in outages.OUTAGES:
        app.add_exception_handler(outage, unavailable)

    @app.exception_handler(MultiPartException)  # a form parsed outside Request.form(): Starlette's 400 by hand
    async def unreadable_form(request: Request, exc: MultiPartException) -> Response:
        message = _standard_message(exc.message)
        return error(request, status.HTTP_400_BAD_REQUEST, message if message != exc.message else UNREADABLE)

    @app.exception_handler(TooManyAttempts)
    async def too_many(request: Request, exc: TooManyAttempts) -> Response:
        headers = {"Retry-After": str(exc.retry_after)}
        return error(request, status.HTTP_429_TOO_MANY_REQUESTS, str(exc), headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        syntax = next((e for e in exc.errors() if e["type"] == "json_invalid"), None)
        if syntax is not None:  # not a field's value: the body cannot be read at all (400, as a non-UTF-8 body)
            where = syntax["loc"][-1]
            message = f"{UNREADABLE} (vị trí {where}: {syntax.get('ctx', {}).get('error', '')})"
            return error(request, status.HTTP_400_BAD_REQUEST, message)
        problems = [
            {"field": ".".join(str(p) for p in e["loc"] if p not in ("body", "query", "path")), "message": describe(e)}
            for e in exc.errors()
        ]
        text = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        return error(
            request, status.HTTP_422_UNPROCESSABLE_CONTENT, f"Dữ liệu không hợp lệ: {text}", {"errors": problems}
        )


def _auth_routes(app: FastAPI) -> None:
    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    async def login_page(request: Request, next: str = "/") -> Response:
        return templates.TemplateResponse(
            request, "login.html", {"next": next, "error": None, "csrf_token": csrf_token(request)}
        )

    @app.post("/login", response_class=HTMLResponse, include_in_schema=False, dependencies=[Depends(verify_login_csrf)])
    async def login(
        request: Request,
        ctx: Annotated[AppContext, Depends(get_context)],
        email: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = "/",
    ) -> Response:
        def again(message: str, code: int, headers: dict[str, str] | None = None) -> Response:
            context = {"next": next, "error": message, "email": email, "csrf_token": csrf_token(request)}
            return templates.TemplateResponse(request, "login.html", context, status_code=code, headers=headers)

        # Checked before the password, so that a locked account cannot be probed (and costs no hashing).
        throttle, ip, account = throttle_of(request), client_ip(request), email.strip().lower()
        wait = throttle.wait(LOGIN_FAILURES_PER_IP, ip) or throttle.wait(LOGIN_FAILURES_PER_ACCOUNT, account)
        if wait is not None:
            message = f"Đăng nhập sai quá nhiều lần; vui lòng thử lại sau {wait_text(wait)}."
            return again(message, status.HTTP_429_TOO_MANY_REQUESTS, {"Retry-After": str(wait)})
        user = await run_in_threadpool(users.authenticate, ctx.engine, email, password)
        if user is None:
            throttle.count(LOGIN_FAILURES_PER_IP, ip)
            throttle.count(LOGIN_FAILURES_PER_ACCOUNT, account)
            return again("Email hoặc mật khẩu không đúng.", status.HTTP_401_UNAUTHORIZED)
        request.session.clear()
        request.session[SESSION_USER] = user.email
        target = next if next.startswith("/") and not next.startswith("//") else "/"
        return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)

    @app.post("/logout", include_in_schema=False, dependencies=[Depends(verify_csrf)])
    async def logout(request: Request) -> Response:
        request.session.clear()
        return RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
