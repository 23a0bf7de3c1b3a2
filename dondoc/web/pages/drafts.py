"""Drafts of conclusions: a document (DOCX, PDF or text) imported into a draft, or the form saved as one; edited by
several staff (a save names the version it was made from: a conflicting save is shown, never lost or silently
applied); started only after the confirmation page (`starting`) shows what starting does at once. The original
document stays with the draft and, once started, with the conclusion (`originals`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from activities import configuration
from dondoc import drafts, officers, unit_directory
from dondoc.gateway import AlreadyStarted
from dondoc.importer import DeadlinePolicy, Imported, NotAConclusion, UnreadableDocument, import_conclusion
from dondoc.importer.extract import MAX_BYTES
from dondoc.storage import UploadError
from dondoc.web.context import AppContext
from dondoc.web.pages import new, originals, starting
from dondoc.web.pages.common import Ctx, Staff, redirect, show, text
from dondoc.web.pages.rows import fill_ids, group_by_unit, paste_rows
from dondoc.web.rendering import flash
from dondoc.web.security import Principal
from models.draft_tables import ConclusionDraftRow
from models.labels import KIND

router = APIRouter()


# ---------------------------------------------------------------- form helpers (pure)


form_data = new.form_data


def form_of(data: dict[str, Any]) -> new.NewForm:
    form = new.NewForm()
    form.header = {k: str(v) for k, v in data.get("header", {}).items()}
    form.units = [dict(u) for u in data.get("units", [])] or [{}]
    form.actions = [dict(a) for a in data.get("actions", [])] or [{}]
    return form


# ---------------------------------------------------------------- pages


def _unit_names(form: new.NewForm, directory: dict[str, dict[str, Any]]) -> dict[str, str]:
    names = {code: str(entry.get("name", "")) for code, entry in directory.items()}
    names.update({u["code"]: u.get("name", "") or names.get(u["code"], "") for u in form.units if u.get("code")})
    return names


def _draft_page(
    request: Request,
    ctx: AppContext,
    who: Principal,
    row: ConclusionDraftRow,
    form: new.NewForm,
    code: int = status.HTTP_200_OK,
    conflict: ConclusionDraftRow | None = None,
    message: str | None = None,
    kind: str = "error",
) -> Response:
    directory = unit_directory.defaults(ctx.engine)
    extra = {"flash": message, "flash_kind": kind} if message else {}
    return show(
        request,
        "pages/draft.html",
        who,
        status_code=code,
        draft=row,
        form=form,
        conflict=conflict,
        imported=row.imported,
        kinds=KIND,
        header_labels=new.HEADER,
        unit_labels=new.UNIT_FIELDS,
        action_labels=new.ACTION_FIELDS,
        directory=unit_directory.list_units(ctx.engine),
        unit_names=_unit_names(form, directory),
        rows_url=f"/drafts/{row.id}/rows",
        **extra,
    )


def _row(ctx: AppContext, draft_id: str) -> ConclusionDraftRow:
    row = drafts.get(ctx.engine, draft_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Không tìm thấy bản nháp này (có thể đã bị xóa).")
    return row


def _import(ctx: AppContext, name: str, content: bytes) -> Imported:
    """Read the document; assumed due dates are counted on the holidays in force (the admin page's list, if saved)."""
    overrides = configuration.effective_overrides(ctx.engine, ctx.settings).value
    return import_conclusion(name, content, DeadlinePolicy.from_settings(ctx.settings, overrides))


@router.post("/conclusions/import", include_in_schema=False)
async def import_document(request: Request, ctx: Ctx, who: Staff) -> Response:
    """A conclusion as DOCX, PDF or text: read into a new draft (the original kept with it), or refused with why."""
    data = await request.form()
    try:
        file = data.get("document")
        if not isinstance(file, UploadFile) or not file.filename:
            return await _refused(request, ctx, who, "Chọn tệp kết luận (.docx, .pdf hoặc .txt) để nhập.")
        name = file.filename
        content = await file.read(MAX_BYTES + 1)
    finally:
        await data.close()
    try:
        imported = await run_in_threadpool(_import, ctx, name, content)
    except (NotAConclusion, UnreadableDocument) as error:
        return await _refused(request, ctx, who, f"Không nhập được {name}: {error}")
    try:
        source = await originals.keep(ctx.files, name, content)
    except UploadError as error:
        return await _refused(request, ctx, who, f"Không lưu được văn bản gốc {name}: {error}")
    entries = await run_in_threadpool(unit_directory.list_units, ctx.engine)
    directory = [drafts.DirectoryEntry(e.code, e.name) for e in entries]
    form = form_of(drafts.form_of(imported.draft, directory))
    fill_ids(form.actions)
    group_by_unit(form.units, form.actions)
    row = await run_in_threadpool(
        drafts.create,
        ctx.engine,
        who.email,
        form_data(form),
        drafts.imported_of(imported.draft, imported.paragraphs),
        source,
    )
    warnings = len(imported.draft.warnings)
    note = f", {warnings} cảnh báo cần xem" if warnings else ""
    flash(
        request,
        f"Đã đọc {name}: {len(imported.draft.units)} đơn vị, {len(imported.draft.actions)} kiến nghị{note}. "
        "Kiểm tra, sửa bản nháp rồi mới bắt đầu theo dõi.",
        "warn" if warnings else "ok",
    )
    return redirect(f"/drafts/{row.id}")


async def _refused(request: Request, ctx: Ctx, who: Staff, message: str) -> Response:
    code = status.HTTP_422_UNPROCESSABLE_CONTENT
    return await run_in_threadpool(
        new.render, request, ctx, who, new.NewForm(), code, None, {"document_problem": message}, message
    )


@router.post("/drafts", include_in_schema=False)
async def save_new_draft(request: Request, ctx: Ctx, who: Staff) -> Response:
    """The registration form as typed, kept as a draft to finish (or to have checked by someone else) later."""
    form = new.read_form(await request.form())
    fill_ids(form.actions)
    row = await run_in_threadpool(drafts.create, ctx.engine, who.email, form_data(form))
    flash(request, "Đã lưu bản nháp.")
    return redirect(f"/drafts/{row.id}")


@router.get("/drafts/{draft_id}", include_in_schema=False)
def draft_page(request: Request, draft_id: str, ctx: Ctx, who: Staff) -> Response:
    row = _row(ctx, draft_id)
    if row.workflow_id is not None:
        return redirect(f"/conclusions/{row.workflow_id}")
    return _draft_page(request, ctx, who, row, form_of(row.form))


def _version(data: FormData) -> int:
    value = text(data, "version")
    return int(value) if value.isdigit() else -1


async def _save(
    request: Request, ctx: AppContext, who: Principal, row: ConclusionDraftRow, form: new.NewForm, version: int
) -> Response | ConclusionDraftRow:
    """Save, or the page again with the edit kept and the conflict explained."""
    try:
        return await run_in_threadpool(drafts.save, ctx.engine, row.id, who.email, form_data(form), version)
    except drafts.DraftStarted as started:
        return redirect(f"/conclusions/{started.current.workflow_id}")
    except drafts.DraftConflict as conflict:
        current = conflict.current
        message = (
            f"Chưa lưu: {current.updated_by} đã sửa bản nháp này lúc {current.updated_at:%H:%M %d/%m/%Y} (UTC) "
            "sau khi bạn mở nó. Nội dung bạn nhập vẫn ở dưới; xem bản của họ rồi chọn lưu đè hoặc tải lại."
        )
        code = status.HTTP_409_CONFLICT
        return await run_in_threadpool(_draft_page, request, ctx, who, current, form, code, current, message)


@router.post("/drafts/{draft_id}", include_in_schema=False)
async def save_draft(request: Request, draft_id: str, ctx: Ctx, who: Staff) -> Response:
    data = await request.form()
    row = await run_in_threadpool(_row, ctx, draft_id)
    form = new.read_form(data)
    fill_ids(form.actions)
    saved = await _save(request, ctx, who, row, form, _version(data))
    if isinstance(saved, Response):
        return saved
    if text(data, "then") == "start":
        return redirect(f"/drafts/{draft_id}/start")
    flash(request, f"Đã lưu bản nháp (lần sửa thứ {saved.version}).")
    return redirect(f"/drafts/{draft_id}")


@router.post("/drafts/{draft_id}/rows", include_in_schema=False)
async def draft_rows(request: Request, draft_id: str, ctx: Ctx, who: Staff, add: str = "") -> Response:
    """One more unit or action row, or the pasted list as rows: shown, not yet saved."""
    data = await request.form()
    row = await run_in_threadpool(_row, ctx, draft_id)
    form = new.read_form(data)
    message = None
    if add == "units" and len(form.units) < new.MAX_ROWS:
        form.units.append({})
    elif add == "actions" and len(form.actions) < new.MAX_ROWS:
        form.actions.append({})
    elif add == "paste":
        form.actions, count = paste_rows(form.actions, text(data, "paste_text"), text(data, "paste_unit"), new.MAX_ROWS)
        message = f"Đã thêm {count} dòng kiến nghị từ danh sách dán vào; bấm «Lưu bản nháp» để giữ lại."
    return await run_in_threadpool(_draft_page, request, ctx, who, row, form, status.HTTP_200_OK, None, message, "ok")


@router.post("/drafts/{draft_id}/delete", include_in_schema=False)
async def delete_draft(request: Request, draft_id: str, ctx: Ctx, who: Staff) -> Response:
    data = await request.form()
    try:
        await run_in_threadpool(drafts.delete, ctx.engine, draft_id, _version(data))
    except drafts.DraftConflict:
        flash(request, "Chưa xóa: bản nháp vừa được người khác sửa; hãy xem lại trước khi xóa.", "error")
        return redirect(f"/drafts/{draft_id}")
    except drafts.DraftStarted as started:
        return redirect(f"/conclusions/{started.current.workflow_id}")
    flash(request, "Đã xóa bản nháp.")
    return redirect("/conclusions/new")


def _confirmation(ctx: AppContext, row: ConclusionDraftRow, who: Principal) -> starting.Confirmation:
    """The draft's confirmation page: its fields still wrong, why it cannot start, or what starting does at once."""
    form = form_of(row.form)
    spec = new.validate(form, unit_directory.defaults(ctx.engine))
    number = form.header.get("number", "")
    page = starting.Confirmation(
        number=number,
        action=f"/drafts/{row.id}/start",
        hidden={"version": str(row.version)},
        back_url=f"/drafts/{row.id}",
        back_label="Quay lại sửa bản nháp",
        kept="Bản nháp được giữ lại (chỉ xem) cùng kết luận" + (", kèm văn bản gốc." if row.source_name else "."),
        source=row.source_name or "",
        problems=form.problems,
        blockers=drafts.start_blockers(row, number),
    )
    return starting.assess(ctx.engine, ctx.settings, page, spec, who.email)


@router.get("/drafts/{draft_id}/start", include_in_schema=False)
def confirm_start(request: Request, draft_id: str, ctx: Ctx, who: Staff) -> Response:
    """What starting does at once (deadlines, letters that go out now, per recipient), and a button to confirm."""
    row = _row(ctx, draft_id)
    if row.workflow_id is not None:
        return redirect(f"/conclusions/{row.workflow_id}")
    return starting.confirmation_page(request, who, _confirmation(ctx, row, who))


@router.post("/drafts/{draft_id}/start", include_in_schema=False)
async def start(request: Request, draft_id: str, ctx: Ctx, who: Staff) -> Response:
    """Start the draft as the confirmation page showed it: a draft saved since is shown again before it starts."""
    data = await request.form()
    row = await run_in_threadpool(_row, ctx, draft_id)
    if row.workflow_id is not None:
        return redirect(f"/conclusions/{row.workflow_id}")
    if _version(data) != row.version:
        flash(
            request,
            f"Bản nháp vừa được {row.updated_by} sửa: xem lại những gì sẽ diễn ra rồi xác nhận lần nữa.",
            "error",
        )
        return redirect(f"/drafts/{draft_id}/start")
    page = await run_in_threadpool(_confirmation, ctx, row, who)
    if not page.ready or page.spec is None:
        return redirect(f"/drafts/{draft_id}/start")
    try:
        workflow_id = await starting.start_follow_up(ctx, page.spec, who)
    except (AlreadyStarted, officers.OfficerError) as error:
        flash(request, str(error).removeprefix("officers: "), "error")
        return redirect(f"/drafts/{draft_id}/start")
    await run_in_threadpool(drafts.mark_started, ctx.engine, draft_id, who.email, workflow_id)
    return await starting.started(ctx, request, page.spec, workflow_id)
