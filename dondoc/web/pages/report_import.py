"""A follow-up report uploaded to a conclusion (seed 001): recognised by the conclusion it cites, split per unit and
offered to staff as each unit's report submission, each action the report calls done proposed for acceptance and
each "vấn đề tiếp tục khắc phục" listed as open. Staff confirm item by item; what they confirm goes through the
workflow's own updates (submit the unit's report; submit each action's evidence with its own note, then accept all
of them with one decision)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import Response
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from dondoc.gateway import NotFound, Refused, Unavailable
from dondoc.importer.extract import MAX_BYTES, UnreadableDocument, read_document
from dondoc.importer.extract import kind_of as file_kind
from dondoc.importer.report import (
    FollowUpReport,
    Proposal,
    ReportItem,
    ReportRefused,
    ReportUnit,
    parse_followup_report,
    propose,
    unit_of,
)
from dondoc.storage import UploadError
from dondoc.web.context import AppContext
from dondoc.web.pages.common import Ctx, Staff, redirect, show, text
from dondoc.web.pages.conclusion import conclusion_view
from dondoc.web.rendering import flash
from dondoc.web.security import Principal
from models import commands as c
from models.state import FileRef
from models.tables import ActionRow, ConclusionRow, EvidenceRow, UnitRow
from models.workflow_io import UpdateResult

router = APIRouter()
UNRESOLVED = ("open", "evidence_submitted")


@dataclass
class UnitPart:
    """One unit's part of the report, with the conclusion's unit it belongs to (None: no unit of that name)."""

    part: ReportUnit
    code: str | None
    proposals: list[tuple[ActionRow, Proposal]] = field(default_factory=list)
    open_items: list[ReportItem] = field(default_factory=list)


def _conclusion(ctx: AppContext, who: Principal, workflow_id: str) -> ConclusionRow:
    if conclusion_view(ctx.engine, who, workflow_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Không tìm thấy kết luận này.")
    with Session(ctx.engine) as session:
        row = session.get(ConclusionRow, workflow_id)
    assert row is not None
    return row


def parts_of(ctx: AppContext, workflow_id: str, report: FollowUpReport) -> list[UnitPart]:
    with Session(ctx.engine) as session:
        units = session.exec(select(UnitRow).where(col(UnitRow.workflow_id) == workflow_id)).all()
        actions = session.exec(
            select(ActionRow).where(col(ActionRow.workflow_id) == workflow_id, col(ActionRow.status).in_(UNRESOLVED))
        ).all()
    names = {u.code: u.name for u in units}
    parts = []
    for part in report.units:
        code = unit_of(part, names)
        mine = {a.action_id: a for a in actions if a.unit == code}
        proposals = propose({i: a.text for i, a in mine.items()}, part.items) if code else []
        matched = {id(p.item) for p in proposals if p.item is not None}
        parts.append(
            UnitPart(
                part=part,
                code=code,
                proposals=[(mine[p.action_id], p) for p in proposals],
                open_items=[i for i in part.items if i.status != "done" and id(i) not in matched],
            )
        )
    return parts


def _page(
    request: Request,
    who: Principal,
    conclusion: ConclusionRow,
    code: int = status.HTTP_200_OK,
    report: FollowUpReport | None = None,
    parts: list[UnitPart] | None = None,
    file: FileRef | None = None,
    problem: str | None = None,
) -> Response:
    return show(
        request,
        "pages/report_import.html",
        who,
        status_code=code,
        conclusion=conclusion,
        report=report,
        parts=parts or [],
        file=file,
        problem=problem,
    )


async def _chunks(content: bytes) -> AsyncIterator[bytes]:
    yield content


@router.post("/conclusions/{workflow_id}/report-import", include_in_schema=False)
async def import_report(request: Request, workflow_id: str, ctx: Ctx, who: Staff) -> Response:
    conclusion = await run_in_threadpool(_conclusion, ctx, who, workflow_id)
    data = await request.form()
    try:
        upload = data.get("report")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return _page(request, who, conclusion, 422, problem="Chọn tệp báo cáo (.docx hoặc .pdf).")
        name = upload.filename
        content = await upload.read(MAX_BYTES + 1)
    finally:
        await data.close()
    try:
        if file_kind(name, content) == "txt":
            raise ReportRefused(
                "Báo cáo được lưu kèm hồ sơ của từng đơn vị: hãy tải lên bản Word (.docx) hoặc PDF của báo cáo."
            )
        paragraphs = await run_in_threadpool(read_document, name, content)
        report = parse_followup_report(paragraphs, conclusion.number)
    except (ReportRefused, UnreadableDocument) as error:
        return _page(request, who, conclusion, 422, problem=f"Không nhập được {name}: {error}")
    try:
        stored = await ctx.files.save(name, _chunks(content))
    except UploadError as error:
        return _page(request, who, conclusion, 422, problem=str(error))
    parts = await run_in_threadpool(parts_of, ctx, workflow_id, report)
    return _page(request, who, conclusion, status.HTTP_200_OK, report, parts, stored.ref)


def _file(data: FormData) -> FileRef:
    size = text(data, "file_size")
    return FileRef(
        name=text(data, "file_name"),
        sha256=text(data, "file_sha256"),
        size=int(size) if size.isdigit() else 0,
        content_type=text(data, "file_type"),
    )


def _stored(ctx: AppContext, ref: FileRef) -> bool:
    """The file the review page showed is still in the store, with that content."""
    try:
        blob = ctx.files.open(ref.sha256)
    except UploadError:
        return False
    if blob is None:
        return False
    digest = hashlib.sha256()
    if blob.path is not None:
        with blob.path.open("rb") as handle:
            while chunk := handle.read(1024 * 1024):
                digest.update(chunk)
    else:
        assert blob.chunks is not None
        for chunk in blob.chunks:
            digest.update(chunk)
    return digest.hexdigest() == ref.sha256


@router.post("/conclusions/{workflow_id}/report-import/confirm", include_in_schema=False)
async def confirm(request: Request, workflow_id: str, ctx: Ctx, who: Staff) -> Response:
    """What staff confirmed: each ticked unit's report submitted with the file, each ticked action's evidence (the
    report, with the item's own note) submitted, then all of it accepted by one decision. Each step is an idempotent
    update, so a retry applies nothing twice."""
    conclusion = await run_in_threadpool(_conclusion, ctx, who, workflow_id)
    data = await request.form()
    ref = _file(data)
    if not await run_in_threadpool(_stored, ctx, ref):
        flash(request, "Không còn tệp báo cáo trong kho lưu trữ: hãy tải lên lại.", "error")
        return redirect(f"/conclusions/{workflow_id}")
    source = text(data, "source") or ref.name
    key = ref.sha256[:24]
    done: list[str] = []
    problems: list[str] = []
    for code in data.getlist("unit"):
        if not isinstance(code, str):
            continue
        note = f"{source} (nhập từ tệp, phần của đơn vị)"[:4000]
        command = c.SubmitReport(actor=who.email, unit=code, files=[ref], note=note)
        await _send(ctx, workflow_id, command, f"import-{key}-report-{code}", f"báo cáo của {code}", done, problems)
    submitted: list[tuple[str, str]] = []  # (action id, evidence id)
    for action_id in data.getlist("accept"):
        if not isinstance(action_id, str):
            continue
        words = text(data, f"note.{action_id}")
        note = f"Theo {source}: {words}"[:4000]
        submit = c.SubmitEvidence(actor=who.email, action_id=action_id, files=[ref], note=note)
        result = await _send(ctx, workflow_id, submit, f"import-{key}-evidence-{action_id}", action_id, [], problems)
        if result is not None and result.created is not None:
            submitted.append((action_id, result.created))
    await _accept_all(ctx, who, workflow_id, key, submitted, done, problems)
    message = f"Đã ghi nhận từ báo cáo: {len(done)} mục" + (f" ({', '.join(done[:12])})" if done else "")
    if problems:
        message += f". Chưa ghi nhận {len(problems)} mục: " + "; ".join(problems[:6])
    flash(request, message + ".", "error" if problems else "ok")
    return redirect(f"/conclusions/{conclusion.workflow_id}")


async def _accept_all(
    ctx: AppContext,
    who: Principal,
    workflow_id: str,
    key: str,
    submitted: list[tuple[str, str]],
    done: list[str],
    problems: list[str],
) -> None:
    """Accept the evidence just submitted with one decision (one update, not one per item). Evidence a first try
    already accepted counts as done; a retry of the same set replays the same update."""
    status_of = await run_in_threadpool(_statuses, ctx, workflow_id, [ev for _, ev in submitted])
    waiting = [(action_id, ev) for action_id, ev in submitted if status_of.get(ev) == "submitted"]
    done.extend(f"chấp nhận {action_id}" for action_id, ev in submitted if status_of.get(ev) == "accepted")
    if not waiting:
        return
    ids = [ev for _, ev in waiting]
    review = c.ReviewEvidence(
        actor=who.email, evidence_id=ids[0], also_evidence_ids=ids[1:], decision=c.Decision.accept
    )
    digest = hashlib.sha256(" ".join(sorted(ids)).encode()).hexdigest()[:16]
    label = "chấp nhận " + ", ".join(action_id for action_id, _ in waiting)
    if await _send(ctx, workflow_id, review, f"import-{key}-accept-{digest}", label, [], problems) is not None:
        done.extend(f"chấp nhận {action_id}" for action_id, _ in waiting)


def _statuses(ctx: AppContext, workflow_id: str, evidence_ids: list[str]) -> dict[str, str]:
    if not evidence_ids:
        return {}
    with Session(ctx.engine) as session:
        rows = session.exec(
            select(EvidenceRow).where(
                col(EvidenceRow.workflow_id) == workflow_id, col(EvidenceRow.evidence_id).in_(evidence_ids)
            )
        ).all()
    return {row.evidence_id: row.status for row in rows}


async def _send(
    ctx: AppContext,
    workflow_id: str,
    command: c.Command,
    update_id: str,
    label: str,
    done: list[str],
    problems: list[str],
) -> UpdateResult | None:
    try:
        result = await ctx.gateway.update(workflow_id, command, update_id)
    except (Refused, NotFound, Unavailable) as error:
        problems.append(f"{label}: {error}")
        return None
    done.append(label)
    return result


@router.get("/conclusions/{workflow_id}/report-import", include_in_schema=False)
def report_import_page(request: Request, workflow_id: str, ctx: Ctx, who: Staff) -> Response:
    return _page(request, who, _conclusion(ctx, who, workflow_id))
