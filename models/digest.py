"""Inputs and outcomes of the daily digest runs and the file sweep (pure data, safe inside workflows)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field


class DigestKind(StrEnum):
    review_queue = "review_queue"  # officers: what awaits their review
    overdue = "overdue"  # supervisors and heads: overdue items across the conclusions that concern them


class DigestRun(BaseModel):
    kind: DigestKind
    day: date | None = None  # the office day it is for (Asia/Ho_Chi_Minh); None: the day the run starts


class DigestPlan(BaseModel):
    day: date
    working: bool  # False on weekends and holidays (make-up Saturdays are working days): nothing is sent
    recipients: list[str] = Field(default_factory=list)
    note: str = ""  # why nothing is sent, for the run's result


class DigestSend(BaseModel):
    kind: DigestKind
    day: date
    email: str


class DigestSent(BaseModel):
    email: str
    status: str  # sent | failed | empty (nothing for this person) | off (switched off) | already (sent before)
    items: int = 0
    detail: str = ""


class DigestResult(BaseModel):
    kind: DigestKind
    day: date
    working: bool
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    note: str = ""


class SweepResult(BaseModel):
    removed: int
