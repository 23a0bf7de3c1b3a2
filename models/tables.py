"""The SQL read model (SQLModel tables). Never imported by workflow code."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, TypeDecorator, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (naive storage) and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused by the read model")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _time(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _json() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class ConclusionRow(SQLModel, table=True):
    __tablename__ = "conclusions"

    workflow_id: str = Field(primary_key=True, max_length=120)
    number: str = Field(index=True, max_length=64)
    issued_on: date
    received_on: date
    issuer: str
    title: str
    tracking_body: str
    inspectorate_head: str
    agency_head: str
    officers: list[str] = _json()  # emails of the staff accounts in charge of the follow-up
    status: str = Field(index=True, max_length=20)
    status_reason: str | None = None
    closed_at: datetime | None = _time()
    next_deadline: datetime | None = _time()
    unit_count: int = 0
    action_count: int = 0
    open_actions: int = 0
    overdue_actions: int = 0
    version: int = 0
    as_of: datetime | None = _time()  # the workflow time the projection describes (overdue flags)
    projected_at: datetime | None = _time()


class UnitRow(SQLModel, table=True):
    __tablename__ = "units"

    workflow_id: str = Field(primary_key=True, max_length=120)
    code: str = Field(primary_key=True, max_length=64)
    name: str
    contacts: list[str] = _json()
    head: str | None = None
    head_title: str | None = None
    supervisor: str | None = None
    supervisor_title: str | None = None
    report_status: str = Field(max_length=20)
    report_due: datetime | None = _time(nullable=False)
    report_due_assumed: bool = False  # the conclusion sets no report deadline: this one is the follow-up's assumption
    report_last_step: str | None = None


class ActionRow(SQLModel, table=True):
    __tablename__ = "actions"
    __table_args__ = (Index("ix_actions_unit", "workflow_id", "unit"),)

    workflow_id: str = Field(primary_key=True, max_length=120)
    action_id: str = Field(primary_key=True, max_length=64)
    unit: str = Field(max_length=64)
    ref: str | None = Field(default=None, max_length=32)  # as numbered in the conclusion, e.g. "2.1.a"
    kind: str = Field(max_length=20)
    text: str
    progress: str | None = None  # what was done before registration
    status: str = Field(index=True, max_length=20)
    status_reason: str | None = None
    due: datetime | None = _time(nullable=False, index=True)
    original_due: datetime | None = _time(nullable=False)
    due_version: int = 1
    due_assumed: bool = False
    last_step: str | None = None
    overdue: bool = False
    amount_vnd: int | None = Field(default=None, sa_column=Column(BigInteger))  # đồng: beyond 32-bit INTEGER
    recovered_vnd: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    resolved_at: datetime | None = _time()


class EvidenceRow(SQLModel, table=True):
    __tablename__ = "evidence"

    workflow_id: str = Field(primary_key=True, max_length=120)
    evidence_id: str = Field(primary_key=True, max_length=32)
    action_id: str = Field(max_length=64)
    files: list[dict[str, Any]] = _json()
    note: str = ""
    recovered_vnd: int | None = Field(default=None, sa_column=Column(BigInteger))
    status: str = Field(max_length=20)
    submitted_by: str
    submitted_at: datetime | None = _time(nullable=False)
    reviewed_by: str | None = None
    reviewed_at: datetime | None = _time()
    reason: str | None = None


class ReportRow(SQLModel, table=True):
    __tablename__ = "reports"

    workflow_id: str = Field(primary_key=True, max_length=120)
    report_id: str = Field(primary_key=True, max_length=32)
    unit: str = Field(max_length=64)
    files: list[dict[str, Any]] = _json()
    note: str = ""
    status: str = Field(max_length=20)
    submitted_by: str
    submitted_at: datetime | None = _time(nullable=False)
    reviewed_by: str | None = None
    reviewed_at: datetime | None = _time()
    reason: str | None = None


class ExtensionRequestRow(SQLModel, table=True):
    __tablename__ = "extension_requests"

    workflow_id: str = Field(primary_key=True, max_length=120)
    request_id: str = Field(primary_key=True, max_length=32)
    action_id: str = Field(max_length=64)
    requested_due: str  # a date or an ISO date-time, as asked
    reason: str
    status: str = Field(max_length=20)
    requested_by: str
    requested_at: datetime | None = _time(nullable=False)
    decided_by: str | None = None
    decided_at: datetime | None = _time()
    decision_reason: str | None = None
    granted_due: datetime | None = _time()


class FileRefRow(SQLModel, table=True):
    """A stored file (by content hash) that a recorded evidence or report uses: the orphan-file sweep's index."""

    __tablename__ = "file_refs"

    sha256: str = Field(primary_key=True, max_length=64)
    workflow_id: str = Field(primary_key=True, max_length=120)
    owner: str = Field(primary_key=True, max_length=32)  # the evidence or report id


class NotificationRow(SQLModel, table=True):
    """The mail outbox: written before sending; its key is the Message-ID, so a retry never sends twice."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("message_id"),)

    key: str = Field(primary_key=True, max_length=255)  # the letter's key and the copy's audience
    message_id: str = Field(max_length=300)
    letter_key: str = Field(default="", index=True, max_length=255)
    audience: str = Field(default="unit", max_length=20)  # unit | oversight
    workflow_id: str = Field(index=True, max_length=120)
    target: str = Field(max_length=80)  # the one item, or the unit's report target / "conclusion" for several
    items: list[str] = _json()  # every item the letter lists
    unit: str = Field(max_length=64)
    step: str = Field(max_length=20)
    recipients: list[str] = _json()
    cc: list[str] = _json()
    subject: str
    status: str = Field(index=True, max_length=20)  # pending | sent | failed
    attempts: int = 0
    smtp_answer: str | None = None
    created_at: datetime | None = _time(nullable=False)
    sent_at: datetime | None = _time()
    handed_over_at: datetime | None = _time()  # DATA began, the relay has not answered yet
    unconfirmed_handovers: int = 0  # handovers a dead attempt left unanswered: each may have been delivered twice


class AuditEventRow(SQLModel, table=True):
    __tablename__ = "audit_events"

    workflow_id: str = Field(primary_key=True, max_length=120)
    seq: int = Field(primary_key=True)
    at: datetime | None = _time(nullable=False, index=True)
    actor: str
    kind: str = Field(max_length=40)
    target: str | None = None
    message: str
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
