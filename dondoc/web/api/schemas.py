"""Request and response bodies of the JSON API: English field names mirroring the read model, Vietnamese labels."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from dondoc.web.letters import AUDIENCE, LetterView, letters, status_text
from dondoc.web.queries import ConclusionDetail, OverdueItem
from models.commands import BoundedNote, Decision, LetterNumber, Reason, TitleEdit
from models.labels import (
    ACTION_STATUS,
    CONCLUSION_STATUS,
    EXTENSION_STATUS,
    KIND,
    REPORT_STATUS,
    REVIEW_STATUS,
    STEP,
)
from models.policy import Step
from models.spec import MAX_ACTIONS, MAX_AMOUNT_VND, ActionKind, Day, DayOrMoment
from models.state import ActionStatus, ConclusionStatus, ExtensionStatus, ReportStatus, ReviewStatus
from models.tables import (
    ActionRow,
    AuditEventRow,
    ConclusionRow,
    EvidenceRow,
    ExtensionRequestRow,
    NotificationRow,
    ReportRow,
    UnitRow,
)


def global_id(workflow_id: str, local_id: str) -> str:
    """Evidence and reports are numbered per conclusion (`ev-3`); outside it they are `<workflow_id>.<ev-3>`."""
    return f"{workflow_id}.{local_id}"


def split_global_id(value: str) -> tuple[str, str] | None:
    workflow_id, dot, local_id = value.rpartition(".")
    return (workflow_id, local_id) if dot and workflow_id and local_id else None


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with its `$defs` inlined, to embed in an OpenAPI operation."""
    schema = model.model_json_schema()
    defs: dict[str, Any] = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                rest = {k: resolve(v) for k, v in node.items() if k != "$ref"}
                return {**resolve(defs[ref.removeprefix("#/$defs/")]), **rest}
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


def _label(labels: dict[Any, str], enum: type[Any], value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return labels[enum(value)]
    except (ValueError, KeyError):
        return value


# ---------------------------------------------------------------- responses


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class MeOut(Out):
    email: str
    role: str
    unit: str | None = Field(description="the unit an agency user speaks for")
    via: str = Field(description="session | token | link")
    workflow_id: str | None = Field(default=None, description="link visitors only: the one conclusion they may see")
    csrf_token: str | None = Field(
        description="send as header X-CSRF-Token on POST/PUT from a session (null for bearer-token clients)"
    )


class ConclusionSummary(Out):
    workflow_id: str
    number: str
    issued_on: date
    received_on: date
    issuer: str
    title: str
    tracking_body: str
    inspectorate_head: str
    agency_head: str
    status: str
    status_label: str | None = None
    status_reason: str | None
    closed_at: datetime | None
    next_deadline: datetime | None
    unit_count: int
    action_count: int
    open_actions: int
    overdue_actions: int
    version: int
    url: str = ""

    @classmethod
    def of(cls, row: ConclusionRow) -> ConclusionSummary:
        out = cls.model_validate(row)
        out.status_label = _label(CONCLUSION_STATUS, ConclusionStatus, row.status)
        out.url = f"/api/conclusions/{row.workflow_id}"
        return out


class UnitOut(Out):
    code: str
    name: str
    contacts: list[str]
    head: str | None
    head_title: str | None = Field(default=None, description="the head's title as letters address it")
    supervisor: str | None
    supervisor_title: str | None = Field(default=None, description="the supervisor's title as letters address it")
    report_status: str
    report_status_label: str | None = None
    report_due: datetime | None
    report_last_step: str | None


class ActionOut(Out):
    action_id: str
    unit: str
    ref: str | None = Field(default=None, description="the item's number in the conclusion, e.g. II.2.a")
    kind: str
    kind_label: str | None = None
    text: str
    progress: str | None = Field(default=None, description="what was done before the follow-up was registered")
    status: str
    status_label: str | None = None
    status_reason: str | None
    due: datetime | None
    due_assumed: bool = Field(default=False, description="the conclusion states no due date: this one is assumed")
    original_due: datetime | None
    due_version: int
    last_step: str | None
    overdue: bool
    amount_vnd: int | None
    recovered_vnd: int
    resolved_at: datetime | None


class FileOut(BaseModel):
    name: str
    sha256: str
    size: int
    content_type: str
    url: str = Field(description="download link (GET, same authorization as the conclusion)")


class EvidenceOut(Out):
    id: str = Field(description="global id `<workflow_id>.<evidence_id>`, used by GET /api/evidence/{id}/file")
    evidence_id: str
    action_id: str
    files: list[FileOut]
    note: str
    recovered_vnd: int | None
    status: str
    status_label: str | None = None
    submitted_by: str
    submitted_at: datetime | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    reason: str | None


class ReportOut(Out):
    id: str = Field(description="global id `<workflow_id>.<report_id>`, used by GET /api/reports/{id}/file")
    report_id: str
    unit: str
    files: list[FileOut]
    note: str
    status: str
    status_label: str | None = None
    submitted_by: str
    submitted_at: datetime | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    reason: str | None


class ExtensionRequestOut(Out):
    request_id: str
    action_id: str
    requested_due: str = Field(description="a date or an ISO date-time, as asked")
    reason: str
    status: str
    status_label: str | None = None
    requested_by: str
    requested_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    granted_due: datetime | None


class LetterCopyOut(BaseModel):
    audience: str = Field(description="unit | oversight")
    audience_label: str
    recipients: list[str]
    cc: list[str]
    status: str
    status_label: str


class LetterOut(BaseModel):
    """A letter to a unit: one per step, listing every item the unit owed then."""

    key: str = Field(description="the letter's key, for POST …/letters/number")
    unit: str
    step: str
    step_label: str
    at: datetime | None = Field(description="when it was sent (or failed)")
    items: list[str] = Field(description="action ids and `report.<unit>`")
    status: str = Field(description="sent | failed | pending")
    status_label: str
    number: str | None = Field(description="the office's number, once recorded")
    signed_on: date | None
    copies: list[LetterCopyOut] = Field(description="from the outbox (empty until the mail activity wrote it)")

    @classmethod
    def of(cls, letter: LetterView) -> LetterOut:
        return cls(
            key=letter.key,
            unit=letter.unit,
            step=letter.step,
            step_label=letter.step_label,
            at=letter.at,
            items=letter.items,
            status=letter.status,
            status_label=letter.status_text,
            number=letter.number,
            signed_on=letter.signed_on,
            copies=[
                LetterCopyOut(
                    audience=copy.audience,
                    audience_label=copy.audience_label,
                    recipients=copy.recipients,
                    cc=copy.cc,
                    status=copy.status,
                    status_label=copy.status_text,
                )
                for copy in letter.copies
            ],
        )


class ConclusionOut(ConclusionSummary):
    """One conclusion as the asking principal may see it (agency users: only their unit's rows)."""

    units: list[UnitOut] = Field(default_factory=list)
    actions: list[ActionOut] = Field(default_factory=list)
    evidence: list[EvidenceOut] = Field(default_factory=list)
    reports: list[ReportOut] = Field(default_factory=list)
    extension_requests: list[ExtensionRequestOut] = Field(default_factory=list)
    letters: list[LetterOut] = Field(default_factory=list, description="the letters sent to the units, oldest first")

    @classmethod
    def of_detail(cls, detail: ConclusionDetail, events: list[AuditEventRow] | None = None) -> ConclusionOut:
        summary = ConclusionSummary.of(detail.conclusion)
        wid = detail.conclusion.workflow_id
        units = {u.code for u in detail.units}
        return cls(
            **summary.model_dump(),
            units=[unit_out(u) for u in detail.units],
            actions=[action_out(a) for a in detail.actions],
            evidence=[evidence_out(wid, e) for e in detail.evidence],
            reports=[report_out(wid, r) for r in detail.reports],
            extension_requests=[extension_out(r) for r in detail.extension_requests],
            letters=[LetterOut.of(x) for x in letters(events or [], detail.notifications) if x.unit in units],
        )


class WriteResult(BaseModel):
    """What every change answers: the conclusion as read back from the read model after the update finished."""

    workflow_id: str
    created: str | None = Field(
        default=None, description="the id of what this request created (evidence, request, report or action)"
    )
    also_created: list[str] = Field(
        default_factory=list,
        description="evidence for several actions at once (`also_action_ids`): the further evidence ids, in the "
        "order of `also_action_ids` (`created` is the first action's)",
    )
    conclusion: ConclusionOut


class StartedOut(BaseModel):
    workflow_id: str
    number: str
    projected: bool = Field(description="false when the read model did not show it yet (answered 202)")
    url: str


class EventOut(Out):
    seq: int
    at: datetime | None
    actor: str
    kind: str
    target: str | None
    message: str
    data: dict[str, Any]


class OverdueOut(BaseModel):
    workflow_id: str
    number: str
    title: str
    action_id: str
    unit: str
    unit_name: str
    text: str
    status: str
    status_label: str | None
    due: datetime | None
    days_overdue: int
    last_step: str | None
    last_step_label: str | None

    @classmethod
    def of(cls, item: OverdueItem) -> OverdueOut:
        action = item.action
        return cls(
            workflow_id=item.conclusion.workflow_id,
            number=item.conclusion.number,
            title=item.conclusion.title,
            action_id=action.action_id,
            unit=action.unit,
            unit_name=item.unit_name,
            text=action.text,
            status=action.status,
            status_label=_label(ACTION_STATUS, ActionStatus, action.status),
            due=action.due,
            days_overdue=item.days,
            last_step=action.last_step,
            last_step_label=_label(STEP, Step, action.last_step),
        )


class NotificationOut(Out):
    """One copy of a letter in the mail outbox (a letter has a unit copy and, often, an oversight copy)."""

    key: str = Field(description="the copy's key: `<letter_key>/<audience>`, also its Message-ID")
    letter_key: str = Field(description="the letter's key: what POST /notifications/resend and the letter number use")
    audience: str = Field(description="unit (the unit's contacts and head, acting link) | oversight (view-only link)")
    audience_label: str | None = None
    message_id: str
    workflow_id: str
    target: str = Field(description="the one item the letter lists, else `report.<unit>` (or `conclusion`)")
    items: list[str] = Field(description="every item the letter lists: action ids and `report.<unit>`")
    item_count: int = 0
    unit: str
    step: str
    step_label: str | None = None
    recipients: list[str]
    cc: list[str]
    subject: str
    status: str = Field(description="pending | sent | failed")
    status_label: str | None = Field(default=None, description="«Đã gửi», «Gửi lỗi: <the mail server's answer>»")
    attempts: int
    smtp_answer: str | None
    created_at: datetime | None
    sent_at: datetime | None


def unit_out(row: UnitRow) -> UnitOut:
    out = UnitOut.model_validate(row)
    out.report_status_label = _label(REPORT_STATUS, ReportStatus, row.report_status)
    return out


def action_out(row: ActionRow) -> ActionOut:
    out = ActionOut.model_validate(row)
    out.kind_label = _label(KIND, ActionKind, row.kind)
    out.status_label = _label(ACTION_STATUS, ActionStatus, row.status)
    return out


def _files(kind: str, gid: str, files: list[dict[str, Any]]) -> list[FileOut]:
    return [FileOut(**f, url=f"/api/{kind}/{gid}/file?n={n}") for n, f in enumerate(files)]


def evidence_out(workflow_id: str, row: EvidenceRow) -> EvidenceOut:
    gid = global_id(workflow_id, row.evidence_id)
    data = row.model_dump(exclude={"files", "workflow_id"})
    return EvidenceOut(
        **data,
        id=gid,
        files=_files("evidence", gid, row.files),
        status_label=_label(REVIEW_STATUS, ReviewStatus, row.status),
    )


def report_out(workflow_id: str, row: ReportRow) -> ReportOut:
    gid = global_id(workflow_id, row.report_id)
    data = row.model_dump(exclude={"files", "workflow_id"})
    return ReportOut(
        **data,
        id=gid,
        files=_files("reports", gid, row.files),
        status_label=_label(REVIEW_STATUS, ReviewStatus, row.status),
    )


def extension_out(row: ExtensionRequestRow) -> ExtensionRequestOut:
    out = ExtensionRequestOut.model_validate(row)
    out.status_label = _label(EXTENSION_STATUS, ExtensionStatus, row.status)
    return out


def event_out(row: AuditEventRow) -> EventOut:
    return EventOut.model_validate(row)


def notification_out(row: NotificationRow) -> NotificationOut:
    out = NotificationOut.model_validate(row)
    out.letter_key = row.letter_key or row.key
    out.step_label = _label(STEP, Step, row.step)
    out.audience_label = AUDIENCE.get(row.audience, row.audience)
    out.item_count = len(row.items)
    out.status_label = status_text(row.status, row.smtp_answer)
    return out


# ---------------------------------------------------------------- requests


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReviewIn(In):
    decision: Decision
    reason: BoundedNote | None = Field(default=None, description="required when rejecting/returning")
    new_due: DayOrMoment | None = Field(
        default=None,
        description="with a reject: the new deadline for what the unit sends again (a new due version, the ladder "
        "from its start); without it the ladder takes the item up again from the step it had reached",
    )


LocalId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class EvidenceReviewIn(ReviewIn):
    also_evidence_ids: list[LocalId] = Field(
        default_factory=list,
        max_length=MAX_ACTIONS - 1,
        description="the same decision (and reason, new deadline) on further evidence of this conclusion, by their "
        "local ids (`ev-4`), all in one change: every one must be awaiting review, else nothing is decided",
    )


class ExtensionRequestIn(In):
    requested_due: DayOrMoment = Field(description="a day (YYYY-MM-DD) or an ISO date-time with its offset")
    reason: Reason


class ExtensionDecisionIn(In):
    approve: bool
    reason: BoundedNote | None = Field(default=None, description="required when not approving")
    granted_due: DayOrMoment | None = Field(default=None, description="defaults to the requested due date")


class ReasonIn(In):
    reason: Reason


class LetterNumberIn(In):
    key: str = Field(min_length=1, max_length=255, description="the letter's key (`letter_key` of its outbox rows)")
    number: LetterNumber = Field(description="the office's number and symbol, e.g. 125/TTr-NV")
    signed_on: Day | None = Field(default=None, description="the day it was signed (YYYY-MM-DD)")


class ContactsIn(In):
    contacts: list[EmailStr] = Field(min_length=1)
    head: EmailStr | None = None
    supervisor: EmailStr | None = None
    head_title: TitleEdit | None = Field(
        default=None,
        description='how letters address the head ("Chủ tịch UBND huyện Lý Sơn"); "" clears it; left out, it stays '
        "while the head stays and goes with a head replaced",
    )
    supervisor_title: TitleEdit | None = Field(
        default=None,
        description='how letters address the supervisor ("Chủ tịch UBND tỉnh Quảng Ngãi"); "" clears it; left out, '
        "it stays while the supervisor stays and goes with a supervisor replaced",
    )


class EvidenceFields(In):
    """The non-file fields of an evidence upload (multipart)."""

    note: BoundedNote = ""
    recovered_vnd: int | None = Field(default=None, ge=0, le=MAX_AMOUNT_VND)


class ReportFields(In):
    note: BoundedNote = ""
