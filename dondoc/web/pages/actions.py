"""The staff forms of a conclusion (and of the review queue): each builds one command for the conclusion's workflow.

Errors the form can see (a missing reason, a date that is not one) come back beside the field (422); what the rules
refuse comes back on the same page with their Vietnamese reason (409); success redirects with a flash message.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import Response
from pydantic import ValidationError

from dondoc.gateway import Refused
from dondoc.spec_loader import explain
from dondoc.web.clock import today
from dondoc.web.context import AppContext
from dondoc.web.pages import review
from dondoc.web.pages.common import (
    DAY_HINT,
    DAYS_HINT,
    Ctx,
    FormState,
    Staff,
    amount_hint,
    parse_amount,
    parse_day,
    parse_days,
    redirect,
    refusal,
    safe_next,
    split_emails,
    text,
)
from dondoc.web.pages.conclusion import render_conclusion
from dondoc.web.pages.new import ROW_ERRORS
from dondoc.web.rendering import flash
from dondoc.web.security import Principal
from models import commands as c
from models.labels import grouped
from models.spec import NEW_INPUT, ActionSpec

router = APIRouter()


# ---------------------------------------------------------------- staff forms


async def _again(
    request: Request, ctx: AppContext, who: Principal, workflow_id: str, back: str, code: int, form: FormState
) -> Response:
    """The page the form was on, again, with the form's errors (422) or the rules' refusal (409)."""
    what = "Chưa thực hiện được" if code == status.HTTP_409_CONFLICT else "Chưa gửi được"
    message = f"{what}: " + " ".join(form.errors.values())
    if back.startswith("/review"):
        return await review.render_review(request, ctx, who, code, form, message)
    return await render_conclusion(request, ctx, who, workflow_id, code, form, message)


async def apply_form(
    request: Request,
    ctx: AppContext,
    who: Principal,
    workflow_id: str,
    back: str,
    form: FormState,
    build: Callable[[], c.Command],
    success: str,
    fields: set[str],
    prefix: str = "",
) -> Response:
    command: c.Command | None = None
    for name in ("reason", "note"):  # what people type is bounded here; the commands carry it as it was accepted
        if len(str(form.values.get(name, ""))) > c.MAX_NOTE:
            form.errors.setdefault(name, f"quá dài (tối đa {grouped(c.MAX_NOTE)} ký tự)")
    if not form.errors:
        try:
            command = build()
        except ValidationError as error:
            form.errors.update(field_errors(error, fields))
    if form.errors or command is None:
        return await _again(request, ctx, who, workflow_id, back, status.HTTP_422_UNPROCESSABLE_CONTENT, form)
    try:
        await ctx.gateway.update(workflow_id, command, f"page-{uuid.uuid4().hex}")
    except Refused as error:
        form.errors.update(refusal(str(error), fields, prefix))
        return await _again(request, ctx, who, workflow_id, back, status.HTTP_409_CONFLICT, form)
    flash(request, success)
    return redirect(back)


_NAME = re.compile(r"^([a-z_]+)")


def field_errors(error: ValidationError, fields: set[str]) -> dict[str, str]:
    """Pydantic's problems, explained in Vietnamese by the spec loader, beside the form's fields."""
    errors: dict[str, str] = {}
    for problem in explain(error):
        where, sep, message = problem.partition(": ")
        match = _NAME.match(where) if sep else None
        name = match.group(1) if match else ""
        if name in fields:
            errors.setdefault(name, message)
        else:
            errors.setdefault("form", ROW_ERRORS.get(problem, problem))
    return errors


def _back(data: Any, workflow_id: str, anchor: str = "") -> str:
    return safe_next(text(data, "next"), f"/conclusions/{workflow_id}{anchor}")


@dataclass(frozen=True)
class _Review:
    """How a review of one kind of submission reads on the page."""

    key: str  # the form key's middle part
    choose: str  # when no decision was sent
    no_reason: str  # when returned without a reason
    accepted: str
    returned: str
    command: Callable[[str, str, c.Decision, str | None, date | None], c.Command]  # actor, id, decision, reason, due


_EVIDENCE = _Review(
    "ev",
    "Chọn «Chấp nhận minh chứng» hoặc «Yêu cầu bổ sung».",
    "Nêu rõ cần bổ sung gì (lý do yêu cầu bổ sung).",
    "Đã chấp nhận minh chứng",
    "Đã yêu cầu bổ sung minh chứng",
    lambda actor, item, decision, reason, due: c.ReviewEvidence(
        actor=actor, evidence_id=item, decision=decision, reason=reason, new_due=due
    ),
)
_REPORT = _Review(
    "rp",
    "Chọn «Chấp nhận báo cáo» hoặc «Trả lại báo cáo».",
    "Nêu lý do trả lại báo cáo.",
    "Đã chấp nhận báo cáo",
    "Đã trả lại báo cáo",
    lambda actor, item, decision, reason, due: c.ReviewReport(
        actor=actor, report_id=item, decision=decision, reason=reason, new_due=due
    ),
)


def _decision(data: Any, form: FormState, kind: _Review) -> tuple[str, str, date | None]:
    """The decision, reason and new deadline of a review form, their errors beside the fields."""
    decision, reason, typed_due = text(data, "decision"), text(data, "reason"), text(data, "new_due")
    form.values.update({"reason": reason, "new_due": typed_due})
    new_due = parse_day(typed_due) if typed_due and decision == "reject" else None
    if decision not in ("accept", "reject"):
        form.errors["decision"] = kind.choose
    elif decision == "reject" and not reason:
        form.errors["reason"] = kind.no_reason
    if decision == "reject" and typed_due:
        if new_due is None:
            form.errors["new_due"] = DAY_HINT
        elif new_due <= today():
            form.errors["new_due"] = "Hạn mới phải sau hôm nay."
    return decision, reason, new_due


async def _review(
    request: Request, ctx: AppContext, who: Principal, workflow_id: str, item: str, kind: _Review
) -> Response:
    data = await request.form()
    form = FormState(f"{workflow_id}--{kind.key}--{item}")
    decision, reason, new_due = _decision(data, form, kind)
    done = kind.accepted if decision == "accept" else kind.returned
    return await apply_form(
        request,
        ctx,
        who,
        workflow_id,
        _back(data, workflow_id),
        form,
        lambda: kind.command(who.email, item, c.Decision(decision), reason or None, new_due),
        f"{done} {item}.",
        {"reason", "new_due"},
    )


@router.post("/conclusions/{workflow_id}/evidence/{evidence_id}/review", include_in_schema=False)
async def review_evidence(request: Request, workflow_id: str, evidence_id: str, ctx: Ctx, who: Staff) -> Response:
    return await _review(request, ctx, who, workflow_id, evidence_id, _EVIDENCE)


def _listed(data: Any, name: str) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in data.getlist(name) if isinstance(v, str) and v.strip()))


@router.post("/conclusions/{workflow_id}/evidence/review", include_in_schema=False)
async def review_evidence_batch(request: Request, workflow_id: str, ctx: Ctx, who: Staff) -> Response:
    """One decision on several evidences of a unit (those ticked, or all the queue showed): one update."""
    data = await request.form()
    unit, everything = text(data, "unit"), bool(text(data, "all"))
    chosen = _listed(data, "evidence_ids")
    ids = _listed(data, "shown") if everything else chosen
    form = FormState(f"{workflow_id}--evbatch--{unit}", values={"evidence_ids": " ".join(chosen)})
    if everything:
        form.values["all"] = "1"
    decision, reason, new_due = _decision(data, form, _EVIDENCE)
    if not ids:
        form.errors["evidence_ids"] = "Chọn ít nhất một minh chứng, hoặc «Chọn tất cả của đơn vị»."
    done = "Đã chấp nhận" if decision == "accept" else "Đã yêu cầu bổ sung"
    back = _back(data, workflow_id)
    response = await apply_form(
        request,
        ctx,
        who,
        workflow_id,
        back,
        form,
        lambda: c.ReviewEvidence(
            actor=who.email,
            evidence_id=ids[0],
            also_evidence_ids=ids[1:],
            decision=c.Decision(decision),
            reason=reason or None,
            new_due=new_due,
        ),
        f"{done} {len(ids)} minh chứng: {', '.join(ids)}.",
        {"reason", "new_due"},
    )
    if response.status_code == status.HTTP_303_SEE_OTHER:
        review.remember_reviewed(request, workflow_id, ids)
    return response


@router.post("/conclusions/{workflow_id}/reports/{report_id}/review", include_in_schema=False)
async def review_report(request: Request, workflow_id: str, report_id: str, ctx: Ctx, who: Staff) -> Response:
    return await _review(request, ctx, who, workflow_id, report_id, _REPORT)


@router.post("/conclusions/{workflow_id}/extensions/{request_id}/decide", include_in_schema=False)
async def decide_extension(request: Request, workflow_id: str, request_id: str, ctx: Ctx, who: Staff) -> Response:
    data = await request.form()
    decision, reason, granted = text(data, "decision"), text(data, "reason"), text(data, "granted_due")
    form = FormState(f"{workflow_id}--ext--{request_id}", values={"reason": reason, "granted_due": granted})
    day = parse_day(granted) if granted else None
    if decision not in ("approve", "deny"):
        form.errors["decision"] = "Chọn «Đồng ý gia hạn» hoặc «Không chấp thuận»."
    elif decision == "deny" and not reason:
        form.errors["reason"] = "Nêu lý do không chấp thuận gia hạn."
    elif decision == "approve" and granted and day is None:
        form.errors["granted_due"] = DAY_HINT
    approve = decision == "approve"
    done = f"Đã đồng ý gia hạn ({request_id})." if approve else f"Đã không chấp thuận gia hạn ({request_id})."
    return await apply_form(
        request,
        ctx,
        who,
        workflow_id,
        _back(data, workflow_id),
        form,
        lambda: c.DecideExtension(
            actor=who.email,
            request_id=request_id,
            approve=approve,
            reason=reason or None,
            granted_due=day if approve else None,
        ),
        done,
        {"reason", "granted_due"},
    )


async def _resolve(
    request: Request, workflow_id: str, action_id: str, ctx: AppContext, who: Principal, how: str
) -> Response:
    data = await request.form()
    reason = text(data, "reason")
    form = FormState(f"{workflow_id}--{how}--{action_id}", values={"reason": reason})
    if not reason:
        form.errors["reason"] = (
            "Nêu lý do miễn thực hiện." if how == "waive" else "Nêu cơ quan điều tra và số, ngày văn bản chuyển hồ sơ."
        )
    if how == "waive":
        build: Callable[[], c.Command] = lambda: c.WaiveAction(actor=who.email, action_id=action_id, reason=reason)  # noqa: E731
        done = f"Đã miễn thực hiện kiến nghị {action_id}."
    else:
        build = lambda: c.TransferAction(actor=who.email, action_id=action_id, reason=reason)  # noqa: E731
        done = f"Đã ghi nhận chuyển kiến nghị {action_id} sang cơ quan điều tra."
    back = _back(data, workflow_id, f"#action-{action_id}")
    return await apply_form(request, ctx, who, workflow_id, back, form, build, done, {"reason"})


@router.post("/conclusions/{workflow_id}/actions/{action_id}/waive", include_in_schema=False)
async def waive(request: Request, workflow_id: str, action_id: str, ctx: Ctx, who: Staff) -> Response:
    return await _resolve(request, workflow_id, action_id, ctx, who, "waive")


@router.post("/conclusions/{workflow_id}/actions/{action_id}/transfer", include_in_schema=False)
async def transfer(request: Request, workflow_id: str, action_id: str, ctx: Ctx, who: Staff) -> Response:
    return await _resolve(request, workflow_id, action_id, ctx, who, "transfer")


ADD_FIELDS = ("id", "unit", "kind", "text", "due", "due_in", "due_in_working", "amount_vnd")


@router.post("/conclusions/{workflow_id}/actions", include_in_schema=False)
async def add_action(request: Request, workflow_id: str, ctx: Ctx, who: Staff) -> Response:
    data = await request.form()
    values = {name: text(data, name) for name in ADD_FIELDS}
    form = FormState(f"{workflow_id}--add", values=values)
    spec: dict[str, Any] = {k: values[k] for k in ("id", "unit", "text") if values[k]}
    spec["kind"] = values["kind"] or "remedy"
    if values["due"]:
        day = parse_day(values["due"])
        if day is None:
            form.errors["due"] = DAY_HINT
        spec["due"] = day
    if values["due_in"]:
        days = parse_days(values["due_in"])
        if days is None:
            form.errors["due_in"] = DAYS_HINT
        spec["due_in"] = {"days": days or 1, "working": bool(values["due_in_working"])}
    if values["amount_vnd"]:
        amount = parse_amount(values["amount_vnd"])
        if amount is None:
            form.errors["amount_vnd"] = amount_hint(values["amount_vnd"], "Số tiền")
        spec["amount_vnd"] = amount
    fields = {"id", "unit", "kind", "text", "due", "due_in", "amount_vnd"}
    return await apply_form(
        request,
        ctx,
        who,
        workflow_id,
        _back(data, workflow_id, f"#action-{values['id']}"),
        form,
        lambda: c.AddAction(actor=who.email, action=ActionSpec.model_validate(spec, context=NEW_INPUT)),
        f"Đã bổ sung kiến nghị {values['id']}.",
        fields,
        prefix="action.",
    )


@router.post("/conclusions/{workflow_id}/units/{unit}/contacts", include_in_schema=False)
async def change_contacts(request: Request, workflow_id: str, unit: str, ctx: Ctx, who: Staff) -> Response:
    data = await request.form()
    fields = {"contacts", "head", "supervisor", "head_title", "supervisor_title"}
    values = {name: text(data, name) for name in sorted(fields)}
    form = FormState(f"{workflow_id}--contacts--{unit}", values=values)
    contacts = split_emails(values["contacts"])
    if not contacts:
        form.errors["contacts"] = "Cần ít nhất một email đầu mối."
    return await apply_form(
        request,
        ctx,
        who,
        workflow_id,
        _back(data, workflow_id, f"#unit-{unit}"),
        form,
        lambda: c.ChangeUnitContacts.model_validate(
            {
                "actor": who.email,
                "unit": unit,
                "contacts": contacts,
                "head": values["head"] or None,
                "supervisor": values["supervisor"] or None,
                "head_title": _title_edit(data, values, "head"),
                "supervisor_title": _title_edit(data, values, "supervisor"),
            }
        ),
        "Đã cập nhật đầu mối của đơn vị.",
        fields,
    )


def _title_edit(data: Any, values: dict[str, str], person: str) -> str | None:
    """The title of `person` (head, supervisor) as staff left it in the form: what they see is what is kept, except
    a title left as shown beside the same person, which stays as recorded (None: the read model may not show it
    yet). A person replaced takes the title the form shows, "" clearing it."""
    title = values[f"{person}_title"]
    same_person = values[person].lower() == text(data, f"{person}_shown").lower()
    return None if same_person and title == text(data, f"{person}_title_shown") else title


@router.post("/conclusions/{workflow_id}/withdraw", include_in_schema=False)
async def withdraw(request: Request, workflow_id: str, ctx: Ctx, who: Staff) -> Response:
    data = await request.form()
    reason = text(data, "reason")
    form = FormState(f"{workflow_id}--withdraw", values={"reason": reason})
    if not reason:
        form.errors["reason"] = "Nêu lý do rút kết luận khỏi theo dõi."
    if not text(data, "confirm"):
        form.errors["confirm"] = "Đánh dấu xác nhận để rút kết luận."
    return await apply_form(
        request,
        ctx,
        who,
        workflow_id,
        _back(data, workflow_id),
        form,
        lambda: c.Withdraw(actor=who.email, reason=reason),
        "Đã rút kết luận khỏi theo dõi; không còn gửi nhắc nhở, đôn đốc.",
        {"reason"},
    )
