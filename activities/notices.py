"""Sending notices of decisions (to a unit) and of arrivals (to officers who asked for them), exactly once.

The same outbox as letters: a row per notice whose key is its Message-ID, written before sending; a retry finds it
settled and sends nothing. The unit's notice carries the link that acts for the unit; the officers' the review queue.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime
from email.message import Message

from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio import activity

from activities.database import get_engine
from activities.mail import deliver_once, heartbeating, message_id
from activities.smtp import pool_for
from dondoc import links
from dondoc.logs import get_logger
from dondoc.mail_message import Mail, mail_message
from dondoc.mail_render import RenderedMail
from dondoc.notice_mail import render
from dondoc.preferences import immediate_review_recipients
from dondoc.settings import Settings, get_settings
from models.labels import VN
from models.mail import MailOutcome, MailStatus, NoticeRequest
from models.state import NoticeAudience, NoticeKind
from models.tables import NotificationRow
from models.web_tables import PortalLink

STEP = {NoticeAudience.unit: "decision", NoticeAudience.officers: "arrival"}  # the outbox's `step` of a notice


def recipients(engine: Engine, request: NoticeRequest) -> list[str]:
    if request.audience == NoticeAudience.officers:
        with Session(engine) as session:
            return immediate_review_recipients(session, request.workflow_id)
    return list(request.to)


def link(settings: Settings, request: NoticeRequest) -> tuple[str | None, PortalLink | None]:
    """The unit's portal through a signed link (the same on a retry) and its record, saved with the outbox row; the
    review queue for officers; none when the conclusion was withdrawn (nothing is left to do)."""
    if request.audience == NoticeAudience.officers:
        return f"{settings.link_base}/review", None
    if all(item.kind == NoticeKind.withdrawn for item in request.items):
        return None, None
    record = links.new_link(
        request.workflow_id,
        request.unit_code,
        settings.link_days,
        link_id=hashlib.sha256(request.key.encode()).hexdigest()[:16],
    )
    return f"{settings.link_base}/portal/{links.token(settings.signing_key, record)}", record


def outbox_row(request: NoticeRequest, to: list[str], mail: RenderedMail) -> NotificationRow:
    targets = [item.target for item in request.items if item.target]
    return NotificationRow(
        key=request.key,
        message_id=message_id(request.key),
        letter_key=request.key,
        audience=request.audience.value,
        workflow_id=request.workflow_id,
        target=targets[0] if len(set(targets)) == 1 else "conclusion",
        items=list(dict.fromkeys(targets)),
        unit=request.unit_code,
        step=STEP[request.audience],
        recipients=to,
        cc=[],
        subject=mail.subject,
        status="pending",
        created_at=datetime.now(UTC),
    )


def build_message(settings: Settings, request: NoticeRequest, to: list[str], mail: RenderedMail) -> Message:
    return mail_message(
        Mail(
            sender=settings.mail_from,
            to=to,
            subject=mail.subject,
            text=mail.text,
            html=mail.html,
            message_id=message_id(request.key),
            date=request.now.astimezone(VN),
            extra={"X-Dondoc-Key": request.key},
        )
    )


async def send(engine: Engine, settings: Settings, request: NoticeRequest) -> MailOutcome:
    log = get_logger(key=request.key, unit=request.unit_code, audience=request.audience.value)
    to = await asyncio.to_thread(recipients, engine, request)
    if not to:
        log.info("notice_without_recipients")
        return MailOutcome(status=MailStatus.sent, detail="Không có người nhận (không ai đăng ký nhận thông báo này).")
    url, record = link(settings, request)
    mail = render(request, url)
    outcome = await deliver_once(
        engine,
        pool_for(settings),
        outbox_row(request, to, mail),
        build_message(settings, request, to, mail),
        request.resend,
        record,
    )
    log.info("notice_" + outcome.status.value, to=to, detail=outcome.detail)
    return outcome


async def send_configured(request: NoticeRequest) -> MailOutcome:
    """One notice, with this process's settings and read model."""
    settings = get_settings()
    return await send(get_engine(settings.sqlalchemy_url), settings, request)


@activity.defn(name="send_notice")
async def send_notice(request: NoticeRequest) -> MailOutcome:
    return await heartbeating(send_configured(request))
