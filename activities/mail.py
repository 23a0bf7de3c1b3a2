"""Sending letters by email, exactly once per copy: an outbox row is written before DATA.

A letter has at most two copies: the unit's own (with the link that acts for the unit) and the oversight copy
(supervisors and heads, with a read-only link). Each copy's outbox key is its Message-ID, so a retry finds the copy
already `sent` and sends nothing. SMTP 5xx answers are permanent (recorded as `failed`, not retried); 4xx answers
and connection errors raise, so Temporal retries this unit's letter with backoff while other units' letters go on.

Two marks per copy: once the relay accepted the envelope, one claims the row (with the link it carries) and marks it
handed over, committed right before DATA; one records the relay's answer, committed right after it. The only window
for a duplicate is DATA itself: a retry that finds a handover unanswered sends again with the same Message-ID and
counts it (docs/mail-delivery.md). The marks of copies going out at once share transactions (group commit,
`activities/group_commit.py`): a copy sent alone costs two, a pass of many letters fewer than one per letter.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import time
from collections.abc import Awaitable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from typing import TypeVar

import aiosmtplib
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col
from temporalio import activity

from activities.database import get_engine, upsert
from activities.group_commit import DATABASE_ERRORS, group_commit, in_own_transaction
from activities.smtp import Handover, SmtpPool, pool_for
from dondoc import links
from dondoc.letters.compose import letter_filename, letter_text
from dondoc.letters.docx import letter_docx
from dondoc.logs import get_logger
from dondoc.mail_message import Attachment, Mail, mail_message
from dondoc.mail_render import RenderedMail, render
from dondoc.settings import Settings, get_settings
from models.labels import VN
from models.mail import Audience, LetterCopy, LetterRequest, MailOutcome, MailStatus
from models.planning import report_target
from models.policy import Step
from models.tables import NotificationRow
from models.web_tables import PortalLink

FORMAL_STEPS = frozenset({Step.urging, Step.second_urging, Step.proposal})  # these carry the letter as DOCX
DOCX_TYPE = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")
SETTLE_PATIENCE_SECONDS = 60.0  # an answer the database cannot take yet is retried this long (the activity has 120 s)

# Set while the letters and notices of a workflow's pass are sent for the first time (`send_letters`): no attempt
# claimed their copies before, so the outbox is not read ahead of the envelope. A retry reads it first, and sends
# nothing (not even an envelope) for a copy settled already.
FIRST_ATTEMPT: ContextVar[bool] = ContextVar("first_attempt", default=False)
T = TypeVar("T")


@dataclass(frozen=True)
class Refusal:
    """The relay (or the way to it) refused an attempt before DATA: for good (a 5xx) or for now."""

    permanent: bool
    answer: str


class AlreadySettled(Exception):
    """The copy's outbox row was settled by an earlier attempt: DATA is not sent."""

    def __init__(self, outcome: MailOutcome) -> None:
        super().__init__(outcome.status.value)
        self.outcome = outcome


def copy_key(letter_key: str, audience: Audience) -> str:
    return f"{letter_key}/{audience.value}"


def message_id(key: str) -> str:
    return f"<{key}@dondoc>"


def claim_in(
    session: Session,
    new: NotificationRow,
    resend: bool = False,
    link: PortalLink | None = None,
    refusal: Refusal | None = None,
) -> MailOutcome | None:
    """Right before DATA, once the relay accepted the envelope: write (or find) a copy's outbox row (`new`, when
    there is none yet) with the record of the portal `link` it carries, and mark it handed over. Returns the earlier
    outcome when it was settled already (DATA is then not sent); `resend`: staff asked for a failed one again. With
    a `refusal` before DATA the attempt is recorded instead, nothing handed over: the row settles `failed` for a
    permanent refusal and stays `pending`, with the relay's answer, for a temporary one. Committed by the caller."""
    key, now = new.key, datetime.now(UTC)
    new.attempts = 1
    _record_attempt(new, now, refusal)
    if upsert(session, [new], overwrite=False):  # the first attempt (nearly always): one INSERT, no read
        if link is not None and refusal is None:
            upsert(session, [link], overwrite=False)  # a retry carries the same link
        return None
    row = session.get(NotificationRow, key, with_for_update=True)
    earlier = _settled_outcome(row, resend)
    if earlier is not None:
        return earlier
    if row is not None and row.status == MailStatus.failed:  # `resend`: staff asked for it again
        row.status, row.smtp_answer = "pending", None
    elif row is not None and row.handed_over_at is not None:
        # An earlier attempt died (or timed out) between DATA and the relay's answer: the message may have
        # arrived. A lost letter is worse than a second copy with the same Message-ID, so it goes again.
        get_logger(key=key).warning("mail_handover_unconfirmed", handed_over_at=row.handed_over_at.isoformat())
        row.unconfirmed_handovers += 1
    if row is None:  # gone since the INSERT found it (never in practice): written as new
        row = new
        row.attempts = 0
    row.attempts += 1
    _record_attempt(row, now, refusal)
    session.merge(row)  # `new` stays the caller's: a group written again mark by mark writes it again
    if link is not None and refusal is None:
        upsert(session, [link], overwrite=False)  # a retry carries the same link
    return None


def claim(
    engine: Engine, new: NotificationRow, resend: bool = False, link: PortalLink | None = None
) -> MailOutcome | None:
    """`claim_in` in a transaction of its own."""
    return in_own_transaction(engine, functools.partial(claim_in, new=new, resend=resend, link=link))


def _record_attempt(row: NotificationRow, now: datetime, refusal: Refusal | None) -> None:
    """An attempt about to send DATA marks the row handed over; one refused before records why."""
    if refusal is None:
        row.handed_over_at, row.smtp_answer = now, None  # an earlier refusal's answer no longer says how it goes
        return
    row.handed_over_at, row.smtp_answer = None, refusal.answer
    if refusal.permanent:
        row.status = MailStatus.failed.value


def settled(engine: Engine, key: str, resend: bool = False) -> MailOutcome | None:
    """The outcome of a copy an earlier attempt settled, read before a retry opens an envelope."""
    with Session(engine) as session:
        return _settled_outcome(session.get(NotificationRow, key), resend)


def _settled_outcome(row: NotificationRow | None, resend: bool) -> MailOutcome | None:
    """How an earlier attempt settled the copy (`sent`, or `failed` unless staff asked to `resend` it); None when it
    is still to go."""
    if row is None or row.status not in (MailStatus.sent, MailStatus.failed):
        return None
    if row.status == MailStatus.failed and resend:
        return None
    return MailOutcome(status=MailStatus(row.status), detail=row.smtp_answer or "")


def copy_row(request: LetterRequest, copy: LetterCopy, mail: RenderedMail) -> NotificationRow:
    """The outbox row of one copy of a letter."""
    key = copy_key(request.key, copy.audience)
    items = [line.target for line in request.items]
    return NotificationRow(
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


def _update(session: Session, key: str, **values: object) -> None:
    """One UPDATE of the copy's row."""
    done = session.connection().execute(update(NotificationRow).where(col(NotificationRow.key) == key).values(**values))
    if done.rowcount != 1:
        raise LookupError(f"no outbox row {key}")


def release_in(session: Session, key: str, answer: str) -> None:
    """The relay answered DATA with a temporary refusal: nothing was handed over."""
    _update(session, key, handed_over_at=None, smtp_answer=answer)


def settle_in(session: Session, key: str, outcome: MailOutcome) -> None:
    values: dict[str, object] = {"status": outcome.status.value, "smtp_answer": outcome.detail, "handed_over_at": None}
    if outcome.status == MailStatus.sent:
        values["sent_at"] = datetime.now(UTC)
    _update(session, key, **values)


def settle(engine: Engine, key: str, outcome: MailOutcome) -> None:
    """`settle_in` in a transaction of its own."""
    in_own_transaction(engine, functools.partial(settle_in, key=key, outcome=outcome))


async def settle_patiently(engine: Engine, key: str, outcome: MailOutcome) -> None:
    """Record the relay's answer, retrying while the database is unreachable: the answer is known, and giving up
    would leave the handover unconfirmed (a second copy on retry)."""
    deadline, pause = time.monotonic() + SETTLE_PATIENCE_SECONDS, 0.2
    while True:
        try:
            return await group_commit(engine).write(functools.partial(settle_in, key=key, outcome=outcome))
        except DATABASE_ERRORS:
            if time.monotonic() + pause > deadline:
                raise
            get_logger(key=key).warning("mail_settle_retry", status=outcome.status.value, pause=pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)


def build_message(
    settings: Settings, request: LetterRequest, copy: LetterCopy, mail: RenderedMail, attachment: bytes | None
) -> Message:
    return mail_message(
        Mail(
            sender=settings.mail_from,
            to=copy.to,
            cc=copy.cc,
            subject=mail.subject,
            text=mail.text,
            html=mail.html,
            message_id=message_id(copy_key(request.key, copy.audience)),
            date=request.now.astimezone(VN),
            extra={"X-Dondoc-Key": request.key},
            attachment=None if attachment is None else Attachment(attachment, DOCX_TYPE[1], letter_filename(request)),
        )
    )


async def deliver(pool: SmtpPool, message: Message, handover: Handover | None = None) -> MailOutcome:
    """One SMTP transaction (`handover` runs right before DATA). Permanent refusals come back as `failed`;
    temporary ones raise."""
    try:
        refused, answer = await pool.send(message, handover)
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


def copy_link(settings: Settings, request: LetterRequest, copy: LetterCopy) -> tuple[str | None, PortalLink | None]:
    """The unit's portal (acting) or a read-only view of it, through a signed link per copy (a retry carries the same
    link), and the link's record, saved with the outbox row. Without a unit (the closing notice, to every unit's
    people, most without an account for the staff pages) no link."""
    if not request.unit_code:
        return None, None
    link = links.new_link(
        request.workflow_id,
        request.unit_code,
        settings.link_days,
        link_id=hashlib.sha256(copy_key(request.key, copy.audience).encode()).hexdigest()[:16],
        view_only=copy.audience != Audience.unit,
    )
    return f"{settings.link_base}/portal/{links.token(settings.signing_key, link)}", link


async def send_copy(
    engine: Engine, settings: Settings, pool: SmtpPool, request: LetterRequest, copy: LetterCopy, docx: bytes | None
) -> MailOutcome:
    url, link = copy_link(settings, request, copy)
    mail = render(request, copy, url)
    message = build_message(settings, request, copy, mail, docx)
    log = get_logger(unit=request.unit_code, step=request.step.value, items=len(request.items))
    outcome = await deliver_once(engine, pool, copy_row(request, copy, mail), message, request.resend, link)
    log.info("mail_" + outcome.status.value, to=copy.to, cc=copy.cc, detail=outcome.detail)
    return outcome


async def deliver_once(
    engine: Engine,
    pool: SmtpPool,
    row: NotificationRow,
    message: Message,
    resend: bool = False,
    link: PortalLink | None = None,
) -> MailOutcome:
    """Send `message` unless its outbox row says it went (or failed for good) already: once the relay accepted the
    envelope, claim the row (recording the portal `link` it carries) and mark it handed over in one transaction,
    send DATA, and record the answer right after it. An attempt refused before DATA is recorded as such. A retry
    (not FIRST_ATTEMPT) reads the outbox first; the claim checks again either way."""
    key = row.key
    earlier = None if FIRST_ATTEMPT.get() else await asyncio.to_thread(settled, engine, key, resend)
    claimed = False

    async def handover() -> None:
        nonlocal claimed
        found = await group_commit(engine).write(functools.partial(claim_in, new=row, resend=resend, link=link))
        if found is not None:
            raise AlreadySettled(found)
        claimed = True

    async with pool.transfers:  # at most MAX_OPEN handovers unrecorded at once: what one crash can leave
        try:
            if earlier is not None:
                raise AlreadySettled(earlier)
            outcome = await deliver(pool, message, handover)
        except AlreadySettled as already:
            get_logger(key=key).info("mail_already_settled", status=already.outcome.status.value)
            return already.outcome
        except Exception as error:
            if not claimed:
                await record_refusal(engine, row, resend, Refusal(permanent=False, answer=refusal_answer(error)))
            elif isinstance(error, aiosmtplib.SMTPResponseException):  # DATA refused for now (4xx): not taken
                await group_commit(engine).write(functools.partial(release_in, key=key, answer=refusal_answer(error)))
            raise  # a timeout or a lost connection during DATA leaves the handover unconfirmed
        if not claimed:  # refused for good before DATA
            earlier = await record_refusal(engine, row, resend, Refusal(permanent=True, answer=outcome.detail))
            return earlier or outcome
        await settle_patiently(engine, key, outcome)  # first thing after the answer
    return outcome


def refusal_answer(error: Exception) -> str:
    """What a refused attempt records: the relay's answer, or what kept it from answering."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in error.recipients)
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return f"{error.code} {error.message}"
    if isinstance(error, SQLAlchemyError):  # our database, not the relay; its text may carry SQL and values
        return f"database: {type(error).__name__}"
    return f"{type(error).__name__}: {error}"


async def record_refusal(engine: Engine, row: NotificationRow, resend: bool, refusal: Refusal) -> MailOutcome | None:
    """Record an attempt the relay refused before DATA (the earlier outcome when the copy was settled already). A
    temporary refusal is recorded as far as the database allows: the attempt is retried either way."""
    try:
        return await group_commit(engine).write(functools.partial(claim_in, new=row, resend=resend, refusal=refusal))
    except DATABASE_ERRORS as error:
        if refusal.permanent:
            raise
        get_logger(key=row.key).warning("mail_attempt_unrecorded", error=f"{type(error).__name__}: {error}")
        return None


async def send(engine: Engine, settings: Settings, request: LetterRequest) -> MailOutcome:
    """Every copy of one letter; the letter is sent when every copy went out, failed when one was refused."""
    docx = letter_docx(letter_text(request)) if request.step in FORMAL_STEPS else None
    pool = pool_for(settings)
    outcomes = [await send_copy(engine, settings, pool, request, copy, docx) for copy in request.copies]
    failed = [o for o in outcomes if o.status == MailStatus.failed]
    detail = "; ".join(o.detail for o in outcomes if o.detail)
    return MailOutcome(status=MailStatus.failed if failed else MailStatus.sent, detail=detail)


HEARTBEAT_SECONDS = 5.0  # the workflow gives a mail activity 30 s without a heartbeat before another worker retries it


async def heartbeating(work: Awaitable[T]) -> T:
    """Run `work`, telling Temporal every few seconds that this worker is alive: a worker that dies mid-send is
    noticed within the heartbeat timeout, not the whole start-to-close timeout."""
    task = asyncio.ensure_future(work)
    while True:
        done, _ = await asyncio.wait({task}, timeout=HEARTBEAT_SECONDS)
        if done:
            return task.result()
        activity.heartbeat()


async def send_configured(request: LetterRequest) -> MailOutcome:
    """Every copy of one letter, with this process's settings and read model."""
    settings = get_settings()
    return await send(get_engine(settings.sqlalchemy_url), settings, request)


@activity.defn(name="send_letter")
async def send_letter(request: LetterRequest) -> MailOutcome:
    return await heartbeating(send_configured(request))
