"""What people ask the workflow to do: the inputs of its updates (safe inside workflows)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, EmailStr, Field, StringConstraints, model_validator

from models.spec import MAX_ACTIONS, MAX_AMOUNT_VND, ActionSpec, DayOrMoment, clean_text, one_line
from models.state import FileRef

MAX_NOTE = 4000  # characters of a reason or a note: a paragraph or two, never a document pasted whole
Actor = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NOTE), BeforeValidator(clean_text)
]
"""Why: required, cleaned of control characters, bounded (the workflow carries it in its state)."""
Note = Annotated[str, StringConstraints(strip_whitespace=True), BeforeValidator(clean_text)]
"""A note or an optional reason, as commands carry it: cleaned; bounded where people type it (BoundedNote, the
forms), not here, so that an update of an older history, read back on replay, still reads as it was accepted."""
BoundedNote = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_NOTE), BeforeValidator(clean_text)]
"""A note or an optional reason as people send it (the API)."""
# A title as staff edit it: one line of at most 200 characters; "" (or only spaces) clears it.
TitleEdit = Annotated[str, StringConstraints(max_length=200), BeforeValidator(one_line)]
LetterNumber = Annotated[str, StringConstraints(min_length=1, max_length=64), BeforeValidator(one_line)]
"""The office's number of a letter ("125/TTr-NV")."""


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    actor: Actor


def _distinct(first: str, more: list[str], field: str) -> None:
    seen = {first}
    for item in more:
        if item in seen:
            raise ValueError(f"{field}: '{item}' có mặt hai lần.")
        seen.add(item)


class SubmitEvidence(Command):
    """Evidence for one action, or the same files (e.g. one dispatch of the unit) for several: one evidence record
    per action, each reviewed on its own, all recorded by one update."""

    action_id: str
    files: list[FileRef] = Field(min_length=1)
    note: Note = ""
    recovered_vnd: int | None = Field(default=None, ge=0, le=MAX_AMOUNT_VND)
    also_action_ids: list[str] = Field(default_factory=list, max_length=MAX_ACTIONS - 1)

    @model_validator(mode="after")
    def _one_amount_one_action(self) -> SubmitEvidence:
        _distinct(self.action_id, self.also_action_ids, "also_action_ids")
        if self.also_action_ids and self.recovered_vnd is not None:
            raise ValueError("recovered_vnd: số tiền đã thu hồi chỉ ghi khi nộp minh chứng cho một kiến nghị.")
        return self

    @property
    def action_ids(self) -> list[str]:
        return [self.action_id, *self.also_action_ids]


class Decision(StrEnum):
    accept = "accept"
    reject = "reject"


class ReviewEvidence(Command):
    """One decision on one evidence, or the same decision (reason, new deadline) on several at once."""

    evidence_id: str
    decision: Decision
    reason: Note | None = None
    new_due: DayOrMoment | None = None  # with a return: the new deadline for what the unit sends again
    also_evidence_ids: list[str] = Field(default_factory=list, max_length=MAX_ACTIONS - 1)

    @model_validator(mode="after")
    def _each_once(self) -> ReviewEvidence:
        _distinct(self.evidence_id, self.also_evidence_ids, "also_evidence_ids")
        return self

    @property
    def evidence_ids(self) -> list[str]:
        return [self.evidence_id, *self.also_evidence_ids]


class RequestExtension(Command):
    action_id: str
    requested_due: DayOrMoment
    reason: Reason


class DecideExtension(Command):
    request_id: str
    approve: bool
    reason: Note | None = None
    granted_due: DayOrMoment | None = None  # defaults to the requested due date


class SubmitReport(Command):
    unit: str
    files: list[FileRef] = Field(min_length=1)
    note: Note = ""


class ReviewReport(Command):
    report_id: str
    decision: Decision
    reason: Note | None = None
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
    """Who a unit's letters go to, replaced. The titles letters address the head and the supervisor by: a text sets
    one, "" clears it; not given, it stays while the person stays, and goes with a person replaced (letters then
    name the role, never a title recorded for someone else)."""

    unit: str
    contacts: list[EmailStr] = Field(min_length=1)
    head: EmailStr | None = None
    supervisor: EmailStr | None = None
    head_title: TitleEdit | None = None
    supervisor_title: TitleEdit | None = None


class ResendNotification(Command):
    key: str


class RecordLetterNumber(Command):
    """The office's number and signing day of a letter that went out, so later letters cite it."""

    key: str
    number: LetterNumber
    signed_on: date | None = None


class Withdraw(Command):
    reason: Reason
