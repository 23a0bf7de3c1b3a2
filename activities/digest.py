"""The daily emails' side effects: who receives them today (working days only, by the deadlines' calendar), and one
person's email built from the read model and sent through the letters' outbox, keyed by (kind, day, person), so a
rerun or a retry never sends it twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from email.message import Message

from sqlalchemy import or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio import activity

from activities import configuration
from activities.calendar import WorkingCalendar
from activities.database import get_engine
from activities.mail import deliver_once, message_id
from activities.smtp import pool_for
from dondoc import digests, preferences
from dondoc.digest_mail import overdue_mail, review_mail
from dondoc.logs import get_logger
from dondoc.mail_message import Mail, mail_message
from dondoc.mail_render import RenderedMail
from dondoc.settings import Settings, get_settings
from models.digest import DigestKind, DigestPlan, DigestRun, DigestSend, DigestSent
from models.mail import MailStatus
from models.tables import (
    ActionRow,
    ConclusionRow,
    EvidenceRow,
    ExtensionRequestRow,
    NotificationRow,
    ReportRow,
    UnitRow,
)
from models.vn import VN

PREFERENCE = {DigestKind.review_queue: preferences.Kind.review_queue, DigestKind.overdue: preferences.Kind.digest}
AUDIENCE = {DigestKind.review_queue: "staff", DigestKind.overdue: "oversight"}


def outbox_key(kind: DigestKind, day: date, email: str) -> str:
    return f"digest/{kind.value}/{day.isoformat()}/{email}"


def step_of(kind: DigestKind) -> str:
    return f"digest_{kind.value}"


def plan(engine: Engine, settings: Settings, run: DigestRun, now: datetime) -> DigestPlan:
    day = run.day or now.astimezone(VN).date()
    calendar = WorkingCalendar(configuration.effective_overrides(engine, settings).value)
    if not calendar.is_working_day(day):
        name = calendar.holiday_name(day)
        note = f"{day:%d/%m/%Y} là ngày nghỉ" + (f" ({name})" if name else "") + ": không gửi thư"
        return DigestPlan(day=day, working=False, note=note)
    with Session(engine) as session:
        conclusions = session.exec(select(ConclusionRow).where(ConclusionRow.status == "active")).all()
        if run.kind == DigestKind.overdue:
            active = [c.workflow_id for c in conclusions]
            units = session.exec(select(UnitRow).where(col(UnitRow.workflow_id).in_(active))).all() if active else []
            candidates = digests.digest_recipients(conclusions, units)
        else:
            candidates = preferences.active_staff(session, digests.officers_of(conclusions))
        chosen = preferences.wanting(session, candidates, PREFERENCE[run.kind])
    return DigestPlan(day=day, working=True, recipients=sorted(chosen))


def _overdue(session: Session, email: str, now: datetime) -> digests.OverdueDigest:
    by_unit = select(UnitRow.workflow_id).where(or_(col(UnitRow.head) == email, col(UnitRow.supervisor) == email))
    conclusions = session.exec(
        select(ConclusionRow).where(
            ConclusionRow.status == "active",
            or_(
                col(ConclusionRow.inspectorate_head) == email,
                col(ConclusionRow.agency_head) == email,
                col(ConclusionRow.workflow_id).in_(by_unit),
            ),
        )
    ).all()
    ids = [c.workflow_id for c in conclusions]
    if not ids:
        return digests.OverdueDigest(email, [])
    units = session.exec(select(UnitRow).where(col(UnitRow.workflow_id).in_(ids))).all()
    actions = session.exec(
        select(ActionRow).where(
            col(ActionRow.workflow_id).in_(ids), col(ActionRow.status).in_(digests.UNRESOLVED), col(ActionRow.due) < now
        )
    ).all()
    outbox = session.exec(
        select(NotificationRow).where(col(NotificationRow.workflow_id).in_(ids), NotificationRow.status == "sent")
    ).all()
    return digests.overdue_digest(email, conclusions, units, actions, outbox, now)


def _review(session: Session, email: str, now: datetime) -> digests.ReviewQueue:
    active = session.exec(select(ConclusionRow).where(ConclusionRow.status == "active")).all()
    conclusions = [c for c in active if email in c.officers]
    ids = [c.workflow_id for c in conclusions]
    if not ids:
        return digests.ReviewQueue(email, [])

    evidence = session.exec(
        select(EvidenceRow).where(col(EvidenceRow.workflow_id).in_(ids), EvidenceRow.status == "submitted")
    ).all()
    reports = session.exec(
        select(ReportRow).where(col(ReportRow.workflow_id).in_(ids), ReportRow.status == "submitted")
    ).all()
    requests = session.exec(
        select(ExtensionRequestRow).where(
            col(ExtensionRequestRow.workflow_id).in_(ids), ExtensionRequestRow.status == "requested"
        )
    ).all()
    units = session.exec(select(UnitRow).where(col(UnitRow.workflow_id).in_(ids))).all()
    wanted = {(e.workflow_id, e.action_id) for e in evidence} | {(r.workflow_id, r.action_id) for r in requests}
    actions = (
        [
            a
            for a in session.exec(
                select(ActionRow).where(
                    col(ActionRow.workflow_id).in_({w for w, _ in wanted}),
                    col(ActionRow.action_id).in_({a for _, a in wanted}),
                )
            ).all()
            if (a.workflow_id, a.action_id) in wanted
        ]
        if wanted
        else []
    )
    return digests.review_queue(email, conclusions, units, actions, evidence, reports, requests, now)


def compose(
    engine: Engine, settings: Settings, request: DigestSend, now: datetime
) -> tuple[RenderedMail, list[str]] | None:
    """The person's email and the items it lists, or None when nothing is for them."""
    with Session(engine) as session:
        if request.kind == DigestKind.overdue:
            digest = _overdue(session, request.email, now)
            if not digest.item_count:
                return None
            items = [f"{c.workflow_id}/{i.target}" for c in digest.conclusions for u in c.units for i in u.items]
            return overdue_mail(digest, request.day, settings.link_base), items
        queue = _review(session, request.email, now)
        if not queue.items:
            return None
        return review_mail(queue, request.day, settings.link_base), [
            f"{i.workflow_id}/{i.item_id}" for i in queue.items
        ]


def outbox_row(request: DigestSend, mail: RenderedMail, items: list[str]) -> NotificationRow:
    """The person's email of the day in the letters' outbox (no conclusion: `workflow_id` is empty)."""
    key = outbox_key(request.kind, request.day, request.email)
    return NotificationRow(
        key=key,
        message_id=message_id(key),
        letter_key=key,
        audience=AUDIENCE[request.kind],
        workflow_id="",
        target="digest",
        items=items,
        unit="",
        step=step_of(request.kind),
        recipients=[request.email],
        subject=mail.subject,
        status="pending",
        created_at=datetime.now(UTC),
    )


def settled(engine: Engine, request: DigestSend) -> NotificationRow | None:
    with Session(engine) as session:
        row = session.get(NotificationRow, outbox_key(request.kind, request.day, request.email))
    return row if row is not None and row.status in (MailStatus.sent, MailStatus.failed) else None


def wants(engine: Engine, request: DigestSend) -> bool:
    """The person's choice now (it may have changed since the run was planned)."""
    with Session(engine) as session:
        return bool(preferences.wanting(session, [request.email], PREFERENCE[request.kind]))


def build_message(settings: Settings, request: DigestSend, mail: RenderedMail, now: datetime) -> Message:
    key = outbox_key(request.kind, request.day, request.email)
    return mail_message(
        Mail(
            sender=settings.mail_from,
            to=[request.email],
            subject=mail.subject,
            text=mail.text,
            html=mail.html,
            message_id=message_id(key),
            date=now.astimezone(VN),
            extra={"X-Dondoc-Key": key, "Auto-Submitted": "auto-generated"},
        )
    )


async def send(engine: Engine, settings: Settings, request: DigestSend, now: datetime) -> DigestSent:
    log = get_logger(kind=request.kind.value, day=request.day.isoformat(), to=request.email)
    earlier = await asyncio.to_thread(settled, engine, request)
    if earlier is not None:  # a rerun the same day: what was settled stays settled
        return DigestSent(email=request.email, status="already", items=len(earlier.items))
    if not await asyncio.to_thread(wants, engine, request):
        return DigestSent(email=request.email, status="off")
    composed = await asyncio.to_thread(compose, engine, settings, request, now)
    if composed is None:
        return DigestSent(email=request.email, status="empty")
    mail, items = composed
    row, message = outbox_row(request, mail, items), build_message(settings, request, mail, now)
    outcome = await deliver_once(engine, pool_for(settings), row, message)
    log.info("digest_" + outcome.status.value, items=len(items), detail=outcome.detail)
    return DigestSent(email=request.email, status=outcome.status.value, items=len(items), detail=outcome.detail)


@activity.defn(name="plan_digest")
async def plan_digest(run: DigestRun) -> DigestPlan:
    settings = get_settings()
    engine = get_engine(settings.sqlalchemy_url)
    return await asyncio.to_thread(plan, engine, settings, run, datetime.now(UTC))


@activity.defn(name="send_digest")
async def send_digest(request: DigestSend) -> DigestSent:
    settings = get_settings()
    return await send(get_engine(settings.sqlalchemy_url), settings, request, datetime.now(UTC))
