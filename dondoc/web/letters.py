"""Letters as staff see them: one per unit and step, each with its copies (the unit's own, the oversight one), its
items, how sending went and the office number staff recorded; and the DOCX of a letter drawn up now.

What the pages and the API share. A letter is put together from the audit trail (what the workflow recorded: sent,
failed, sent again, numbered) and the outbox (one row per copy: recipients and the mail server's answer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from starlette.concurrency import run_in_threadpool

from dondoc.gateway import NotFound, Refused
from dondoc.letters.compose import letter_filename, letter_text
from dondoc.letters.docx import letter_docx
from dondoc.web import sending
from dondoc.web.clock import clock
from dondoc.web.context import AppContext
from models.labels import NOTICE_STEP, STEP
from models.planning import is_report_target
from models.policy import Step
from models.tables import AuditEventRow, NotificationRow

DOCX_STEPS = (Step.urging, Step.second_urging, Step.proposal)  # the formal letters staff number, sign and dispatch
AUDIENCE = {"unit": "Bản gửi đơn vị", "oversight": "Bản để biết, theo dõi"}
STATUS = {"sent": "Đã gửi", "failed": "Gửi lỗi", "pending": "Đang gửi"}
MAX_NUMBER = 64


def status_text(status: str, answer: str | None = None) -> str:
    """How a letter (or one copy) went, for staff: «Đã gửi», «Gửi lỗi: <why, in words>», «Đang gửi», «Đang gửi lại:
    <why the last attempt was refused>»; never the mail server's raw answer."""
    if status == "failed":
        return f"Gửi lỗi: {sending.failure_text(answer)}"
    if status == "pending" and answer:  # refused for now: retried with backoff
        return f"Đang gửi lại: {sending.failure_text(answer)}"
    refused = sending.refused_text(answer) if status == "sent" else None
    return f"Đã gửi; {refused}" if refused else STATUS.get(status, status)


def items_text(count: int) -> str:
    return f"{count} nội dung"


def step_label(step: str) -> str:
    try:
        return STEP[Step(step)]
    except ValueError:
        return NOTICE_STEP.get(step, step)


@dataclass
class CopyView:
    """One copy of a letter (one outbox row)."""

    key: str
    audience: str
    recipients: list[str]
    cc: list[str]
    status: str
    answer: str | None
    attempts: int

    @property
    def audience_label(self) -> str:
        return AUDIENCE.get(self.audience, self.audience)

    @property
    def status_text(self) -> str:
        return status_text(self.status, self.answer)


@dataclass
class LetterView:
    key: str
    unit: str
    step: str
    at: datetime | None
    items: list[str] = field(default_factory=list)
    status: str = "pending"  # sent | failed | pending (also: sent again after a failure, on its way)
    detail: str | None = None  # why it failed, as the workflow recorded it
    copies: list[CopyView] = field(default_factory=list)
    number: str | None = None
    signed_on: date | None = None
    recorded: bool = False  # the workflow recorded how it went (else only the outbox tells)

    @property
    def slug(self) -> str:
        """The key as an HTML id."""
        return re.sub(r"[^A-Za-z0-9_-]+", "-", self.key).strip("-")

    @property
    def step_label(self) -> str:
        return step_label(self.step)

    @property
    def items_text(self) -> str:
        return items_text(len(self.items))

    @property
    def status_text(self) -> str:
        if self.status == "pending":  # on its way; why its last attempt was refused, if it was
            retried = [c.answer for c in self.copies if c.status == "pending" and c.answer]
            return status_text(self.status, "; ".join(retried) or None)
        failed = [c.answer for c in self.copies if c.status == "failed" and c.answer]
        return status_text(self.status, "; ".join(failed) or self.detail)


def _parts(key: str) -> tuple[str, str]:
    """(unit, step) of a letter key: '<workflow id>/<unit>/<step>/<seq>', or '<workflow id>/closing'."""
    parts = key.split("/")
    if len(parts) == 4 and parts[2] in Step.__members__:
        return parts[1], parts[2]
    return "", Step.closing.value if parts[-1] == Step.closing.value else ""


def _unit_of(target: str | None, key: str) -> str:
    if target and is_report_target(target):
        return target.removeprefix("report.")
    return _parts(key)[0]


def _day(value: object) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def letters(events: list[AuditEventRow], outbox: list[NotificationRow]) -> list[LetterView]:
    """Every letter of a conclusion, oldest first: what the audit trail says last, with its copies from the outbox."""
    found: dict[str, LetterView] = {}
    for event in events:
        key = str(event.data.get("key", ""))
        if not key:
            continue
        if event.kind in ("notification_sent", "notification_failed"):
            letter = found.get(key)
            if letter is None:
                letter = found[key] = LetterView(key, _unit_of(event.target, key), _parts(key)[1], event.at)
            letter.status = "sent" if event.kind == "notification_sent" else "failed"
            letter.recorded, letter.at = True, event.at
            items = event.data.get("items")
            letter.items = [str(i) for i in items] if isinstance(items, list) else letter.items
            # the mail server's answer ends the message: '… tới <recipients>: <answer>'
            letter.detail = (event.message.partition(": ")[2] or event.message) if letter.status == "failed" else None
        elif event.kind == "notification_resend_requested" and key in found:
            found[key].status = "pending"
        elif event.kind == "letter_numbered" and key in found:
            found[key].number = str(event.data.get("number") or "") or None
            found[key].signed_on = _day(event.data.get("signed_on"))
    for row in outbox:
        if row.step in NOTICE_STEP:
            continue  # notices of decisions are emails, not letters of the ladder
        key = row.letter_key or row.key.rsplit("/", 1)[0]
        letter = found.get(key)
        if letter is None:
            letter = found[key] = LetterView(key, row.unit, row.step, row.sent_at or row.created_at, list(row.items))
        elif not letter.items:
            letter.items = list(row.items)
        letter.copies.append(
            CopyView(
                row.key, row.audience, list(row.recipients), list(row.cc), row.status, row.smtp_answer, row.attempts
            )
        )
    for letter in found.values():
        letter.copies.sort(key=lambda c: (c.audience != "unit", c.key))
        statuses = {c.status for c in letter.copies}
        if "pending" in statuses and not (letter.recorded and letter.status == "failed"):
            letter.status = "pending"  # on its way (again); recorded failed: the workflow stopped retrying
        elif not letter.recorded and statuses:
            letter.status = "failed" if "failed" in statuses else "sent"
    return sorted(found.values(), key=lambda letter: (letter.at is None, letter.at, letter.key))


def docx_step(value: str) -> Step:
    """One of the formal steps a letter can be downloaded for; otherwise NotFound with what exists."""
    if value in (s.value for s in DOCX_STEPS):
        return Step(value)
    names = ", ".join(f"{s.value} ({STEP[s]})" for s in DOCX_STEPS)
    raise NotFound(f"Không có văn bản đôn đốc bậc '{value}'; chỉ tải được các bậc: {names}.")


async def draft_docx(ctx: AppContext, workflow_id: str, unit: str, step: Step) -> tuple[bytes, str]:
    """The letter of `step` to `unit` as it would read now, listing everything the unit still owes, as a Word file
    to number, sign and dispatch; Refused when the unit owes nothing."""
    request = await ctx.gateway.letter(workflow_id, unit, step.value, clock())  # as of today, not the last wake-up
    if not request.items:
        raise Refused(f"{request.unit_name or unit} không còn nội dung nào phải đôn đốc; không lập văn bản.")
    content = await run_in_threadpool(lambda: letter_docx(letter_text(request)))
    return content, letter_filename(request)
