"""The agency portal: a unit's actions, evidence, extension requests and follow-up report, and the signed links.

Who may come in: agency accounts (their unit, every conclusion naming it) and link visitors (one unit of one
conclusion, from the signed link of a notice email). Every change goes to the conclusion's workflow through the
gateway; uploads are streamed to the file store first and forgotten again when anything refuses them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from dondoc import links
from dondoc.gateway import Refused
from dondoc.logs import get_logger
from dondoc.storage import ALLOWED, StoredFile, UploadError
from dondoc.web import queries, uploads
from dondoc.web.context import AppContext, get_context
from dondoc.web.pages_common import DAY_HINT, day_text, parse_amount, parse_day, ref_order, text
from dondoc.web.rendering import flash, page
from dondoc.web.security import SESSION_LINK, SESSION_USER, VIEW_ONLY, Principal, optional_principal, require
from models import commands as c
from models.labels import VN
from models.planning import report_target
from models.policy import Step
from models.tables import (
    ActionRow,
    ConclusionRow,
    EvidenceRow,
    ExtensionRequestRow,
    NotificationRow,
    ReportRow,
    UnitRow,
)
from models.web_tables import PortalLink, Role
from models.workflow_io import UpdateResult

router = APIRouter()

Ctx = Annotated[AppContext, Depends(get_context)]

ACCEPT = ",".join(ext for exts in ALLOWED.values() for ext in exts)
TYPES = "PDF, DOCX, XLSX, DOC, XLS, ODT, JPEG, PNG, ZIP"
MAX_FILES = 20
MAX_NOTE = 4000
_UNRESOLVED = ("open", "evidence_submitted")
_PRIVATE = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}
NOT_AGENCY = "Trang này dành cho đơn vị được thanh tra. Cán bộ thanh tra theo dõi kết luận ở trang «Kết luận»."
NOT_YOURS = "Bạn chỉ được thao tác trên kiến nghị và báo cáo của đơn vị mình, trong kết luận được giao."


# ---------------------------------------------------------------- who is asking


def _unit_name(engine: Engine, workflow_id: str, unit: str) -> str:
    with Session(engine) as session:
        row = session.get(UnitRow, (workflow_id, unit))
    return row.name if row is not None else unit


def _link_error(request: Request, error: links.LinkError) -> Response:
    """The page shown for a link that cannot be used: 410 when it expired or was revoked, 403 otherwise."""
    message = str(error)
    gone = "hết hạn" in message or "thu hồi" in message
    code = status.HTTP_410_GONE if gone else status.HTTP_403_FORBIDDEN
    response = page(request, "link_error.html", None, status_code=code, message=message, gone=gone)
    response.headers.update(_PRIVATE)
    return response


def _principal(request: Request, ctx: AppContext) -> Principal | Response:
    """The principal, or the link error page when the visitor's link stopped being valid since it was opened."""
    token = request.session.get(SESSION_LINK)
    who = optional_principal(request, ctx)
    if who is None and token:
        try:
            links.verify(ctx.engine, ctx.settings.signing_key, str(token))
        except links.LinkError as error:
            return _link_error(request, error)
    if who is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Cần đăng nhập.")
    return who


async def _agency(request: Request, ctx: AppContext) -> Principal | Response:
    """An agency account or a link visitor, both with a unit; anyone else is refused (403)."""
    who = await run_in_threadpool(_principal, request, ctx)
    if isinstance(who, Principal) and (who.role != Role.agency or not who.unit):
        raise HTTPException(status.HTTP_403_FORBIDDEN, NOT_AGENCY)
    return who


def actor_of(who: Principal) -> str:
    """How a change is signed in the audit trail: the account's email, or the unit and the link it came with."""
    if who.via == "link":
        return f"đơn vị {who.unit} (đường dẫn {who.email.removeprefix('link:')})"
    return who.email


# ---------------------------------------------------------------- what the portal shows


@dataclass
class SentStep:
    step: str
    at: datetime | None


@dataclass
class ActionView:
    row: ActionRow
    key: str
    late_days: int | None
    steps: list[SentStep]
    evidence: list[EvidenceRow]
    requests: list[ExtensionRequestRow]
    may_upload: bool
    may_request: bool
    min_day: str  # the earliest day an extension may ask for (ISO, for the date input)


@dataclass
class ReportView:
    unit: UnitRow
    key: str
    late_days: int | None
    steps: list[SentStep]
    reports: list[ReportRow]
    may_submit: bool


@dataclass
class ConclusionView:
    conclusion: ConclusionRow
    active: bool
    actions: list[ActionView]
    report: ReportView


@dataclass
class PortalView:
    unit_code: str
    unit_name: str
    conclusions: list[ConclusionView]
    link_expires: datetime | None = None


@dataclass
class FormState:
    """A submitted form to show again: which one, the errors beside its fields, the values typed."""

    key: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)


def _late_days(due: datetime | None, unresolved: bool, flagged: bool, now: datetime) -> int | None:
    """Days past due, counted like the overdue list (a part of a day is a day); None when not late."""
    if not unresolved or due is None:
        return None
    if due < now:
        return max((now - due).days, 0) + 1
    return 1 if flagged else None


def _sent_steps(session: Session, workflow_id: str, unit: str, targets: Iterable[str]) -> dict[str, list[SentStep]]:
    """The letters that went out so far, per item they listed (a letter lists every item of the unit that reached
    its step): from the outbox, one entry per letter however many copies it had."""
    wanted = set(targets)
    rows = session.exec(
        select(NotificationRow)
        .where(NotificationRow.workflow_id == workflow_id, NotificationRow.unit == unit)
        .where(NotificationRow.status == "sent")
        .order_by(col(NotificationRow.sent_at), col(NotificationRow.created_at))
    ).all()
    seen: set[str] = set()
    steps: dict[str, list[SentStep]] = {}
    for row in rows:
        letter = row.letter_key or row.key
        if letter in seen or row.step not in Step.__members__:
            continue
        seen.add(letter)
        for item in row.items:
            if item in wanted:
                steps.setdefault(item, []).append(SentStep(row.step, row.sent_at or row.created_at))
    return steps


def portal_view(engine: Engine, who: Principal, now: datetime | None = None) -> PortalView:
    """The unit's actions grouped by conclusion (a link visitor: only the link's conclusion)."""
    assert who.unit is not None
    now = now or datetime.now(UTC)
    with Session(engine) as session:
        visible = queries.visible_workflow_ids(session, who) or set()
        link_expires = None
        if who.via == "link":
            link = session.get(PortalLink, who.email.removeprefix("link:"))
            link_expires = link.expires_at if link is not None else None
    views: list[ConclusionView] = []
    unit_name = who.unit
    acting = not who.view_only
    for workflow_id in sorted(visible):
        detail = queries.conclusion_detail(engine, who, workflow_id)
        unit = next((u for u in detail.units if u.code == who.unit), None) if detail else None
        if detail is None or unit is None:
            continue
        unit_name = unit.name
        active = detail.conclusion.status == "active"
        # the workflow's clock, when its last projection is ahead of ours (a skewed or simulated clock)
        as_of = max(now, detail.conclusion.as_of or now)
        target = report_target(unit.code)
        with Session(engine) as session:
            steps = _sent_steps(session, workflow_id, unit.code, [*(a.action_id for a in detail.actions), target])
        actions = []
        for action in sorted(detail.actions, key=lambda a: ref_order(a.ref)):
            requests = detail.requests_of(action.action_id)
            unresolved = active and action.status in _UNRESOLVED
            actions.append(
                ActionView(
                    row=action,
                    key=f"{workflow_id}--{action.action_id}",
                    late_days=_late_days(action.due, unresolved, action.overdue, as_of),
                    steps=steps.get(action.action_id, []),
                    evidence=detail.evidence_of(action.action_id),
                    requests=requests,
                    may_upload=acting and active and action.status == "open",
                    may_request=acting and unresolved and not any(r.status == "requested" for r in requests),
                    min_day=(action.due.astimezone(VN).date() + timedelta(days=1)).isoformat() if action.due else "",
                )
            )
        awaited = active and unit.report_status in ("awaited", "returned")
        report = ReportView(
            unit=unit,
            key=f"{workflow_id}--report",
            late_days=_late_days(unit.report_due, awaited, False, as_of),
            steps=steps.get(target, []),
            reports=detail.reports_of(unit.code),
            may_submit=acting and awaited,
        )
        views.append(ConclusionView(detail.conclusion, active, actions, report))
    views.sort(key=lambda v: (not v.active, -v.conclusion.issued_on.toordinal(), v.conclusion.number))
    return PortalView(who.unit, unit_name, views, link_expires)


def _max_label(max_bytes: int) -> str:
    mb = max_bytes / (1024 * 1024)
    return f"{mb:g} MB" if mb >= 1 else f"{max_bytes // 1024} KB"


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB".replace(".", ",")
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")


async def _render(
    request: Request,
    ctx: AppContext,
    who: Principal,
    status_code: int = status.HTTP_200_OK,
    form: FormState | None = None,
    flash: str | None = None,
    flash_kind: str = "ok",
) -> Response:
    view = await run_in_threadpool(portal_view, ctx.engine, who)
    response = page(
        request,
        "portal.html",
        who,
        status_code=status_code,
        view=view,
        form=form or FormState(),
        flash=flash,
        flash_kind=flash_kind,
        accept=ACCEPT,
        types=TYPES,
        max_label=_max_label(ctx.files.max_bytes),
        max_files=MAX_FILES,
        human_size=human_size,
        day_text=day_text,
    )
    response.headers.update(_PRIVATE)
    return response


# ---------------------------------------------------------------- links


@router.get("/portal/{token}", include_in_schema=False)
async def open_link(request: Request, token: str, ctx: Ctx, confirm: bool = False) -> Response:
    """An emailed link: valid → a fresh session scoped to its unit and conclusion; otherwise a clear page. A browser
    signed in to an account is asked first: opening the link signs that account out here."""
    try:
        scope = await run_in_threadpool(links.verify, ctx.engine, ctx.settings.signing_key, token)
    except links.LinkError as error:
        get_logger().info("portal_link_refused", reason=str(error))
        return _link_error(request, error)
    signed_in = request.session.get(SESSION_USER)
    if signed_in and not confirm:
        unit = await run_in_threadpool(_unit_name, ctx.engine, scope.workflow_id, scope.unit)
        response = page(request, "link_confirm.html", None, account=signed_in, unit=unit, token=token)
        response.headers.update(_PRIVATE)
        return response
    request.session.clear()  # whoever was signed in, this browser now speaks for the link's unit only
    request.session[SESSION_LINK] = token
    get_logger().info("portal_link_opened", link=scope.link_id, workflow_id=scope.workflow_id, unit=scope.unit)
    return RedirectResponse("/portal", status_code=status.HTTP_303_SEE_OTHER, headers=_PRIVATE)


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
    response.headers.update(_PRIVATE)
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
        return JSONResponse({"url": url, "days": days}, status_code=status.HTTP_201_CREATED, headers=_PRIVATE)
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
    return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER, headers=_PRIVATE)


# ---------------------------------------------------------------- the portal


_SESSION_NEW_LINK = "new_link"


def _done(request: Request, message: str, anchor: str) -> Response:
    """After a change: back to the portal by a redirect, so reloading the page never submits it again."""
    flash(request, message)
    return RedirectResponse(f"/portal#{anchor}", status_code=status.HTTP_303_SEE_OTHER, headers=_PRIVATE)


@router.get("/portal", include_in_schema=False)
async def portal(request: Request, ctx: Ctx) -> Response:
    who = await _agency(request, ctx)
    if isinstance(who, Response):
        return who
    return await _render(request, ctx, who)


def _own_action(engine: Engine, who: Principal, workflow_id: str, action_id: str) -> tuple[ConclusionRow, ActionRow]:
    """The action, if it is the principal's unit's in a conclusion it may see, to act on; else 403."""
    if who.view_only:  # also refused before the body is read (security.verify_csrf); never act for a viewer
        raise HTTPException(status.HTTP_403_FORBIDDEN, VIEW_ONLY)
    if not queries.may_see(engine, who, workflow_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, NOT_YOURS)
    with Session(engine) as session:
        conclusion = session.get(ConclusionRow, workflow_id)
        action = session.get(ActionRow, (workflow_id, action_id))
    if conclusion is None or action is None or action.unit != who.unit:
        raise HTTPException(status.HTTP_403_FORBIDDEN, NOT_YOURS)
    return conclusion, action


def _own_unit(engine: Engine, who: Principal, workflow_id: str) -> tuple[ConclusionRow, UnitRow]:
    if who.view_only:
        raise HTTPException(status.HTTP_403_FORBIDDEN, VIEW_ONLY)
    if who.unit is None or not queries.may_see(engine, who, workflow_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, NOT_YOURS)
    with Session(engine) as session:
        conclusion = session.get(ConclusionRow, workflow_id)
        unit = session.get(UnitRow, (workflow_id, who.unit))
    if conclusion is None or unit is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, NOT_YOURS)
    return conclusion, unit


def _uploads(form: FormData) -> list[UploadFile]:
    """The chosen files (a browser sends an unnamed empty part when none was chosen)."""
    return [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]


def _check_files(chosen: list[UploadFile], errors: dict[str, str], what: str) -> None:
    if not chosen:
        errors["files"] = f"Chọn ít nhất một tệp {what}."
    elif len(chosen) > MAX_FILES:
        errors["files"] = f"Mỗi lần nộp tối đa {MAX_FILES} tệp."


def _check_note(note: str, errors: dict[str, str], name: str = "note") -> None:
    if len(note) > MAX_NOTE:
        label = "Lý do" if name == "reason" else "Ghi chú"
        errors[name] = f"{label} quá dài (tối đa {MAX_NOTE} ký tự)."


_FIELD = re.compile(r"^([a-z_]+): (.+)$", re.DOTALL)


def _refusal(error: Refused, fields: set[str]) -> dict[str, str]:
    """A rule's refusal beside its field when the message names one ('requested_due: …'), else on the form."""
    match = _FIELD.match(str(error))
    if match and match.group(1) in fields:
        return {match.group(1): match.group(2)}
    return {"form": str(error)}


async def _submit(
    request: Request,
    ctx: AppContext,
    who: Principal,
    workflow_id: str,
    command: c.Command,
    stored: list[StoredFile],
    form: FormState,
    fields: set[str],
) -> UpdateResult | Response:
    """Send the command; on a refusal (its files released) show the form again with the reason (409)."""

    def send() -> Awaitable[UpdateResult]:
        return ctx.gateway.update(workflow_id, command, update_id=f"portal-{uuid.uuid4().hex}")

    try:
        return await uploads.submit(ctx, workflow_id, stored, send)
    except Refused as error:
        form.errors.update(_refusal(error, fields))
        return await _failed(request, ctx, who, form, status.HTTP_409_CONFLICT)


async def _checked_and_stored(
    request: Request, ctx: AppContext, who: Principal, form: FormState, files: list[UploadFile]
) -> list[StoredFile] | Response:
    """The files in the store once the form has no error; else the form again (409 when only the state refuses)."""
    if form.errors:
        code = status.HTTP_409_CONFLICT if set(form.errors) == {"form"} else status.HTTP_422_UNPROCESSABLE_CONTENT
        return await _failed(request, ctx, who, form, code)
    try:
        return await uploads.store(ctx, files)
    except UploadError as error:
        form.errors["files"] = str(error)
        return await _failed(request, ctx, who, form, status.HTTP_422_UNPROCESSABLE_CONTENT)


async def _failed(request: Request, ctx: AppContext, who: Principal, form: FormState, code: int) -> Response:
    message = "Chưa gửi được. " + " ".join(form.errors.values())
    return await _render(request, ctx, who, code, form, flash=message, flash_kind="error")


@router.post("/portal/conclusions/{workflow_id}/actions/{action_id}/evidence", include_in_schema=False)
async def submit_evidence(request: Request, workflow_id: str, action_id: str, ctx: Ctx) -> Response:
    who = await _agency(request, ctx)
    if isinstance(who, Response):
        return who
    conclusion, action = await run_in_threadpool(_own_action, ctx.engine, who, workflow_id, action_id)
    data = await request.form()
    try:
        files = _uploads(data)
        note, recovered_text = text(data, "note"), text(data, "recovered_vnd")
        form = FormState(
            f"{workflow_id}--{action_id}--evidence", values={"note": note, "recovered_vnd": recovered_text}
        )
        _check_files(files, form.errors, "minh chứng")
        _check_note(note, form.errors)
        recovered = None
        if recovered_text:
            recovered = parse_amount(recovered_text)
            if recovered is None:
                form.errors["recovered_vnd"] = "Số tiền đã thu hồi phải là số đồng, ví dụ 15.000.000."
        if conclusion.status != "active":
            form.errors["form"] = f"Kết luận {conclusion.number} không còn được theo dõi; không thể nộp minh chứng."
        elif action.status != "open":
            form.errors["form"] = "Kiến nghị này đang chờ xem xét hoặc đã kết thúc; không thể nộp thêm minh chứng."
        stored = await _checked_and_stored(request, ctx, who, form, files)
        if isinstance(stored, Response):
            return stored
        command = c.SubmitEvidence(
            actor=actor_of(who),
            action_id=action_id,
            files=[s.ref for s in stored],
            note=note,
            recovered_vnd=recovered,
        )
        state = await _submit(request, ctx, who, workflow_id, command, stored, form, {"note", "files"})
    finally:
        await data.close()
    if isinstance(state, Response):
        return state
    label = state.created or ""
    message = f"Đã nộp minh chứng {label} ({len(stored)} tệp). Cơ quan thanh tra sẽ xem xét và phản hồi."
    return _done(request, message, f"action-{workflow_id}--{action_id}")


@router.post("/portal/conclusions/{workflow_id}/actions/{action_id}/extension", include_in_schema=False)
async def request_extension(request: Request, workflow_id: str, action_id: str, ctx: Ctx) -> Response:
    who = await _agency(request, ctx)
    if isinstance(who, Response):
        return who
    conclusion, action = await run_in_threadpool(_own_action, ctx.engine, who, workflow_id, action_id)
    data = await request.form()
    due_text, reason = text(data, "requested_due"), text(data, "reason")
    await data.close()
    form = FormState(f"{workflow_id}--{action_id}--extension", values={"requested_due": due_text, "reason": reason})
    day = parse_day(due_text)
    current = action.due.astimezone(VN).date() if action.due else None
    if not due_text:
        form.errors["requested_due"] = "Chọn ngày đề nghị gia hạn đến."
    elif day is None:
        form.errors["requested_due"] = DAY_HINT
    elif current is not None and day <= current:
        form.errors["requested_due"] = f"Ngày đề nghị phải sau hạn hiện tại ({current:%d/%m/%Y})."
    if not reason:
        form.errors["reason"] = "Nêu lý do xin gia hạn."
    _check_note(reason, form.errors, "reason")
    if conclusion.status != "active":
        form.errors["form"] = f"Kết luận {conclusion.number} không còn được theo dõi; không thể xin gia hạn."
    if form.errors:
        code = status.HTTP_409_CONFLICT if set(form.errors) == {"form"} else status.HTTP_422_UNPROCESSABLE_CONTENT
        return await _failed(request, ctx, who, form, code)
    assert day is not None
    command = c.RequestExtension(actor=actor_of(who), action_id=action_id, requested_due=day, reason=reason)
    state = await _submit(request, ctx, who, workflow_id, command, [], form, {"requested_due", "reason"})
    if isinstance(state, Response):
        return state
    message = f"Đã gửi đề nghị gia hạn đến ngày {day:%d/%m/%Y}. Cơ quan thanh tra sẽ quyết định."
    return _done(request, message, f"action-{workflow_id}--{action_id}")


@router.post("/portal/conclusions/{workflow_id}/report", include_in_schema=False)
async def submit_report(request: Request, workflow_id: str, ctx: Ctx) -> Response:
    who = await _agency(request, ctx)
    if isinstance(who, Response):
        return who
    conclusion, unit = await run_in_threadpool(_own_unit, ctx.engine, who, workflow_id)
    data = await request.form()
    try:
        files, note = _uploads(data), text(data, "note")
        form = FormState(f"{workflow_id}--report", values={"note": note})
        _check_files(files, form.errors, "báo cáo")
        _check_note(note, form.errors)
        if conclusion.status != "active":
            form.errors["form"] = f"Kết luận {conclusion.number} không còn được theo dõi; không thể nộp báo cáo."
        elif unit.report_status not in ("awaited", "returned"):
            form.errors["form"] = "Báo cáo của đơn vị đã nộp và đang chờ xem xét hoặc đã được chấp nhận."
        stored = await _checked_and_stored(request, ctx, who, form, files)
        if isinstance(stored, Response):
            return stored
        command = c.SubmitReport(actor=actor_of(who), unit=unit.code, files=[s.ref for s in stored], note=note)
        state = await _submit(request, ctx, who, workflow_id, command, stored, form, {"note", "files"})
    finally:
        await data.close()
    if isinstance(state, Response):
        return state
    message = f"Đã nộp báo cáo kết quả thực hiện của {unit.name}. Cơ quan thanh tra sẽ xem xét."
    return _done(request, message, f"report-{workflow_id}--report")


# ---------------------------------------------------------------- downloads


def _download(ctx: AppContext, files: list[dict[str, Any]], sha256: str) -> Response:
    ref = next((f for f in files if f.get("sha256") == sha256), None)
    if ref is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Không tìm thấy tệp.")
    try:
        path = ctx.files.path_of(sha256)
    except UploadError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Không tìm thấy tệp.") from None
    if not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Tệp không còn trong kho lưu trữ; liên hệ cơ quan thanh tra.")
    content_type = str(ref.get("content_type", ""))
    return FileResponse(
        path,
        media_type=content_type if content_type in ALLOWED else "application/octet-stream",
        filename=str(ref.get("name") or "tep"),
        content_disposition_type="attachment",
        headers={
            **_PRIVATE,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


@router.get("/portal/conclusions/{workflow_id}/evidence/{evidence_id}/files/{sha256}", include_in_schema=False)
async def evidence_file(request: Request, workflow_id: str, evidence_id: str, sha256: str, ctx: Ctx) -> Response:
    """A file of an evidence submission, as an attachment with its original name (the unit's own, or staff)."""
    who = await run_in_threadpool(_principal, request, ctx)
    if isinstance(who, Response):
        return who
    row = await run_in_threadpool(queries.evidence_row, ctx.engine, who, workflow_id, evidence_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Không tìm thấy minh chứng.")
    return _download(ctx, row.files, sha256)


@router.get("/portal/conclusions/{workflow_id}/reports/{report_id}/files/{sha256}", include_in_schema=False)
async def report_file(request: Request, workflow_id: str, report_id: str, sha256: str, ctx: Ctx) -> Response:
    """A file of a follow-up report, as an attachment with its original name."""
    who = await run_in_threadpool(_principal, request, ctx)
    if isinstance(who, Response):
        return who
    detail = await run_in_threadpool(queries.conclusion_detail, ctx.engine, who, workflow_id)
    row = next((r for r in detail.reports if r.report_id == report_id), None) if detail else None
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Không tìm thấy báo cáo.")
    return _download(ctx, row.files, sha256)
