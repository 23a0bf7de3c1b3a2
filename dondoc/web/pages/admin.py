"""Administration (admins only): user accounts, the directory of units, the global escalation ladder and the holiday
overrides. The ladder and the holidays an admin saves here replace the files of the settings (docs/settings.md) and
apply to every deadline planned from then on (new conclusions, extensions, amendments)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi import Path as PathParam
from fastapi.responses import Response
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from temporalio.service import RPCError

from activities import configuration
from activities.calendar import CalendarOverrides, WorkingCalendar
from dondoc import schedules, unit_directory, users
from dondoc.logs import get_logger
from dondoc.settings import Settings
from dondoc.web.clock import today
from dondoc.web.context import AppContext
from dondoc.web.pages.common import ROLE_LABELS, Admin, Ctx, FormState, redirect, show, split_emails, text
from dondoc.web.rendering import flash, vn_datetime
from dondoc.web.security import Principal
from models.admin_tables import DirectoryUnit
from models.labels import STEP
from models.policy import Policy, PolicyStep
from models.policy import Role as Recipient
from models.web_tables import User

router = APIRouter()

RECIPIENTS = {
    Recipient.contacts.value: "đầu mối của đơn vị",
    Recipient.head.value: "thủ trưởng đơn vị",
    Recipient.supervisor.value: "cơ quan cấp trên",
    Recipient.inspectorate_head.value: "Chánh Thanh tra",
    Recipient.agency_head.value: "thủ trưởng cơ quan quản lý nhà nước cùng cấp",
}
UserId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]  # beyond a 32-bit key no user exists: 422, not a database error
USER_FIELDS = ("email", "full_name", "role", "unit", "password")


@dataclass
class PolicyRow:
    step: str
    when: str
    to: str
    cc: str


@dataclass
class CalendarDay:
    day: date
    name: str | None
    working: bool


@dataclass
class AdminView:
    users: list[User]
    units: list[DirectoryUnit] = field(default_factory=list)
    policy: list[PolicyRow] = field(default_factory=list)
    policy_source: str = ""
    policy_text: str = ""
    policy_error: str | None = None
    holidays_source: str = ""
    holidays_text: str = ""
    overrides: CalendarOverrides | None = None
    overrides_error: str | None = None
    holidays: list[CalendarDay] = field(default_factory=list)  # public holidays in the coming twelve months
    make_up_days: list[CalendarDay] = field(default_factory=list)  # weekend days that are working days


def _when(step: PolicyStep) -> str:
    days = step.whole_days
    if days is None:
        seconds = int(abs(step.offset.total_seconds()))
        hours, rest = divmod(seconds, 3600)
        minutes, secs = divmod(rest, 60)
        parts = [f"{n} {unit}" for n, unit in ((hours, "giờ"), (minutes, "phút"), (secs, "giây")) if n]
        amount = " ".join(parts) or "0 giây"
    elif days == 0:
        return "đúng ngày hạn"
    else:
        amount = f"{abs(days)} {'ngày làm việc' if step.working else 'ngày'}"
    return f"{amount} {'trước' if step.offset.total_seconds() < 0 else 'sau'} hạn"


def _who(names: list[str]) -> str:
    return ", ".join(RECIPIENTS.get(n, n) for n in names) or "—"


def policy_rows(policy: Policy) -> list[PolicyRow]:
    return [PolicyRow(STEP.get(s.step, s.step), _when(s), _who(s.to), _who(s.cc)) for s in policy.steps]


def _source(effective: configuration.Effective[Any], file: Path | None) -> str:
    document = effective.document
    if document is not None:
        return f"Lưu trong hệ thống, sửa lần cuối bởi {document.updated_by} lúc {vn_datetime(document.updated_at)}"
    if effective.source == "file":
        return f"Tệp {file}"
    return "Mặc định"


def _policy(engine: Engine, settings: Settings, view: AdminView) -> None:
    try:
        effective = configuration.effective_policy(engine, settings)
    except ValueError as problem:
        view.policy_error, view.policy_source = str(problem), "Cấu hình lỗi"
        return
    view.policy = policy_rows(effective.value)
    view.policy_text = effective.text
    view.policy_source = _source(effective, settings.policy_file)
    if effective.source == "default":
        view.policy_source += (
            " (theo quy trình: nhắc nhở, quá hạn, đôn đốc, đôn đốc lần 2, đề nghị kiểm tra, xử lý trách nhiệm)"
        )


def _calendar(engine: Engine, settings: Settings, view: AdminView) -> None:
    try:
        effective = configuration.effective_overrides(engine, settings)
    except ValueError as error:
        view.overrides_error, view.holidays_source = str(error), "Cấu hình lỗi"
        return
    view.overrides, view.holidays_text = effective.value, effective.text
    view.holidays_source = _source(effective, settings.holidays_file)
    if effective.source == "default":
        view.holidays_source += " (chỉ dữ liệu của gói holidays)"
    calendar = WorkingCalendar(view.overrides)
    start = today()
    for offset in range(366):
        day = start + timedelta(days=offset)
        name = calendar.holiday_name(day)
        working = calendar.is_working_day(day)
        if name is not None:
            view.holidays.append(CalendarDay(day, name, working))
        elif working and day.weekday() >= 5:
            view.make_up_days.append(CalendarDay(day, None, True))


def admin_view(engine: Engine, settings: Settings) -> AdminView:
    with Session(engine) as session:
        accounts = list(session.exec(select(User).order_by(col(User.role), col(User.email))).all())
    view = AdminView(accounts, unit_directory.list_units(engine))
    _policy(engine, settings, view)
    _calendar(engine, settings, view)
    return view


def _page(
    request: Request,
    engine: Engine,
    settings: Settings,
    who: Principal,
    code: int = status.HTTP_200_OK,
    form: FormState | None = None,
    message: str | None = None,
    jobs: Jobs | None = None,
) -> Response:
    extra: dict[str, object] = {"flash": message, "flash_kind": "error"} if message else {}
    extra["jobs"] = jobs
    return show(
        request,
        "pages/admin.html",
        who,
        status_code=code,
        view=admin_view(engine, settings),
        form=form or FormState(),
        roles=ROLE_LABELS,
        **extra,
    )


@dataclass
class Jobs:
    """The Temporal Schedules (digests, review queue, file sweep) as the server has them, or why they are unknown."""

    views: list[schedules.ScheduleView] = field(default_factory=list)
    error: str | None = None


async def jobs_of(ctx: AppContext) -> Jobs:
    try:
        return Jobs(await schedules.describe(ctx.gateway.client))
    except (RPCError, RuntimeError) as error:
        return Jobs(error=f"Không đọc được lịch chạy từ máy chủ Temporal: {error}")


@router.get("/admin", include_in_schema=False)
async def admin(request: Request, ctx: Ctx, who: Admin) -> Response:
    jobs = await jobs_of(ctx)
    return await run_in_threadpool(_page, request, ctx.engine, ctx.settings, who, status.HTTP_200_OK, None, None, jobs)


@router.post("/admin/schedules/{schedule_id}/run", include_in_schema=False)
async def run_schedule(request: Request, schedule_id: str, ctx: Ctx, who: Admin) -> Response:
    """Run a schedule's job now (a digest already sent today is not sent again)."""
    definition = schedules.BY_ID.get(schedule_id)
    if definition is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Không có lịch chạy này.")
    try:
        await schedules.run_now(ctx.gateway.client, schedule_id)
    except RPCError as error:
        flash(request, f"Chưa chạy được «{definition.label}»: {error}", "error")
        return redirect("/admin#schedules")
    get_logger().info("schedule_triggered", schedule=schedule_id, by=who.email)
    flash(request, f"Đã cho chạy ngay: {definition.label}. Thư đã gửi hôm nay không gửi lại.")
    return redirect("/admin#schedules")


@router.post("/admin/users", include_in_schema=False)
async def add_user(request: Request, ctx: Ctx, who: Admin) -> Response:
    data = await request.form()
    values = {name: text(data, name) for name in USER_FIELDS}
    # find_user (hence login) looks addresses up lower-cased, while add_user keeps the local part's case
    values["email"] = values["email"].lower()
    password = data.get("password")
    values["password"] = password if isinstance(password, str) else ""  # spaces may be part of a password
    form = FormState("add-user", values={k: v for k, v in values.items() if k != "password"})
    try:
        user = await run_in_threadpool(
            users.add_user,
            ctx.engine,
            values["email"],
            values["role"],
            values["password"],
            values["unit"] or None,
            values["full_name"],
        )
    except users.UserError as error:
        name, _, message = str(error).partition(": ")
        form.errors[name if name in USER_FIELDS else "form"] = message or str(error)
        code = status.HTTP_422_UNPROCESSABLE_CONTENT
        text_ = f"Chưa thêm được người dùng: {message or error}"
        return await run_in_threadpool(_page, request, ctx.engine, ctx.settings, who, code, form, text_)
    flash(request, f"Đã thêm người dùng {user.email} ({ROLE_LABELS.get(user.role, user.role)}).")
    return redirect("/admin#users")


def _set_active(engine: Engine, user_id: int, active: bool, me: str) -> User:
    with Session(engine) as session:
        user = session.get(User, user_id)
        if user is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "Không tìm thấy người dùng.")
        if user.email == me and not active:
            raise HTTPException(status.HTTP_409_CONFLICT, "Không thể tự khóa tài khoản đang dùng.")
        user.active = active
        session.add(user)
        session.commit()
        session.refresh(user)
        return user


@router.post("/admin/users/{user_id}/deactivate", include_in_schema=False)
async def deactivate(request: Request, user_id: UserId, ctx: Ctx, who: Admin) -> Response:
    try:
        user = await run_in_threadpool(_set_active, ctx.engine, user_id, False, who.email)
    except HTTPException as error:
        if error.status_code != status.HTTP_409_CONFLICT:
            raise
        form = FormState(f"user-{user_id}", errors={"form": str(error.detail)})
        return await run_in_threadpool(
            _page, request, ctx.engine, ctx.settings, who, error.status_code, form, str(error.detail)
        )
    flash(request, f"Đã khóa tài khoản {user.email}; người này không đăng nhập được nữa.")
    return redirect("/admin#users")


@router.post("/admin/users/{user_id}/activate", include_in_schema=False)
async def activate(request: Request, user_id: UserId, ctx: Ctx, who: Admin) -> Response:
    user = await run_in_threadpool(_set_active, ctx.engine, user_id, True, who.email)
    flash(request, f"Đã mở lại tài khoản {user.email}.")
    return redirect("/admin#users")


DOCUMENTS: dict[str, tuple[configuration.DocumentName, str]] = {
    "policy": (configuration.POLICY, "chính sách đôn đốc"),
    "holidays": (configuration.HOLIDAYS, "danh sách ngày nghỉ, ngày làm bù"),
}


@router.post("/admin/config/{document}", include_in_schema=False)
async def save_document(request: Request, document: str, ctx: Ctx, who: Admin) -> Response:
    """Save the ladder or the holiday overrides as typed (checked first: nothing is stored when it is refused), or
    go back to the settings' file or the default."""
    if document not in DOCUMENTS:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Không có mục cấu hình này.")
    name, label = DOCUMENTS[document]
    data = await request.form()
    if text(data, "action") == "reset":
        removed = await run_in_threadpool(configuration.reset, ctx.engine, name)
        flash(
            request, f"Đã trở về {label} theo tệp cấu hình hoặc mặc định." if removed else "Không có gì để khôi phục."
        )
        return redirect(f"/admin#{document}")
    raw = data.get("text")
    content = raw if isinstance(raw, str) else ""
    form = FormState(document, values={"text": content})
    try:
        await run_in_threadpool(configuration.save, ctx.engine, name, content, who.email)
    except ValueError as error:
        form.errors["text"] = str(error)
        code = status.HTTP_422_UNPROCESSABLE_CONTENT
        message = f"Chưa lưu {label}: {error}"
        return await run_in_threadpool(_page, request, ctx.engine, ctx.settings, who, code, form, message)
    get_logger().info("configuration_saved", document=name, by=who.email)
    flash(request, f"Đã lưu {label}. Áp dụng cho các thời hạn được tính từ bây giờ.")
    return redirect(f"/admin#{document}")


@router.post("/admin/units", include_in_schema=False)
async def save_directory_unit(request: Request, ctx: Ctx, who: Admin) -> Response:
    data = await request.form()
    values = {name: text(data, name) for name in unit_directory.FIELDS}
    form = FormState("directory", values=values)
    try:
        entry = await run_in_threadpool(
            unit_directory.save_unit,
            ctx.engine,
            who.email,
            values["code"],
            values["name"],
            split_emails(values["contacts"]),
            values["head"] or None,
            values["supervisor"] or None,
        )
    except unit_directory.DirectoryError as error:
        form.errors.update(error.problems)
        code = status.HTTP_422_UNPROCESSABLE_CONTENT
        message = "Chưa lưu đơn vị: kiểm tra các trường được đánh dấu."
        return await run_in_threadpool(_page, request, ctx.engine, ctx.settings, who, code, form, message)
    flash(request, f"Đã lưu đơn vị {entry.code} – {entry.name} vào danh bạ.")
    return redirect("/admin#directory")


@router.post("/admin/units/{code}/delete", include_in_schema=False)
async def delete_directory_unit(request: Request, code: str, ctx: Ctx, who: Admin) -> Response:
    if not await run_in_threadpool(unit_directory.delete_unit, ctx.engine, code):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Không có đơn vị này trong danh bạ.")
    flash(request, f"Đã xóa đơn vị {code} khỏi danh bạ. Các kết luận đã đăng ký không thay đổi.")
    return redirect("/admin#directory")
