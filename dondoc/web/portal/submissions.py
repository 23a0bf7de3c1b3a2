"""The portal page and what a unit sends from it: evidence, extension requests, the follow-up report."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from dondoc.gateway import Refused
from dondoc.storage import StoredFile, UploadError
from dondoc.web import bodies, queries, uploads
from dondoc.web.context import AppContext
from dondoc.web.pages.common import DAY_HINT, amount_hint, parse_amount, parse_day, text
from dondoc.web.portal.access import MAX_FILES, NOT_YOURS, Ctx, actor_of, agency
from dondoc.web.portal.view import FormState, render_portal
from dondoc.web.rendering import PRIVATE, flash
from dondoc.web.security import VIEW_ONLY, Principal
from models import commands as c
from models.commands import MAX_NOTE
from models.labels import VN, grouped, item_name
from models.tables import (
    ActionRow,
    ConclusionRow,
    UnitRow,
)
from models.workflow_io import UpdateResult

router = APIRouter()

# ---------------------------------------------------------------- the portal


def _done(request: Request, message: str, anchor: str) -> Response:
    """After a change: back to the portal by a redirect, so reloading the page never submits it again."""
    flash(request, message)
    return RedirectResponse(f"/portal#{anchor}", status_code=status.HTTP_303_SEE_OTHER, headers=PRIVATE)


@router.get("/portal", include_in_schema=False)
async def portal(request: Request, ctx: Ctx) -> Response:
    who = await agency(request, ctx)
    if isinstance(who, Response):
        return who
    return await render_portal(request, ctx, who)


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
        errors[name] = f"{label} quá dài (tối đa {grouped(MAX_NOTE)} ký tự)."


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
    ticked: tuple[str, list[ActionRow]] | None = None,
) -> UpdateResult | Response:
    """Send the command; on a refusal (its files released) show the form again with the reason (409), beside the
    ticked actions (the field and its rows) when it is about one of them."""

    def send() -> Awaitable[UpdateResult]:
        return ctx.gateway.update(workflow_id, command, update_id=f"portal-{uuid.uuid4().hex}")

    try:
        return await uploads.submit(ctx, workflow_id, stored, send)
    except Refused as error:
        name, rows = ticked or ("", [])
        if error.about is not None:  # the rules name the action by its id
            about = [row for row in rows if row.action_id == error.about]
        else:  # a worker from before ids came with refusals (during a roll): by its name in the message
            about = [row for row in rows if f"Kiến nghị {item_name(row.ref, row.text)} " in str(error)]
        form.errors.update({name: _not_open(about)} if about else _refusal(error, fields))
        return await _failed(request, ctx, who, form, status.HTTP_409_CONFLICT)


async def _checked_and_stored(
    request: Request, ctx: AppContext, who: Principal, form: FormState, files: list[UploadFile]
) -> list[StoredFile] | Response:
    """The files in the store once the form has no error; else the form again (409 when only the state refuses)."""
    if form.errors:
        return await _failed(request, ctx, who, form, form.code)
    try:
        return await uploads.store(ctx, files)
    except UploadError as error:
        form.errors["files"] = str(error)
        return await _failed(request, ctx, who, form, status.HTTP_422_UNPROCESSABLE_CONTENT)


async def _failed(request: Request, ctx: AppContext, who: Principal, form: FormState, code: int) -> Response:
    message = "Chưa gửi được. " + " ".join(form.errors.values())
    return await render_portal(request, ctx, who, code, form, flash=message, flash_kind="error")


@router.post("/portal/conclusions/{workflow_id}/actions/{action_id}/evidence", include_in_schema=False)
async def submit_evidence(request: Request, workflow_id: str, action_id: str, ctx: Ctx) -> Response:
    """Evidence for one action, or the same files for the unit's further open actions ticked on its form."""
    who = await agency(request, ctx)
    if isinstance(who, Response):
        return who
    conclusion, action = await run_in_threadpool(_own_action, ctx.engine, who, workflow_id, action_id)
    data = await bodies.read_form(request, ctx)
    try:
        chosen = [i for i in _chosen(data, ALSO) if i != action_id]
        others = await run_in_threadpool(_own_actions, ctx.engine, who, workflow_id, chosen)
        form = FormState(f"{workflow_id}--{action_id}--evidence", chosen=chosen)
        if action.status != "open":
            form.errors["form"] = "Kiến nghị này đang chờ xem xét hoặc đã kết thúc; không thể nộp thêm minh chứng."
        return await _evidence(request, ctx, who, conclusion, [action, *others], data, form, ALSO)
    finally:
        await data.close()


@router.post("/portal/conclusions/{workflow_id}/evidence", include_in_schema=False)
async def submit_evidence_for_several(request: Request, workflow_id: str, ctx: Ctx) -> Response:
    """One document of the unit (e.g. a dispatch answering several items) as evidence for the actions ticked."""
    who = await agency(request, ctx)
    if isinstance(who, Response):
        return who
    conclusion, _ = await run_in_threadpool(_own_unit, ctx.engine, who, workflow_id)
    data = await bodies.read_form(request, ctx)
    try:
        chosen = _chosen(data, SEVERAL)
        rows = await run_in_threadpool(_own_actions, ctx.engine, who, workflow_id, chosen)
        form = FormState(f"{workflow_id}--several", chosen=chosen)
        if not rows:
            form.errors[SEVERAL] = "Chọn các kiến nghị mà tệp này là minh chứng."
        return await _evidence(request, ctx, who, conclusion, rows, data, form, SEVERAL)
    finally:
        await data.close()


ALSO = "also_action_ids"  # the further actions ticked on one action's form
SEVERAL = "action_ids"  # the actions ticked on the conclusion's form for one document


async def _evidence(
    request: Request,
    ctx: AppContext,
    who: Principal,
    conclusion: ConclusionRow,
    rows: list[ActionRow],
    data: FormData,
    form: FormState,
    field: str,
) -> Response:
    """The same files as evidence for every action of `rows` (the first is the command's own): one update, one
    evidence per action; what the form or the rules refuse comes back beside the field (`field`: the ticks)."""
    files = _uploads(data)
    note, recovered_text = text(data, "note"), text(data, "recovered_vnd")
    form.values.update({"note": note, "recovered_vnd": recovered_text})
    _check_files(files, form.errors, "minh chứng")
    _check_note(note, form.errors)
    recovered = None
    if recovered_text:
        recovered = parse_amount(recovered_text)
        if recovered is None:
            form.errors["recovered_vnd"] = amount_hint(recovered_text, "Số tiền đã thu hồi")
        elif len(rows) > 1:
            form.errors["recovered_vnd"] = (
                "Số tiền đã thu hồi chỉ ghi khi nộp minh chứng cho một kiến nghị: bỏ chọn các kiến nghị khác "
                "hoặc để trống ô này."
            )
    ticked = rows[1:] if field == ALSO else rows
    closed = [row for row in ticked if row.status != "open"]
    if conclusion.status != "active":
        form.errors["form"] = f"Kết luận {conclusion.number} không còn được theo dõi; không thể nộp minh chứng."
    elif closed and "form" not in form.errors:
        form.errors[field] = _not_open(closed)
        form.conflicts.add(field)
    stored = await _checked_and_stored(request, ctx, who, form, files)
    if isinstance(stored, Response):
        return stored
    command = c.SubmitEvidence(
        actor=actor_of(who),
        action_id=rows[0].action_id,
        also_action_ids=[row.action_id for row in rows[1:]],
        files=[s.ref for s in stored],
        note=note,
        recovered_vnd=recovered,
    )
    state = await _submit(
        request, ctx, who, conclusion.workflow_id, command, stored, form, {"note", "files"}, (field, ticked)
    )
    if isinstance(state, Response):
        return state
    created = [label for label in (state.created, *state.also_created) if label]
    if len(rows) > 1:
        refs = ", ".join(_label(row) for row in rows)
        message = (
            f"Đã nộp minh chứng {', '.join(created)} ({len(stored)} tệp) cho {len(created)} kiến nghị: {refs}. "
            "Cơ quan thanh tra sẽ xem xét từng kiến nghị và phản hồi."
        )
    else:
        message = (
            f"Đã nộp minh chứng {state.created or ''} ({len(stored)} tệp). Cơ quan thanh tra sẽ xem xét và phản hồi."
        )
    anchor = (
        f"action-{conclusion.workflow_id}--{rows[0].action_id}" if field == ALSO else f"kl-{conclusion.workflow_id}"
    )
    return _done(request, message, anchor)


def _chosen(data: FormData, name: str) -> list[str]:
    """The actions ticked in the field `name`, each once, in the order sent."""
    return list(dict.fromkeys(v.strip() for v in data.getlist(name) if isinstance(v, str) and v.strip()))


def _own_actions(engine: Engine, who: Principal, workflow_id: str, action_ids: list[str]) -> list[ActionRow]:
    """The ticked actions, every one the principal's unit's in this conclusion; else 403 and nothing is sent."""
    if not action_ids:
        return []
    with Session(engine) as session:
        rows = session.exec(
            select(ActionRow).where(col(ActionRow.workflow_id) == workflow_id, col(ActionRow.action_id).in_(action_ids))
        ).all()
    found = {row.action_id: row for row in rows}
    if any(action_id not in found or found[action_id].unit != who.unit for action_id in action_ids):
        raise HTTPException(status.HTTP_403_FORBIDDEN, NOT_YOURS)
    return [found[action_id] for action_id in action_ids]


def _label(row: ActionRow) -> str:
    return row.ref or row.action_id


def _quoted(row: ActionRow) -> str:
    words = row.text if len(row.text) <= 80 else row.text[:79].rstrip() + "…"
    return f"{_label(row)} «{words}»"


def _not_open(rows: list[ActionRow]) -> str:
    names = "; ".join(_quoted(row) for row in rows)
    if len(rows) == 1:
        return (
            f"Kiến nghị {names} đang chờ xem xét hoặc đã kết thúc, không nhận thêm minh chứng: bỏ chọn kiến nghị này."
        )
    return f"Các kiến nghị {names} đang chờ xem xét hoặc đã kết thúc, không nhận thêm minh chứng: bỏ chọn các kiến nghị này."


@router.post("/portal/conclusions/{workflow_id}/actions/{action_id}/extension", include_in_schema=False)
async def request_extension(request: Request, workflow_id: str, action_id: str, ctx: Ctx) -> Response:
    who = await agency(request, ctx)
    if isinstance(who, Response):
        return who
    conclusion, action = await run_in_threadpool(_own_action, ctx.engine, who, workflow_id, action_id)
    data = await bodies.read_form(request, ctx)
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
    who = await agency(request, ctx)
    if isinstance(who, Response):
        return who
    conclusion, unit = await run_in_threadpool(_own_unit, ctx.engine, who, workflow_id)
    data = await bodies.read_form(request, ctx)
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
