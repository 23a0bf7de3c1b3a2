"""The duplicate window of a letter copy is DATA alone: once the relay accepted the envelope, the outbox row is
claimed and committed `handed over` in one transaction right before DATA, and `sent` in one more right after the
relay's answer; a retry that finds a handover unanswered sends again (same Message-ID) and counts it. On SQLite and
PostgreSQL outboxes, against a real SMTP conversation."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage

import aiosmtplib
import pytest
from aiosmtpd.smtp import Envelope
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from activities import mail
from activities.mail import send
from activities.smtp import MAX_OPEN, pool_for
from dondoc.mail_render import render
from dondoc.settings import Settings
from models.mail import LetterRequest, MailOutcome, MailStatus
from models.tables import NotificationRow
from models.web_tables import PortalLink
from tests.activities.smtp_server import SmtpServer
from tests.activities.states import WID, overdue_letter

UNIT_KEY = f"{WID}/nghia-hanh/overdue/1/unit"
MESSAGE_ID = f"<{UNIT_KEY}@dondoc>"


def outbox(engine: Engine) -> NotificationRow:
    with Session(engine) as session:
        row = session.get(NotificationRow, UNIT_KEY)
    assert row is not None
    return row


def handover_state(engine: Engine) -> tuple[str, bool, int]:
    row = outbox(engine)
    return row.status, row.handed_over_at is not None, row.unconfirmed_handovers


@pytest.fixture
def request_() -> LetterRequest:
    return overdue_letter()


async def test_the_row_is_committed_handed_over_during_data_and_sent_after_the_answer(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: LetterRequest
) -> None:
    during_data: list[tuple[str, datetime | None]] = []

    def look_at_outbox(_envelope: Envelope) -> None:  # another connection: sees only what was committed
        row = outbox(engine)
        during_data.append((row.status, row.handed_over_at))

    relay.handler.on_data = look_at_outbox
    before = datetime.now(UTC)

    outcome = await send(engine, mail_settings, request_)

    ((status, handed_over_at),) = during_data
    assert status == "pending" and handed_over_at is not None and handed_over_at >= before
    assert outcome.status == MailStatus.sent
    assert handover_state(engine) == ("sent", False, 0)


async def test_a_copy_sent_in_a_pass_costs_two_transactions_one_before_data_and_one_after(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: LetterRequest
) -> None:
    transactions: list[str] = []

    def counted(_connection: Connection) -> None:
        transactions.append("after DATA" if relay.handler.accepted else "before DATA")

    event.listen(engine, "begin", counted)
    first = mail.FIRST_ATTEMPT.set(True)  # as the pass's `send_letters` sends it
    try:
        await send(engine, mail_settings, request_)
    finally:
        mail.FIRST_ATTEMPT.reset(first)
        event.remove(engine, "begin", counted)

    assert len(request_.copies) == 1 and handover_state(engine) == ("sent", False, 0)
    assert transactions == ["before DATA", "after DATA"], "the claim with its handover mark, then the answer"


async def test_letters_going_out_at_once_share_transactions_each_copy_still_committed_before_and_after_data(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: LetterRequest
) -> None:
    """Group commit: a pass of 24 letters costs fewer transactions than letters (here against a database a few
    milliseconds away, where the marks of eight connections meet), and no copy's DATA starts before its handover is
    committed."""
    letters = [request_.model_copy(update={"key": f"{request_.key}-{n}"}) for n in range(3 * MAX_OPEN)]
    during_data: list[tuple[str, bool]] = []

    def look_at_outbox(envelope: Envelope) -> None:  # another connection: sees only what was committed
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        key = str(message_from_bytes(content)["Message-ID"]).removeprefix("<").removesuffix("@dondoc>")
        with Session(engine) as session:
            row = session.get(NotificationRow, key)
        during_data.append(("missing", False) if row is None else (row.status, row.handed_over_at is not None))

    transactions = [0]

    def distant(_connection: Connection) -> None:
        transactions[0] += 1
        time.sleep(0.01)

    relay.handler.on_data = look_at_outbox
    event.listen(engine, "commit", distant)  # what writes (the look at the outbox during DATA only reads)
    first = mail.FIRST_ATTEMPT.set(True)
    try:
        outcomes = await asyncio.gather(*(send(engine, mail_settings, letter) for letter in letters))
    finally:
        mail.FIRST_ATTEMPT.reset(first)
        event.remove(engine, "commit", distant)

    assert {o.status for o in outcomes} == {MailStatus.sent} and len(relay.handler.messages) == len(letters)
    assert during_data == [("pending", True)] * len(letters), "each copy committed handed over before its DATA"
    with Session(engine) as session:
        rows = session.exec(select(NotificationRow)).all()
    assert len(rows) == len(letters) and {(r.status, r.handed_over_at) for r in rows} == {("sent", None)}
    assert transactions[0] < len(letters), f"{transactions[0]} transactions for {len(letters)} letters"


async def test_a_refused_envelope_hands_nothing_over_and_records_why(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: LetterRequest
) -> None:
    relay.handler.rcpt_answers = {a: "451 4.3.0 Try again later" for a in request_.copies[0].to}

    with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
        await send(engine, mail_settings, request_)
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
        await send(engine, mail_settings, request_)

    assert handover_state(engine) == ("pending", False, 0)
    assert outbox(engine).attempts == 2 and "451 4.3.0 Try again later" in (outbox(engine).smtp_answer or "")
    with Session(engine) as session:
        assert session.exec(select(PortalLink)).all() == [], "no link was handed to anybody"

    relay.handler.rcpt_answers = {}
    outcome = await send(engine, mail_settings, request_)

    assert outcome.status == MailStatus.sent and handover_state(engine) == ("sent", False, 0)
    assert outbox(engine).attempts == 3 and len(relay.handler.messages) == 1


async def test_a_permanently_refused_envelope_settles_failed_and_a_retry_sends_nothing(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: LetterRequest
) -> None:
    relay.handler.rcpt_answers = {a: "550 5.1.1 No such mailbox" for a in request_.copies[0].to}

    outcome = await send(engine, mail_settings, request_)
    relay.handler.rcpt_answers = {}
    again = await send(engine, mail_settings, request_)

    assert outcome.status == again.status == MailStatus.failed and "550 5.1.1" in again.detail
    assert handover_state(engine) == ("failed", False, 0) and relay.handler.messages == []


async def test_a_4xx_answer_to_data_releases_the_handover_and_the_retry_is_no_duplicate(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: LetterRequest
) -> None:
    relay.handler.data_answers.append("451 4.3.0 Try again later")

    with pytest.raises(aiosmtplib.SMTPDataError):
        await send(engine, mail_settings, request_)
    assert handover_state(engine) == ("pending", False, 0)

    await send(engine, mail_settings, request_)

    assert handover_state(engine) == ("sent", False, 0)
    assert [m["Message-ID"] for m in relay.handler.messages] == [MESSAGE_ID]


async def test_a_5xx_answer_to_data_settles_failed_with_nothing_handed_over(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: LetterRequest
) -> None:
    relay.handler.data_answers.append("554 5.7.1 Rejected by policy")

    outcome = await send(engine, mail_settings, request_)

    assert outcome.status == MailStatus.failed
    assert handover_state(engine) == ("failed", False, 0)


async def test_an_unanswered_handover_is_sent_again_with_the_same_message_id_and_counted(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: LetterRequest
) -> None:
    """The relay took the message but its answer never came in time (as when the worker dies during DATA): the
    retry cannot know, sends again, and the row says a second copy may exist."""
    relay.handler.data_delay = 1.0
    impatient = mail_settings.model_copy(update={"smtp_timeout_seconds": 0.3})

    with pytest.raises(aiosmtplib.SMTPTimeoutError):
        await send(engine, impatient, request_)
    assert handover_state(engine) == ("pending", True, 0)

    relay.handler.data_delay = 0.0
    await send(engine, mail_settings, request_)
    await send(engine, mail_settings, request_)  # settled: nothing more

    assert handover_state(engine) == ("sent", False, 1)
    assert outbox(engine).attempts == 2
    assert [m["Message-ID"] for m in relay.handler.messages] == [MESSAGE_ID] * 2


async def test_data_is_never_sent_when_the_handover_cannot_be_recorded(
    engine: Engine,
    mail_settings: Settings,
    relay: SmtpServer,
    request_: LetterRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def database_gone(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("INSERT INTO notifications", {}, ConnectionRefusedError("database unreachable"))

    monkeypatch.setattr(mail, "claim_in", database_gone)

    with pytest.raises(OperationalError):
        await send(engine, mail_settings, request_)

    assert relay.handler.transactions == 1 and relay.handler.accepted == []
    with Session(engine) as session:
        assert session.get(NotificationRow, UNIT_KEY) is None


async def test_the_answer_is_recorded_once_the_database_takes_it_again(
    engine: Engine,
    mail_settings: Settings,
    relay: SmtpServer,
    request_: LetterRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The relay's 250 is known: a short database outage right after it delays the `sent` mark, never turns it
    into an unconfirmed handover (a second copy on retry)."""
    real_settle, refusals = mail.settle_in, [2]

    def settle_after_an_outage(session: Session, key: str, outcome: MailOutcome) -> None:
        if refusals[0]:
            refusals[0] -= 1
            raise OperationalError("UPDATE notifications", {}, ConnectionRefusedError("database restarting"))
        real_settle(session, key, outcome)

    monkeypatch.setattr(mail, "settle_in", settle_after_an_outage)

    outcome = await send(engine, mail_settings, request_)

    assert outcome.status == MailStatus.sent and refusals == [0]
    assert handover_state(engine) == ("sent", False, 0)
    assert len(relay.handler.messages) == 1


async def test_at_most_max_open_messages_are_in_transfer_at_once(mail_settings: Settings, relay: SmtpServer) -> None:
    """What one crash can leave unconfirmed is bounded by the pool, however many letters go at once."""
    relay.handler.data_delay = 0.1
    pool, in_transfer, most = pool_for(mail_settings), [0], [0]

    async def one(n: int) -> None:
        async def handover() -> None:
            in_transfer[0] += 1
            most[0] = max(most[0], in_transfer[0])

        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@example.vn", "b@example.vn", f"thư {n}"
        message.set_content("nội dung")
        await pool.send(message, handover)
        in_transfer[0] -= 1

    await asyncio.gather(*(one(n) for n in range(3 * MAX_OPEN)))

    assert most == [MAX_OPEN] and len(relay.handler.messages) == 3 * MAX_OPEN


async def test_a_slow_database_never_leaves_more_than_max_open_handovers_unrecorded(
    engine: Engine,
    mail_settings: Settings,
    relay: SmtpServer,
    request_: LetterRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Connections are given back at the answer, but the bound holds until the answer is recorded."""
    real_claim, real_settle = mail.claim_in, mail.settle_in
    unrecorded, most = [0], [0]

    def counted_claim(
        session: Session, new: NotificationRow, resend: bool = False, link: PortalLink | None = None
    ) -> MailOutcome | None:
        earlier = real_claim(session, new, resend, link)
        unrecorded[0] += 1
        most[0] = max(most[0], unrecorded[0])
        return earlier

    def slow_settle(session: Session, key: str, outcome: MailOutcome) -> None:
        time.sleep(0.1)
        real_settle(session, key, outcome)
        unrecorded[0] -= 1

    monkeypatch.setattr(mail, "claim_in", counted_claim)
    monkeypatch.setattr(mail, "settle_in", slow_settle)
    (copy,) = request_.copies
    rendered = render(request_, copy, "https://dondoc.example.vn/portal/lien-ket")
    pool = pool_for(mail_settings)

    async def one(n: int) -> MailOutcome:
        row = mail.copy_row(request_, copy, rendered)
        row.key, row.message_id = f"{UNIT_KEY}-{n}", f"<{UNIT_KEY}-{n}@dondoc>"
        message = mail.build_message(mail_settings, request_, copy, rendered, None)
        return await mail.deliver_once(engine, pool, row, message)

    outcomes = await asyncio.gather(*(one(n) for n in range(3 * MAX_OPEN)))

    assert {o.status for o in outcomes} == {MailStatus.sent} and most == [MAX_OPEN]
