"""Registering a conclusion with the form: header, units, actions as repeatable rows, a pasted list, the deadline
preview; validated by the spec rules and explained field by field in Vietnamese, then kept as a draft (`drafts`),
which starts only from its confirmation page (`starting`). The page also takes the conclusion's own document (read
into a draft, `drafts`) and a spec file (`spec_upload`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from dondoc import drafts, officers, unit_directory
from dondoc.importer import SUFFIXES
from dondoc.spec_loader import SpecError, parse_spec
from dondoc.web.context import AppContext
from dondoc.web.pages.common import (
    DAY_HINT,
    DAYS_HINT,
    Ctx,
    Staff,
    amount_hint,
    parse_amount,
    parse_day,
    parse_days,
    redirect,
    show,
    split_emails,
    text,
)
from dondoc.web.pages.preview import Preview, preview_form
from dondoc.web.pages.rows import fill_ids, paste_rows
from dondoc.web.rendering import flash
from dondoc.web.security import Principal
from models.labels import KIND
from models.spec import ConclusionSpec

router = APIRouter()

HEADER = {
    "number": "Số kết luận",
    "issued_on": "Ngày ban hành",
    "received_on": "Ngày nhận",
    "issuer": "Cơ quan ban hành",
    "title": "Trích yếu (về việc)",
    "tracking_body": "Cơ quan theo dõi, đôn đốc",
    "inspectorate_head": "Email Chánh Thanh tra",
    "agency_head": "Email thủ trưởng cơ quan quản lý nhà nước cùng cấp",
    "officers": "Email cán bộ phụ trách",
    "report_due_in": "Hạn báo cáo kết quả (số ngày)",
    "report_due_assumed": "hạn báo cáo giả định",
    # what the urging letters need besides the emails (all optional)
    "agency_head_title": "Chức danh thủ trưởng cơ quan quản lý nhà nước",
    "signer_title": "Chức danh người ký văn bản đôn đốc",
    "signer_name": "Họ và tên người ký",
    "place": "Địa danh ghi ở dòng ngày, tháng",
    "letter_symbol": "Ký hiệu văn bản đôn đốc",
    "inspectorate_parent": "Cơ quan chủ quản của cơ quan thanh tra",
}
SIGNER = {"signer_title": "title", "signer_name": "name"}  # form field -> field of the spec's `signer`
UNIT_FIELDS = {
    "code": "Mã đơn vị",
    "name": "Tên đơn vị",
    "contacts": "Email đầu mối",
    "head": "Email thủ trưởng",
    "supervisor": "Email cơ quan cấp trên",
    "head_title": "Chức danh thủ trưởng",
    "supervisor_title": "Chức danh cơ quan cấp trên",
}
ACTION_FIELDS = {
    "id": "Mã kiến nghị",
    "ref": "Số mục trong kết luận",
    "unit": "Mã đơn vị thực hiện",
    "kind": "Loại kiến nghị",
    "text": "Nội dung",
    "due": "Hạn (ngày)",
    "due_assumed": "hạn giả định",
    "due_in": "hoặc thời hạn (số ngày)",
    "due_in_working": "ngày làm việc",
    "amount_vnd": "Số tiền phải thu hồi (đồng)",
}
EMPTY_ROWS = 3
MAX_ROWS = 200
ROW_ERRORS = {  # the spec's row-level messages, in the form's words
    "cần đúng một trong hai trường 'due' (ngày hạn) hoặc 'due_in' (thời hạn)": (
        "Nhập hạn (một ngày) hoặc thời hạn (số ngày kể từ ngày nhận), chỉ một trong hai."
    ),
}


# ---------------------------------------------------------------- the form


@dataclass
class NewForm:
    """The registration form as typed, with the problems found, keyed by the form's field names."""

    header: dict[str, str] = field(default_factory=lambda: {"report_due_in": "45"})
    units: list[dict[str, str]] = field(default_factory=lambda: [{} for _ in range(EMPTY_ROWS)])
    actions: list[dict[str, str]] = field(default_factory=lambda: [{} for _ in range(EMPTY_ROWS)])
    errors: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # every problem, labelled for the summary

    def add(self, name: str, message: str, label: str) -> None:
        """One problem beside its field (the first one found for a field wins) and in the summary."""
        if name in self.errors:
            return
        self.errors[name] = message
        self.problems.append(f"{label}: {message}")

    def unit_codes(self) -> list[str]:
        return [u["code"] for u in self.units if u.get("code")]


def form_data(form: NewForm) -> dict[str, Any]:
    """The form as a draft keeps it."""
    return {"header": form.header, "units": form.units, "actions": form.actions}


_ROW = re.compile(r"^(units|actions)\[(\d+)\]\.([a-z_]+)$")


def read_form(data: FormData) -> NewForm:
    form = NewForm(header={name: text(data, name) for name in HEADER})
    rows: dict[str, dict[int, dict[str, str]]] = {"units": {}, "actions": {}}
    for name in data:
        match = _ROW.match(name)
        if match and int(match.group(2)) < MAX_ROWS:
            rows[match.group(1)].setdefault(int(match.group(2)), {})[match.group(3)] = text(data, name)
    for kind in ("units", "actions"):
        found = rows[kind]
        size = max(found, default=-1) + 1
        setattr(form, kind, [found.get(i, {}) for i in range(max(size, 1))])
    return form


def _filled(row: dict[str, str], names: tuple[str, ...]) -> bool:
    return any(row.get(n) for n in names)


def _spec_data(form: NewForm) -> tuple[dict[str, Any], list[int], list[int]]:
    """The spec as data, and which form row each spec unit/action came from (empty rows are skipped)."""
    data: dict[str, Any] = {k: v for k, v in form.header.items() if v and k != "report_due_in" and k not in SIGNER}
    if data.get("officers"):
        data["officers"] = split_emails(data["officers"])
    signer = {spec_name: form.header[name] for name, spec_name in SIGNER.items() if form.header.get(name)}
    if signer:
        data["signer"] = signer
        if "title" not in signer:
            message = "Nhập chức danh người ký (ví dụ Chánh Thanh tra) khi đã nhập họ tên."
            form.add("signer_title", message, HEADER["signer_title"])
    for name in ("issued_on", "received_on"):
        if form.header.get(name):
            day = parse_day(form.header[name])
            if day is None:
                form.add(name, DAY_HINT, HEADER[name])
            else:
                data[name] = day.isoformat()
    report_days = form.header.get("report_due_in", "")
    if report_days:
        if (days := parse_days(report_days)) is not None:
            data["report_due_in"] = {"days": days}
        else:
            form.add("report_due_in", f"{DAYS_HINT} Ví dụ 45.", HEADER["report_due_in"])
    unit_rows = [i for i, u in enumerate(form.units) if _filled(u, tuple(UNIT_FIELDS))]
    units = []
    for i in unit_rows:
        row = form.units[i]
        unit: dict[str, Any] = {k: row[k] for k in ("code", "name") if row.get(k)}
        unit["contacts"] = split_emails(row.get("contacts", ""))
        for name in ("head", "supervisor", "head_title", "supervisor_title"):
            if row.get(name):
                unit[name] = row[name]
        units.append(unit)
    data["units"] = units
    codes = [u["code"] for u in units if u.get("code")]
    action_rows = [
        i
        for i, a in enumerate(form.actions)
        if _filled(a, ("id", "unit", "ref", "text", "due", "due_in", "amount_vnd"))
    ]
    actions = []
    for i in action_rows:
        row, where = form.actions[i], f"actions[{i}]"
        action: dict[str, Any] = {k: row[k] for k in ("id", "unit", "ref", "text") if row.get(k)}
        action["kind"] = row.get("kind") or "remedy"
        if not row.get("unit") and len(codes) == 1:
            action["unit"] = codes[0]  # one unit: its actions need not repeat its code
        if row.get("due"):
            day = parse_day(row["due"])
            if day is None:
                form.add(f"{where}.due", DAY_HINT, _action_label(i, "due"))
            action["due"] = day.isoformat() if day else row["due"]
        if row.get("due_assumed"):
            action["due_assumed"] = True
        if row.get("due_in"):
            days = parse_days(row["due_in"])
            if days is None:
                form.add(f"{where}.due_in", DAYS_HINT, _action_label(i, "due_in"))
            action["due_in"] = {"days": days or 1, "working": bool(row.get("due_in_working"))}
        if row.get("amount_vnd"):
            amount = parse_amount(row["amount_vnd"])
            if amount is None:
                hint = amount_hint(row["amount_vnd"], "Số tiền")
                form.add(f"{where}.amount_vnd", hint, _action_label(i, "amount_vnd"))
            action["amount_vnd"] = amount if amount is not None else row["amount_vnd"]
        actions.append(action)
    data["actions"] = actions
    return data, unit_rows, action_rows


def _action_label(row: int, name: str) -> str:
    return f"Kiến nghị dòng {row + 1} – {ACTION_FIELDS.get(name, name)}"


def _unit_label(row: int, name: str) -> str:
    return f"Đơn vị dòng {row + 1} – {UNIT_FIELDS.get(name, name)}"


_PROBLEM = re.compile(r"^(units|actions)\[(\d+)\](?:\.([a-z_]+))?[^:]*: (.+)$", re.DOTALL)
_HEADER_PROBLEM = re.compile(r"^([a-z_]+)(?:\.([a-z_]+))?[^:]*: (.+)$", re.DOTALL)


def _header_problem(problem: str) -> tuple[str, str] | None:
    """A problem of a header field as (form field, message); the spec's `signer.title` is the form's `signer_title`."""
    match = _HEADER_PROBLEM.match(problem)
    if match is None:
        return None
    first, second = match.group(1), match.group(2)
    name = f"signer_{second}" if first == "signer" and second else first
    return (name, match.group(3)) if name in HEADER else None


def place_problems(form: NewForm, problems: list[str], unit_rows: list[int], action_rows: list[int]) -> None:
    """Each spec problem beside the form field it names (spec indexes mapped back to the form's rows)."""
    for problem in problems:
        match = _PROBLEM.match(problem)
        if match:
            kind, index, name, message = match.group(1), int(match.group(2)), match.group(3), match.group(4)
            rows = unit_rows if kind == "units" else action_rows
            row = rows[index] if index < len(rows) else index
            message = ROW_ERRORS.get(message, message)
            if name is None:
                label = f"{'Đơn vị' if kind == 'units' else 'Kiến nghị'} dòng {row + 1}"
                form.add(f"{kind}[{row}]", message, label)
            else:
                label = _unit_label(row, name) if kind == "units" else _action_label(row, name)
                if (kind, name, message) == ("units", "contacts", "cần ít nhất một phần tử"):
                    message = "cần ít nhất một email đầu mối"
                form.add(f"{kind}[{row}].{name}", message, label)
            continue
        header = _header_problem(problem)
        if header is not None:
            name, message = header
            form.add(name, message, HEADER[name])
        elif problem.startswith(("units:", "actions:")):
            what = "units" if problem.startswith("units") else "actions"
            label = "Đơn vị được thanh tra" if what == "units" else "Kiến nghị"
            form.add(what, problem.split(": ", 1)[1], label)
        else:
            form.problems.append(problem)


def validate(form: NewForm, directory: Mapping[str, Mapping[str, Any]] | None = None) -> ConclusionSpec | None:
    """The spec the form describes (units known to the directory need only their code), or None with the problems
    placed beside their fields."""
    data, unit_rows, action_rows = _spec_data(form)
    try:
        spec = parse_spec(data, directory)
    except SpecError as error:
        place_problems(form, error.problems, unit_rows, action_rows)
        return None
    return None if form.errors else spec


# ---------------------------------------------------------------- routes


def _page(
    request: Request,
    ctx: AppContext,
    who: Principal,
    form: NewForm,
    code: int = status.HTTP_200_OK,
    preview: Preview | None = None,
    upload: dict[str, Any] | None = None,
    message: str | None = None,
) -> Response:
    extra = {"flash": message, "flash_kind": "error"} if message else {}
    directory = unit_directory.list_units(ctx.engine)
    names = {entry.code: entry.name for entry in directory}
    names.update({u["code"]: u.get("name") or names.get(u["code"], "") for u in form.units if u.get("code")})
    return show(
        request,
        "pages/conclusion_new.html",
        who,
        status_code=code,
        form=form,
        preview=preview,
        upload=upload or {},
        kinds=KIND,
        header_labels=HEADER,
        unit_labels=UNIT_FIELDS,
        action_labels=ACTION_FIELDS,
        directory=directory,
        unit_names=names,
        rows_url="/conclusions/new",
        open_drafts=drafts.open_drafts(ctx.engine),
        import_suffixes=", ".join(SUFFIXES),
        **extra,
    )


render = _page  # the page as other staff pages show it again (an import refused, a draft saved)


@router.get("/conclusions/new", include_in_schema=False)
def new_conclusion(request: Request, ctx: Ctx, who: Staff) -> Response:
    return _page(request, ctx, who, NewForm())


@router.post("/conclusions/new", include_in_schema=False)
async def new_conclusion_rows(request: Request, ctx: Ctx, who: Staff, add: str = "") -> Response:
    """The form again as typed, with one more empty unit or action row ('Thêm dòng', with or without htmx)."""
    data = await request.form()
    form = read_form(data)
    if add == "units" and len(form.units) < MAX_ROWS:
        form.units.append({})
    elif add == "actions" and len(form.actions) < MAX_ROWS:
        form.actions.append({})
    elif add == "paste":
        form.actions, _ = paste_rows(form.actions, text(data, "paste_text"), text(data, "paste_unit"), MAX_ROWS)
    return await run_in_threadpool(_page, request, ctx, who, form)


@router.post("/conclusions/preview", include_in_schema=False)
async def preview(request: Request, ctx: Ctx, who: Staff) -> Response:
    """Each action's computed due date, its working days and the holidays it crosses (htmx or a full page)."""
    form = read_form(await request.form())
    result = await run_in_threadpool(
        preview_form, ctx.engine, ctx.settings, form.header, form.actions, form.unit_codes()
    )
    return await run_in_threadpool(_page, request, ctx, who, form, status.HTTP_200_OK, result)


@router.post("/conclusions", include_in_schema=False)
async def create(request: Request, ctx: Ctx, who: Staff) -> Response:
    """The form, checked field by field; once valid, kept as a draft and its confirmation page shown (what starting
    does at once): nothing starts from the form itself."""
    form = read_form(await request.form())
    fill_ids(form.actions)
    directory = await run_in_threadpool(unit_directory.defaults, ctx.engine)
    spec = validate(form, directory)
    if spec is not None:
        try:
            await run_in_threadpool(officers.assign, ctx.engine, spec, who.email)
        except officers.OfficerError as error:
            form.add("officers", str(error).removeprefix("officers: "), HEADER["officers"])
    if spec is None or form.errors:
        message = "Chưa xem trước được: kiểm tra các trường được đánh dấu bên dưới."
        code = status.HTTP_422_UNPROCESSABLE_CONTENT
        return await run_in_threadpool(_page, request, ctx, who, form, code, None, None, message)
    row = await run_in_threadpool(drafts.create, ctx.engine, who.email, form_data(form))
    flash(request, "Đã lưu thành bản nháp. Xem những gì diễn ra ngay khi bắt đầu rồi xác nhận để bắt đầu theo dõi.")
    return redirect(f"/drafts/{row.id}/start")
