"""Sending letters by email, exactly once per copy: an outbox row is written before sending.

A letter has at most two copies: the unit's own (with the link that acts for the unit) and the oversight copy
(supervisors and heads, with a read-only link). Each copy's outbox key is its Message-ID, so a retry finds the copy
already `sent` and sends nothing. SMTP 5xx answers are permanent (recorded as `failed`, not retried); 4xx answers
and connection errors raise, so Temporal retries this unit's letter with backoff while other units' letters go on.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib
from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio import activity

from activities.database import get_engine
from activities.smtp import SmtpPool, pool_for
from dondoc import links
from dondoc.letters.compose import letter_filename, letter_text
from dondoc.letters.docx import letter_docx
from dondoc.logs import get_logger
from dondoc.mail_render import RenderedMail, render
from dondoc.settings import Settings, get_settings
from models.labels import VN
from models.mail import Audience, LetterCopy, LetterRequest, MailOutcome, MailStatus
from models.planning import report_target
from models.policy import Step
from models.tables import NotificationRow

FORMAL_STEPS = frozenset({Step.urging, Step.second_urging, Step.proposal})  # these carry the letter as DOCX
DOCX_TYPE = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")


def copy_key(letter_key: str, audience: Audience) -> str:
    return f"{letter_key}/{audience.value}"


def message_id(key: str) -> str:
    return f"<{key}@dondoc>"


def claim(engine: Engine, request: LetterRequest, copy: LetterCopy, mail: RenderedMail) -> MailOutcome | None:
    """Write (or find) the copy's outbox row. Returns the earlier outcome when it was settled already."""
    key = copy_key(request.key, copy.audience)
    with Session(engine) as session:
        row = session.get(NotificationRow, key, with_for_update=True)
        if row is not None and row.status == MailStatus.failed and request.resend:
            row.status, row.smtp_answer = "pending", None  # staff asked for it again
        elif row is not None and row.status in (MailStatus.sent, MailStatus.failed):
            return MailOutcome(status=MailStatus(row.status), detail=row.smtp_answer or "")
        if row is None:
            items = [line.target for line in request.items]
            row = NotificationRow(
                key=key,
                message_id=message_id(key),
                letter_key=request.key,
                audience=copy.audience.value,
                workflow_id=request.workflow_id,
                target=items[0]
                if len(items) == 1
                else (report_target(request.unit_code) if request.unit_code else "conclusion"),
                items=items,
                unit=request.unit_code,
                step=request.step.value,
                recipients=copy.to,
                cc=copy.cc,
                subject=mail.subject,
                status="pending",
                created_at=datetime.now(UTC),
            )
        row.attempts += 1
        session.add(row)
        session.commit()
    return None


def settle(engine: Engine, key: str, outcome: MailOutcome) -> None:
    with Session(engine) as session:
        row = session.get(NotificationRow, key)
        assert row is not None
        row.status = outcome.status.value
        row.smtp_answer = outcome.detail
        if outcome.status == MailStatus.sent:
            row.sent_at = datetime.now(UTC)
        session.add(row)
        session.commit()


def build_message(
    settings: Settings, request: LetterRequest, copy: LetterCopy, mail: RenderedMail, attachment: bytes | None
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = ", ".join(copy.to)
    if copy.cc:
        message["Cc"] = ", ".join(copy.cc)
    message["Subject"] = mail.subject
    message["Message-ID"] = message_id(copy_key(request.key, copy.audience))
    message["Date"] = format_datetime(request.now.astimezone(VN))
    message["X-Dondoc-Key"] = request.key
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    if attachment is not None:
        message.add_attachment(attachment, *DOCX_TYPE, filename=letter_filename(request))
    return message


async def deliver(pool: SmtpPool, message: EmailMessage) -> MailOutcome:
    """One SMTP transaction. Permanent refusals come back as `failed`; temporary ones raise."""
    try:
        refused, answer = await pool.send(message)
    except aiosmtplib.SMTPRecipientsRefused as error:
        codes = [r.code for r in error.recipients]
        detail = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in error.recipients)
        if all(500 <= code < 600 for code in codes):
            return MailOutcome(status=MailStatus.failed, detail=detail)
        raise
    except aiosmtplib.SMTPResponseException as error:
        if 500 <= error.code < 600:
            return MailOutcome(status=MailStatus.failed, detail=f"{error.code} {error.message}")
        raise
    detail = answer
    if refused:  # some recipients refused, the others accepted: record who did not get it
        detail += "; " + "; ".join(f"{address}: {code} {text}" for address, (code, text) in refused.items())
    return MailOutcome(status=MailStatus.sent, detail=detail)


def copy_link(engine: Engine, settings: Settings, request: LetterRequest, copy: LetterCopy) -> str:
    """The unit's portal (acting) or a read-only view of it, through a signed link per copy: a retry carries the
    same link. Without a unit (the closing notice) the conclusion's page."""
    if not request.unit_code:
        return f"{settings.link_base}/conclusions/{request.workflow_id}"
    link_id = hashlib.sha256(copy_key(request.key, copy.audience).encode()).hexdigest()[:16]
    token = links.issue(
        engine,
        settings.signing_key,
        request.workflow_id,
        request.unit_code,
        settings.link_days,
        link_id=link_id,
        view_only=copy.audience != Audience.unit,
    )
    return f"{settings.link_base}/portal/{token}"


async def send_copy(
    engine: Engine, settings: Settings, pool: SmtpPool, request: LetterRequest, copy: LetterCopy, docx: bytes | None
) -> MailOutcome:
    key = copy_key(request.key, copy.audience)
    link = await asyncio.to_thread(copy_link, engine, settings, request, copy)
    mail = render(request, copy, link)
    log = get_logger(key=key, unit=request.unit_code, step=request.step.value, items=len(request.items))
    earlier = await asyncio.to_thread(claim, engine, request, copy, mail)
    if earlier is not None:
        log.info("mail_already_settled", status=earlier.status.value)
        return earlier
    outcome = await deliver(pool, build_message(settings, request, copy, mail, docx))
    await asyncio.to_thread(settle, engine, key, outcome)
    log.info("mail_" + outcome.status.value, to=copy.to, cc=copy.cc, detail=outcome.detail)
    return outcome


async def send(engine: Engine, settings: Settings, request: LetterRequest) -> MailOutcome:
    """Every copy of one letter; the letter is sent when every copy went out, failed when one was refused."""
    docx = letter_docx(letter_text(request)) if request.step in FORMAL_STEPS else None
    pool = pool_for(settings)
    outcomes = [await send_copy(engine, settings, pool, request, copy, docx) for copy in request.copies]
    failed = [o for o in outcomes if o.status == MailStatus.failed]
    detail = "; ".join(o.detail for o in outcomes if o.detail)
    return MailOutcome(status=MailStatus.failed if failed else MailStatus.sent, detail=detail)


@activity.defn(name="send_letter")
async def send_letter(request: LetterRequest) -> MailOutcome:
    settings = get_settings()
    return await send(get_engine(settings.sqlalchemy_url), settings, request)
