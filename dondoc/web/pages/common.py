"""What the staff pages share: who may come in, forms shown again with their errors (flash messages live in rendering)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Depends, Request, status
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.datastructures import FormData

from dondoc.letters.compose import money
from dondoc.refs import ref_order as ref_order  # re-exported: the portal sorts items too
from dondoc.web.context import AppContext, get_context
from dondoc.web.rendering import page
from dondoc.web.security import Principal, require
from models.labels import VN
from models.spec import EARLIEST_YEAR, LATEST_YEAR, MAX_AMOUNT_VND, MAX_PERIOD, printable
from models.tables import ConclusionRow, UnitRow
from models.web_tables import Role

Ctx = Annotated[AppContext, Depends(get_context)]
Staff = Annotated[Principal, require(Role.staff)]  # staff and admins: every change, the review queue
Reader = Annotated[Principal, require(Role.staff, Role.supervisor)]  # read-only pages; agency users are refused
Admin = Annotated[Principal, require()]  # administrators only

ROLE_LABELS = {
    Role.admin.value: "Quản trị hệ thống",
    Role.staff.value: "Cán bộ thanh tra",
    Role.supervisor.value: "Cơ quan cấp trên, lãnh đạo (chỉ xem)",
    Role.agency.value: "Đơn vị được thanh tra",
}

WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")

UNRESOLVED = ("open", "evidence_submitted")


@dataclass
class FormState:
    """A submitted form to show again: which one (its key), the errors beside its fields, the values typed."""

    key: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)

    def error(self, key: str, name: str) -> str | None:
        return self.errors.get(name) if key == self.key else None

    def value(self, key: str, name: str, default: Any = "") -> Any:
        return self.values.get(name, default) if key == self.key else default

    def has(self, key: str) -> bool:
        return key == self.key and bool(self.errors)


def show(
    request: Request, name: str, who: Principal, status_code: int = status.HTTP_200_OK, **context: Any
) -> Response:
    """`rendering.page` with the calendar helpers the staff templates use."""
    return page(request, name, who, status_code=status_code, weekday=weekday, day_text=day_text, **context)


def redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)


def safe_next(value: str | None, default: str) -> str:
    """A same-site path to go back to after a form, never an absolute or protocol-relative URL."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def text(form: FormData, name: str) -> str:
    """A form field as typed, cleaned as the commands clean it (a textarea's \r\n, control characters, zero-width
    spaces), so "nothing but a zero-width space" counts as empty here too."""
    value = form.get(name)
    return printable(value).strip() if isinstance(value, str) else ""


def parse_day(value: str) -> date | None:
    """A day typed as YYYY-MM-DD (date inputs), DD/MM/YYYY or DD-MM-YYYY, in a plausible year."""
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            day = datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
        return day if EARLIEST_YEAR <= day.year <= LATEST_YEAR else None
    return None


DAY_HINT = f"Ngày không hợp lệ; nhập theo dạng ngày/tháng/năm, ví dụ 31/12/2026 (năm {EARLIEST_YEAR}–{LATEST_YEAR})."


_GROUPED = re.compile(
    r"[0-9]+"  # no separator: 15000000
    r"|[1-9][0-9]{0,2}(?:\.[0-9]{3})+"  # 15.000.000
    r"|[1-9][0-9]{0,2}(?:,[0-9]{3})+"  # 15,000,000
    r"|[1-9][0-9]{0,2}(?:[ \u00a0\u202f][0-9]{3})+"  # 15 000 000 (also with no-break spaces)
)
_CURRENCY = re.compile(r"\s*(?:đồng|vnđ|vnd|đ)$", re.IGNORECASE)


def _whole_dong(value: str) -> int | None:
    """Whole đồng as typed, thousands grouped by one kind of separator, the currency after it optional; None for
    anything else (a fractional part, malformed groups), never a guess."""
    typed = _CURRENCY.sub("", unicodedata.normalize("NFC", value).strip()).strip()
    if not _GROUPED.fullmatch(typed):
        return None
    digits = re.sub(r"[^0-9]", "", typed).lstrip("0") or "0"
    return int(digits) if len(digits) <= 20 else MAX_AMOUNT_VND + 1  # any longer is too large, int() not needed


def parse_amount(value: str) -> int | None:
    """An amount in whole đồng: '15000000', '15.000.000', '15,000,000', '15 000 000 đồng' (or đ, VNĐ, VND). None
    for a fractional part ('1,5', '15.000.000,50'), malformed groups ('1.23.4') or more than MAX_AMOUNT_VND."""
    amount = _whole_dong(value)
    return amount if amount is not None and amount <= MAX_AMOUNT_VND else None


def amount_hint(value: str, what: str) -> str:
    """Why `parse_amount` refused `value`, for the field named `what` (e.g. 'Số tiền đã thu hồi')."""
    if _whole_dong(value) is not None:
        return f"{what} quá lớn: tối đa {money(MAX_AMOUNT_VND)}."
    return (
        f"{what} phải là số nguyên đồng, ví dụ 15.000.000 (dấu chấm, dấu phẩy hoặc dấu cách chỉ để ngăn cách hàng "
        "nghìn; không ghi phần lẻ)."
    )


DAYS_HINT = f"Số ngày phải là số nguyên từ 1 đến {MAX_PERIOD.days}."


def parse_days(value: str) -> int | None:
    """A period in whole days as typed in a form: 1 to MAX_PERIOD's days, else None."""
    value = value.strip()
    if not value.isdigit() or len(value) > 5:
        return None
    days = int(value)
    return days if 1 <= days <= MAX_PERIOD.days else None


def split_emails(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,;\s]+", value) if part.strip()]


def weekday(value: date | datetime) -> str:
    day = value.astimezone(VN).date() if isinstance(value, datetime) else value
    return WEEKDAYS[day.weekday()]


def day_text(value: str) -> str:
    """A day or an ISO date-time kept as text (an extension request's date) as dd/mm/yyyy."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if len(value) <= 10:
        return f"{moment:%d/%m/%Y}"
    return f"{moment.astimezone(VN):%H:%M %d/%m/%Y}" if moment.tzinfo else f"{moment:%H:%M %d/%m/%Y}"


def late_days(due: datetime | None, unresolved: bool, flagged: bool, now: datetime) -> int | None:
    """Days past due (a started day counts, like the overdue list); None when not late."""
    if not unresolved or due is None:
        return None
    if due < now:
        return max((now - due).days, 0) + 1
    return 1 if flagged else None


def unit_names(engine: Engine, workflow_ids: set[str]) -> dict[tuple[str, str], str]:
    """(workflow id, unit code) → the unit's name, for the given conclusions."""
    if not workflow_ids:
        return {}
    with Session(engine) as session:
        rows = session.exec(select(UnitRow).where(col(UnitRow.workflow_id).in_(workflow_ids))).all()
    return {(u.workflow_id, u.code): u.name for u in rows}


def conclusion_numbers(engine: Engine, workflow_ids: set[str]) -> dict[str, ConclusionRow]:
    if not workflow_ids:
        return {}
    with Session(engine) as session:
        rows = session.exec(select(ConclusionRow).where(col(ConclusionRow.workflow_id).in_(workflow_ids))).all()
    return {c.workflow_id: c for c in rows}


_FIELD = re.compile(r"^([a-z_.]+(?:\[\d+\])?(?:\.[a-z_]+)*): (.+)$", re.DOTALL)


def refusal(message: str, fields: set[str], prefix: str = "") -> dict[str, str]:
    """A rule's refusal beside its field when it names one ('granted_due: …', 'action.id: …'), else on the form."""
    match = _FIELD.match(message)
    if match:
        name = match.group(1).removeprefix(prefix)
        if name in fields:
            return {name: match.group(2)}
    return {"form": message}
