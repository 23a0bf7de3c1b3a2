"""Jinja2 templates of the pages, with Vietnamese formatting filters and the labels of models.labels."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from fastapi.templating import Jinja2Templates

from dondoc.web.security import Principal, csrf_token
from models import labels

TEMPLATES = Path(__file__).resolve().parent / "templates"

templates = Jinja2Templates(directory=TEMPLATES)


def vn_datetime(value: datetime | None) -> str:
    if value is None:
        return "—"
    local = value.astimezone(labels.VN)
    if (local.hour, local.minute) == (23, 59):
        return f"{local:%d/%m/%Y}"
    return f"{local:%H:%M %d/%m/%Y}"


def vn_date(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.astimezone(labels.VN).strftime("%d/%m/%Y")
    return f"{value:%d/%m/%Y}"


def vnd(amount: int | None) -> str:
    return "—" if amount is None else f"{amount:,}".replace(",", ".") + " đ"


def _label(table: dict[Any, str]) -> Any:
    by_value = {getattr(k, "value", k): v for k, v in table.items()}
    return lambda value: by_value.get(value, value)


env = templates.env
env.filters["vn_datetime"] = vn_datetime
env.filters["vn_date"] = vn_date
env.filters["vnd"] = vnd
env.filters["action_status"] = _label(labels.ACTION_STATUS)
env.filters["conclusion_status"] = _label(labels.CONCLUSION_STATUS)
env.filters["report_status"] = _label(labels.REPORT_STATUS)
env.filters["review_status"] = _label(labels.REVIEW_STATUS)
env.filters["extension_status"] = _label(labels.EXTENSION_STATUS)
env.filters["step"] = _label(labels.STEP)
env.filters["kind"] = _label(labels.KIND)


SESSION_FLASH = "flash"


def flash(request: Request, message: str, kind: str = "ok") -> None:
    """A message for the next page this browser loads (after a redirect: a reload never repeats a change)."""
    request.session[SESSION_FLASH] = [message, kind]


def page(request: Request, name: str, who: Principal | None, status_code: int = 200, **context: Any) -> Response:
    """A page with what base.html needs: the principal, the session's CSRF token and the flash message waiting in
    the session, if any (unless the page brings its own)."""
    if context.get("flash") is None:
        waiting = request.session.pop(SESSION_FLASH, None)
        if isinstance(waiting, list) and len(waiting) == 2:
            context["flash"], context["flash_kind"] = waiting
    return templates.TemplateResponse(
        request, name, {"who": who, "csrf_token": csrf_token(request), **context}, status_code=status_code
    )


PRIVATE = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}
"""Headers of every page or answer that shows one unit's or one link's own data."""
