"""The follow-up state of one conclusion, as the workflow holds it (pure data, safe inside workflows)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from models.policy import Policy, Step
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
    sent = "sent"
    failed = "failed"


class ScheduledStep(BaseModel):
    index: int
    step: Step
    at: datetime
    to: list[str]
    cc: list[str] = Field(default_factory=list)


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
    last_step: Step | None = None

    @property
    def due(self) -> datetime:
        return self.schedule.due


class ActionState(Tracked):
    id: str
    unit: str
    kind: ActionKind
    text: str
    amount_vnd: int | None = None
    original_due: datetime
    status: ActionStatus = ActionStatus.open
    status_reason: str | None = None
    resolved_at: datetime | None = None


class UnitState(Tracked):
    code: str
    name: str
    contacts: list[str]
    head: str | None = None
    supervisor: str | None = None
    report_status: ReportStatus = ReportStatus.awaited


class NotificationRecord(BaseModel):
    key: str
    target: str
    unit: str
    action_id: str | None = None
    step: Step
    step_index: int = 0
    due: datetime | None = None
    due_version: int
    to: list[str]
    cc: list[str]
    at: datetime
    status: NotificationStatus
    detail: str = ""


class AuditEvent(BaseModel):
    seq: int
    at: datetime
    actor: str
    kind: str
    target: str | None = None
    message: str
    data: dict[str, Any] = Field(default_factory=dict)


class ConclusionState(BaseModel):
    workflow_id: str
    number: str
    issued_on: date
    received_on: date
    issuer: str
    title: str
    tracking_body: str
    inspectorate_head: str
    agency_head: str
    policy: Policy
    status: ConclusionStatus = ConclusionStatus.active
    status_reason: str | None = None
    closed_at: datetime | None = None
    units: dict[str, UnitState]
    actions: dict[str, ActionState]
    evidence: list[Evidence] = Field(default_factory=list)
    extension_requests: list[ExtensionRequest] = Field(default_factory=list)
    reports: list[ReportSubmission] = Field(default_factory=list)
    notifications: list[NotificationRecord] = Field(default_factory=list)
    events: list[AuditEvent] = Field(default_factory=list)
    applied_updates: list[str] = Field(default_factory=list)
    resend_keys: list[str] = Field(default_factory=list)  # failed notices staff asked to send again
    version: int = 0
