"""What the importer reads from a conclusion: a draft for staff to review, each field with where it came from, and
the warnings a person must see before starting its follow-up."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from dondoc.importer.text import Place
from models.spec import ActionKind

T = TypeVar("T")


class Found(BaseModel, Generic[T]):
    """A value read from the document and the place it was read from."""

    model_config = ConfigDict(frozen=True)

    value: T
    place: Place


class WarningCode(StrEnum):
    blank_number = "blank_number"
    blank_day = "blank_day"
    missing_field = "missing_field"
    unit_not_inspected = "unit_not_inspected"
    unit_without_action = "unit_without_action"
    no_action = "no_action"
    amount_mismatch = "amount_mismatch"
    no_inspected_units = "no_inspected_units"
    assumed_due = "assumed_due"  # due dates the conclusion does not state for these actions: proposed, to confirm


class ImportWarning(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: WarningCode
    message: str  # Vietnamese, for staff
    place: Place | None = None


class DraftUnit(BaseModel):
    code: str
    name: str
    aliases: list[str] = Field(default_factory=list)  # short names the document defines: "Phòng TT,BC&XB"
    inspected: bool  # named as inspected; False for a unit only an action addresses
    place: Place | None = None


class DraftAction(BaseModel):
    id: str
    ref: str  # as numbered in the document: "2.1", "2.1.a", "2.1-3" (the third "-" under 2.1)
    unit: str  # a DraftUnit code
    addressee: str  # the unit as the document words it: "phòng Bưu chính Viễn thông"
    kind: ActionKind
    text: str
    amount_vnd: int | None = None
    due: date | None = None
    due_in_days: int | None = None
    due_working: bool = False
    due_text: str | None = None  # the deadline as written: "trước ngày 30/6/2021", "trong thời hạn 30 ngày"
    due_assumed: bool = False  # not stated for this action: the conclusion's general deadline or the policy default
    place: Place  # the action's paragraph (for a table row: the row, "1 | Thu hồi … | UBND huyện A | 30/11/2023")


class ConclusionDraft(BaseModel):
    """A conclusion as read from its document; fields it could not find are None (staff fill them in)."""

    number: Found[str] | None = None  # "312/KL-Ttra"; "/KL-STTTT" when the number is blank
    issued_on: Found[date] | None = None
    place_name: Found[str] | None = None  # "Nam Định" from the date line
    issuer: Found[str] | None = None
    title: Found[str] | None = None
    decision: Found[str] | None = None  # "Quyết định số 123/QĐ-STTTT ngày 24/2/2021"
    units: list[DraftUnit] = Field(default_factory=list)
    actions: list[DraftAction] = Field(default_factory=list)
    tracking_body: Found[str] | None = None
    recipients: list[Found[str]] = Field(default_factory=list)
    signer_title: Found[str] | None = None  # "Giám đốc"; "Phó Chủ tịch" when a deputy signs
    signer_acting_for: Found[str] | None = None  # "KT. CHỦ TỊCH"
    signer_name: Found[str] | None = None
    warnings: list[ImportWarning] = Field(default_factory=list)

    def spec_data(self) -> dict[str, Any]:
        """The draft in the conclusion spec's shape (docs/conclusion-spec.md), as far as the document tells; what it
        cannot tell (emails) is left out for staff to fill in, and a due date it does not state is marked assumed."""
        data: dict[str, Any] = {}
        if self.number is not None:
            data["number"] = self.number.value
        if self.issued_on is not None:
            data["issued_on"] = self.issued_on.value.isoformat()
        for name in ("issuer", "title", "tracking_body"):
            found = getattr(self, name)
            if found is not None:
                data[name] = found.value
        if self.place_name is not None:
            data["place"] = self.place_name.value
        data["units"] = [{"code": u.code, "name": u.name} for u in self.units]
        actions = []
        for action in self.actions:
            item: dict[str, Any] = {
                "id": action.id,
                "ref": action.ref,
                "unit": action.unit,
                "kind": action.kind.value,
                "text": action.text,
            }
            if action.due is not None:
                item["due"] = action.due.isoformat()
            elif action.due_in_days is not None:
                item["due_in"] = {"days": action.due_in_days, "working": action.due_working}
            if action.due_assumed and ("due" in item or "due_in" in item):
                item["due_assumed"] = True
            if action.amount_vnd is not None and action.kind == ActionKind.recover:
                item["amount_vnd"] = action.amount_vnd
            actions.append(item)
        data["actions"] = actions
        return data


class NotAConclusion(ValueError):
    """The document is not an inspection conclusion; the message says what it looks like instead."""

    def __init__(self, message: str, looks_like: str, cited_conclusion: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.looks_like = looks_like  # "report", "followup_report", "decision", "unknown" …
        self.cited_conclusion = cited_conclusion  # "312/KL-Ttra" for a follow-up report
