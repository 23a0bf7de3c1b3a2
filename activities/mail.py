"""Sending notices by email, exactly once per key: an outbox row is written before sending.

The key is the Message-ID. A retry finds the row already `sent` and sends nothing. SMTP 5xx answers are permanent
(recorded as `failed`, not retried); 4xx answers and connection errors raise, so Temporal retries with backoff.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio import activity

from activities.database import get_engine
from dondoc import links
from dondoc.logs import get_logger
from dondoc.mail_render import RenderedMail, render
from dondoc.settings import Settings, get_settings
from models.labels import VN
from models.mail import MailOutcome, MailRequest, MailStatus
from models.planning import report_target
from models.tables import NotificationRow


def message_id(key: str) -> str:
    return f"<{key}@dondoc>"


def claim(engine: Engine, request: MailRequest, mail: RenderedMail) -> MailOutcome | None:
    """Write (or find) the outbox row. Returns the earlier outcome when this key was settled already."""
    with Session(engine) as session:
        row = session.get(NotificationRow, request.key, with_for_update=True)
        if row is not None and row.status == MailStatus.failed and request.resend:
            row.status, row.smtp_answer = "pending", None  # staff asked for it again
        elif row is not None and row.status in (MailStatus.sent, MailStatus.failed):
            return MailOutcome(status=MailStatus(row.status), detail=row.smtp_answer or "")
        if row is None:
            row = NotificationRow(
                key=request.key,
                message_id=message_id(request.key),
                workflow_id=request.workflow_id,
                target=request.action_id or (report_target(request.unit_code) if request.is_report else "conclusion"),
                unit=request.unit_code,
                step=request.step.value,
                recipients=request.to,
                cc=request.cc,
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
        row = session.exec(select(NotificationRow).where(NotificationRow.key == key)).one()
        row.status = outcome.status.value
        row.smtp_answer = outcome.detail
        if outcome.status == MailStatus.sent:
            row.sent_at = datetime.now(UTC)
        session.add(row)
        session.commit()


def build_message(settings: Settings, request: MailRequest, mail: RenderedMail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = ", ".join(request.to)
    if request.cc:
        message["Cc"] = ", ".join(request.cc)
    message["Subject"] = mail.subject
    message["Message-ID"] = message_id(request.key)
    message["Date"] = format_datetime(request.now.astimezone(VN))
    message["X-Dondoc-Key"] = request.key
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


async def deliver(settings: Settings, message: EmailMessage) -> MailOutcome:
    """One SMTP transaction. Permanent refusals come back as `failed`; temporary ones raise."""
    host, port = settings.effective_smtp
    try:
        refused, answer = await aiosmtplib.send(
            message,
            hostname=host,
            port=port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            start_tls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_seconds,
        )
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


def notice_link(engine: Engine, settings: Settings, request: MailRequest) -> str:
    """The unit's portal through a signed link (one per notice key, so a retry carries the same link)."""
    if not request.unit_code:
        return f"{settings.link_base}/conclusions/{request.workflow_id}"
    link_id = hashlib.sha256(request.key.encode()).hexdigest()[:16]
    token = links.issue(
        engine, settings.signing_key, request.workflow_id, request.unit_code, settings.link_days, link_id=link_id
    )
    return f"{settings.link_base}/portal/{token}"


async def send(engine: Engine, settings: Settings, request: MailRequest) -> MailOutcome:
    link = await asyncio.to_thread(notice_link, engine, settings, request)
    mail = render(request, link)
    log = get_logger(key=request.key, unit=request.unit_code, action=request.action_id, step=request.step.value)
    earlier = await asyncio.to_thread(claim, engine, request, mail)
    if earlier is not None:
        log.info("mail_already_settled", status=earlier.status.value)
        return earlier
    outcome = await deliver(settings, build_message(settings, request, mail))
    await asyncio.to_thread(settle, engine, request.key, outcome)
    log.info("mail_" + outcome.status.value, to=request.to, cc=request.cc, detail=outcome.detail)
    return outcome


@activity.defn(name="send_notification")
async def send_notification(request: MailRequest) -> MailOutcome:
    settings = get_settings()
    return await send(get_engine(settings.sqlalchemy_url), settings, request)
