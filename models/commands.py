"""What people ask the workflow to do: the inputs of its updates (safe inside workflows)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from models.spec import MAX_AMOUNT_VND, ActionSpec, DayOrMoment
from models.state import FileRef

Actor = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    actor: Actor


class SubmitEvidence(Command):
    action_id: str
    files: list[FileRef] = Field(min_length=1)
    note: str = ""
    recovered_vnd: int | None = Field(default=None, ge=0, le=MAX_AMOUNT_VND)


class Decision(StrEnum):
    accept = "accept"
    reject = "reject"


class ReviewEvidence(Command):
    evidence_id: str
    decision: Decision
    reason: str | None = None
    new_due: DayOrMoment | None = None  # with a return: the new deadline for what the unit sends again


class RequestExtension(Command):
    action_id: str
    requested_due: DayOrMoment
    reason: Reason


class DecideExtension(Command):
    request_id: str
    approve: bool
    reason: str | None = None
    granted_due: DayOrMoment | None = None  # defaults to the requested due date


class SubmitReport(Command):
    unit: str
    files: list[FileRef] = Field(min_length=1)
    note: str = ""


class ReviewReport(Command):
    report_id: str
    decision: Decision
    reason: str | None = None
    new_due: DayOrMoment | None = None  # with a return: the new deadline for the corrected report


class WaiveAction(Command):
    action_id: str
    reason: Reason


class TransferAction(Command):
    action_id: str
    reason: Reason  # e.g. the investigating body and the transfer letter number


class AddAction(Command):
    action: ActionSpec


class ChangeUnitContacts(Command):
    unit: str
    contacts: list[EmailStr] = Field(min_length=1)
    head: EmailStr | None = None
    supervisor: EmailStr | None = None


class ResendNotification(Command):
    key: str


class RecordLetterNumber(Command):
    """The office's number and signing day of a letter that went out, so later letters cite it."""

    key: str
    number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    signed_on: date | None = None


class Withdraw(Command):
    reason: Reason
