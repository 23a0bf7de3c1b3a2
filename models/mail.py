"""What the mail activity needs to render and send one notice (safe inside workflows)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

from models.policy import Step


class MailRequest(BaseModel):
    key: str
    workflow_id: str
    step: Step
    to: list[str]
    cc: list[str]
    number: str
    title: str
    issuer: str
    tracking_body: str
    unit_code: str
    unit_name: str
    action_id: str | None = None
    action_text: str | None = None
    action_kind: str | None = None
    is_report: bool = False
    due: datetime | None = None
    days_overdue: int = 0
    last_reason: str | None = None
    now: datetime
    resend: bool = False  # staff asked to send a notice again after it failed


class MailStatus(StrEnum):
    sent = "sent"
    failed = "failed"


class MailOutcome(BaseModel):
    status: MailStatus
    detail: str = ""
