"""The follow-up state of one conclusion, as the workflow holds it (pure data, safe inside workflows)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, model_serializer, model_validator

from models.office import OfficeCalendar
from models.policy import URGING_STEPS, Policy, Step
from models.spec import ActionKind


class ConclusionStatus(StrEnum):
    active = "active"
    closed = "closed"
    withdrawn = "withdrawn"


class ActionStatus(StrEnum):
    open = "open"
    evidence_submitted = "evidence_submitted"
    done = "done"
    waived = "waived"
    transferred = "transferred"


RESOLVED_ACTION = frozenset({ActionStatus.done, ActionStatus.waived, ActionStatus.transferred})


class ReviewStatus(StrEnum):
    submitted = "submitted"
    accepted = "accepted"
    rejected = "rejected"


class ReportStatus(StrEnum):
    awaited = "awaited"
    submitted = "submitted"
    accepted = "accepted"
    returned = "returned"


class ExtensionStatus(StrEnum):
    requested = "requested"
    approved = "approved"
    denied = "denied"


class NotificationStatus(StrEnum):
    pending = "pending"  # planned, being sent (or to be sent again)
    sent = "sent"
    failed = "failed"


class ScheduledStep(BaseModel):
    """When one rung of the policy's ladder comes for one item; its recipients stay in the policy (`index`).

    Every item carries one per rung, so it travels compactly as `[index, step, epoch seconds]`: a conclusion of
    2,000 actions must fit in one continue-as-new payload.
    """

    index: int
    step: Step
    at: datetime

    @model_serializer(mode="plain", when_used="json")
    def _compact(self) -> list[Any]:
        seconds = self.at.timestamp()
        return [self.index, self.step.value, int(seconds) if seconds.is_integer() else seconds]

    @model_validator(mode="before")
    @classmethod
    def _from_compact(cls, value: Any) -> Any:
        if isinstance(value, list | tuple) and len(value) == 3:
            index, step, at = value
            return {
                "index": index,
                "step": step,
                "at": datetime.fromtimestamp(at, UTC) if isinstance(at, int | float) else at,
            }
        return value


class Schedule(BaseModel):
    """A due time and the absolute times of its ladder, computed outside workflow code."""

    due: datetime
    steps: list[ScheduledStep]


class FileRef(BaseModel):
    name: str
    sha256: str
    size: int
    content_type: str


class Evidence(BaseModel):
    id: str
    action_id: str
    files: list[FileRef]
    note: str = ""
    recovered_vnd: int | None = None
    submitted_by: str
    submitted_at: datetime
    status: ReviewStatus = ReviewStatus.submitted
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    reason: str | None = None


class ExtensionRequest(BaseModel):
    id: str
    action_id: str
    requested_due: date | datetime
    reason: str
    requested_by: str
    requested_at: datetime
    status: ExtensionStatus = ExtensionStatus.requested
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None
    granted_due: datetime | None = None


class ReportSubmission(BaseModel):
    id: str
    unit: str
    files: list[FileRef]
    note: str = ""
    submitted_by: str
    submitted_at: datetime
    status: ReviewStatus = ReviewStatus.submitted
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    reason: str | None = None


class Tracked(BaseModel):
    """Anything with a deadline that climbs the ladder: an action or a unit's follow-up report."""

    schedule: Schedule
    due_version: int = 1
    due_assumed: bool = False  # the due date is an assumption: never stated as fact
    last_step: Step | None = None  # of the current due version: the last step a letter was sent (or tried) for
    last_step_index: int | None = None
    last_letter_at: datetime | None = None
    resume_at: datetime | None = None  # returned after its deadline: the ladder takes it up again from this moment

    @property
    def due(self) -> datetime:
        return self.schedule.due

    @property
    def due_is_assumed(self) -> bool:
        """The deadline now is an assumption: the first one, marked assumed. One set later (an extension granted, a
        return with a new deadline) is staff's decision, stated as such."""
        return self.due_assumed and self.due_version == 1


class ActionState(Tracked):
    id: str
    unit: str
    ref: str | None = None  # the item's number as written in the conclusion, e.g. "2.1.a"
    kind: ActionKind
    text: str
    progress: str | None = None  # what was done before registration, e.g. "Đã thực hiện một phần (theo …)"
    amount_vnd: int | None = None
    original_due: datetime
    status: ActionStatus = ActionStatus.open
    status_reason: str | None = None
    resolved_at: datetime | None = None


class LetterRef(BaseModel):
    """An earlier letter to a unit, as later letters cite it."""

    key: str
    step: Step
    sent_at: datetime
    number: str | None = None  # the office's number ("125/TTr-NV"), once staff record it
    signed_on: date | None = None


class UnitState(Tracked):
    code: str
    name: str
    contacts: list[str]
    head: str | None = None
    head_title: str | None = None  # "Chủ tịch UBND huyện Lý Sơn"
    supervisor: str | None = None
    supervisor_title: str | None = None  # "Chủ tịch UBND tỉnh Quảng Ngãi"
    report_status: ReportStatus = ReportStatus.awaited
    letters: list[LetterRef] = Field(default_factory=list)  # the latest letters sent to this unit (bounded)
    # Urging letters sent to this unit in all; None until its first letter sent since the count was kept (a state
    # from before counts the urgings among its kept `letters` then).
    urgings_sent: int | None = None

    def urgings(self) -> int:
        """How many urging letters the unit was sent."""
        if self.urgings_sent is not None:
            return self.urgings_sent
        return sum(1 for ref in self.letters if ref.step in URGING_STEPS)


class NoticeKind(StrEnum):
    """What a notice tells: a decision on something the unit sent, or (to officers) that something arrived."""

    evidence_accepted = "evidence_accepted"
    evidence_returned = "evidence_returned"
    extension_approved = "extension_approved"
    extension_denied = "extension_denied"
    report_accepted = "report_accepted"
    report_returned = "report_returned"
    action_waived = "action_waived"
    action_transferred = "action_transferred"
    withdrawn = "withdrawn"
    arrived = "arrived"  # evidence, a report or an extension request awaits the officers' review


class NoticeAudience(StrEnum):
    unit = "unit"  # the unit's contacts, with the link that acts for the unit
    officers = "officers"  # the conclusion's officers who asked to be told at once


class NoticeLine(BaseModel):
    """One decision (or arrival) a notice tells."""

    kind: NoticeKind
    target: str | None = None  # the action or `report.<unit>`; None for the whole conclusion
    subject: str | None = None  # the evidence, report or extension request decided on
    reason: str | None = None
    new_due: datetime | None = None  # the deadline set by the decision, if it set one
    by: str
    at: datetime


class NoticeRecord(BaseModel):
    """One email telling a unit (or the officers) what was decided: every line collected until `send_at`, so staff
    deciding several items of a unit at once send one email."""

    key: str
    unit: str
    audience: NoticeAudience
    lines: list[NoticeLine]
    planned_at: datetime
    send_at: datetime
    status: NotificationStatus = NotificationStatus.pending
    detail: str = ""
    at: datetime | None = None  # when it was settled
    resend: bool = False  # staff asked to send it again after it failed


class LetterItem(BaseModel):
    """One item in a letter: an action or the unit's report, at the ladder index it reached for its due version."""

    target: str
    step_index: int
    due_version: int


class LetterRecord(BaseModel):
    """One letter of one step to one unit (or the closing notice to all), with every item it lists."""

    key: str
    unit: str  # "" for the closing notice
    step: Step
    items: list[LetterItem] = Field(default_factory=list)
    to: list[str]
    cc: list[str]
    planned_at: datetime
    at: datetime | None = None  # when it was settled
    status: NotificationStatus = NotificationStatus.pending
    detail: str = ""
    resend: bool = False  # staff asked to send it again after it failed


class AuditEvent(BaseModel):
    seq: int
    at: datetime
    actor: str
    kind: str
    target: str | None = None
    message: str
    data: dict[str, Any] = Field(default_factory=dict)


class Signature(BaseModel):
    """Who signs the inspectorate's letters, and how the letter header and date line read."""

    title: str = "Chánh Thanh tra"
    name: str = ""
    acting_for: str | None = None  # "KT. CHÁNH THANH TRA" when a deputy signs
    place: str | None = None  # "Quảng Ngãi, ngày …"
    letter_symbol: str | None = None  # "TTr-NV": "Số:      /TTr-NV"
    parent: str | None = None  # the body above the inspectorate in the header


class ConclusionFacts(BaseModel):
    """What a conclusion is: the facts the state and its read-model row share."""

    workflow_id: str
    number: str
    issued_on: date
    received_on: date
    issuer: str
    title: str
    tracking_body: str
    inspectorate_head: str
    agency_head: str
    officers: list[str] = Field(default_factory=list)  # staff accounts in charge of the follow-up (emails)


class ConclusionState(ConclusionFacts):
    agency_head_title: str | None = None
    signature: Signature = Signature()
    policy: Policy
    calendar: OfficeCalendar = OfficeCalendar(enabled=False)
    status: ConclusionStatus = ConclusionStatus.active
    status_reason: str | None = None
    closed_at: datetime | None = None
    units: dict[str, UnitState]
    actions: dict[str, ActionState]
    evidence: list[Evidence] = Field(default_factory=list)
    extension_requests: list[ExtensionRequest] = Field(default_factory=list)
    reports: list[ReportSubmission] = Field(default_factory=list)
    letters: list[LetterRecord] = Field(default_factory=list)  # pending ones and the latest settled (bounded)
    letter_seq: int = 0
    notices: list[NoticeRecord] = Field(default_factory=list)  # pending ones and the latest settled (bounded)
    notice_seq: int = 0
    notice_delay_seconds: int = 120  # how long a notice collects decisions before it goes (the worker's setting)
    decision_notices: bool = True  # False only while replaying a run that began before notices existed
    events: list[AuditEvent] = Field(default_factory=list)  # the latest (bounded); all of them are in SQL
    applied_updates: dict[str, str] = Field(default_factory=dict)  # update id → what it created ("" for nothing)
    version: int = 0
