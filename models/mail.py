"""What the mail activity needs to render and send one letter (safe inside workflows)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from models.policy import Step
from models.state import NoticeAudience, NoticeKind, Signature


class Audience(StrEnum):
    unit = "unit"  # the unit's own contacts and head: their copy opens the unit's portal, to act
    oversight = "oversight"  # supervisors and heads: their copy opens a read-only view


class LetterCopy(BaseModel):
    audience: Audience
    to: list[str]
    cc: list[str] = Field(default_factory=list)


class LetterLine(BaseModel):
    """One item as the letter lists it."""

    target: str
    ref: str | None = None
    text: str
    kind: str | None = None
    is_report: bool = False
    due: datetime | None = None
    due_assumed: bool = False
    days_overdue: int = 0
    amount_vnd: int | None = None
    progress: str | None = None  # what the spec says was done before registration
    last_reason: str | None = None  # why evidence (or the report) was last returned


class EarlierLetter(BaseModel):
    """A letter really sent to the unit before this one."""

    step: Step
    sent_at: datetime
    number: str | None = None
    signed_on: date | None = None


class LetterRequest(BaseModel):
    key: str
    workflow_id: str
    step: Step
    copies: list[LetterCopy]
    addressees: list[str]  # "Kính gửi" by title
    copied_to: list[str]  # "Nơi nhận" besides the addressees, by title
    number: str
    issued_on: date
    issuer: str
    title: str
    tracking_body: str
    signature: Signature
    unit_code: str = ""
    unit_name: str = ""
    items: list[LetterLine] = Field(default_factory=list)
    earlier: list[EarlierLetter] = Field(default_factory=list)  # the latest letters sent to the unit
    urgings_before: int | None = None  # urging letters sent to the unit before this one, in all (None: count earlier)
    now: datetime
    resend: bool = False  # staff asked to send it again after it failed
    waived: int = 0  # the closing notice: actions waived by staff
    transferred: int = 0  # … and transferred to the investigating authority

    @property
    def recipients(self) -> list[str]:
        return [a for copy in self.copies for a in copy.to]


class NoticeItem(BaseModel):
    """One decision as the notice tells it: about which item, what was decided, why, and what follows."""

    kind: NoticeKind
    target: str | None = None
    ref: str | None = None
    text: str = ""
    is_report: bool = False
    subject: str | None = None  # the evidence, report or extension request decided on (ev-…, rp-…, ext-…)
    files: list[str] = Field(default_factory=list)  # the names of the files decided on
    reason: str | None = None
    new_due: datetime | None = None
    due: datetime | None = None  # the item's deadline now
    due_assumed: bool = False  # that deadline is an assumption (the conclusion sets none): never stated as fact
    by: str
    at: datetime


class NoticeRequest(BaseModel):
    """What the mail activity needs to render and send one notice of decisions (or arrivals)."""

    key: str
    workflow_id: str
    audience: NoticeAudience
    to: list[str]  # the unit's contacts; for officers resolved when sending (their preferences live in SQL)
    number: str
    issued_on: date
    issuer: str
    title: str
    tracking_body: str = ""  # who follows up and decides; empty in requests of runs before it: the issuer's name
    unit_code: str
    unit_name: str
    items: list[NoticeItem]
    now: datetime
    resend: bool = False  # staff asked to send it again after it failed


class MailStatus(StrEnum):
    sent = "sent"
    failed = "failed"


class MailOutcome(BaseModel):
    status: MailStatus
    detail: str = ""


class LetterBatch(BaseModel):
    """The letters and notices one pass of the loop starts, sent by one activity (`send_letters`), each on its own
    inside it."""

    letters: list[LetterRequest]
    notices: list[NoticeRequest] = Field(default_factory=list)

    def requests(self) -> list[LetterRequest | NoticeRequest]:
        """The letters, then the notices."""
        return [*self.letters, *self.notices]


class BatchOutcome(BaseModel):
    """How each letter and notice of a batch ended, by its key. One missing here met a temporary refusal (or an
    error) on its first attempt: the workflow retries it through `send_letter` or `send_notice`, on its own."""

    outcomes: dict[str, MailOutcome] = Field(default_factory=dict)
