"""The mail activity against a real SMTP conversation, on SQLite and PostgreSQL outboxes.

Exactly once per key: the outbox row is written before sending, a settled key is never sent again, 5xx is a recorded
permanent failure, 4xx and connection errors raise so Temporal retries.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses

import aiosmtplib
import pytest
from aiosmtpd.smtp import Envelope
from sqlalchemy.engine import Engine
from sqlmodel import Session

from activities.mail import message_id, send
from dondoc import links
from dondoc.mail_render import render
from dondoc.settings import Settings
from models import commands as c
from models.mail import MailOutcome, MailRequest, MailStatus
from models.policy import Step
from models.state import ConclusionStatus
from models.tables import NotificationRow
from tests.activities.smtp_server import SmtpServer, closed_port
from tests.activities.states import (
    STAFF,
    apply,
    at,
    notice_request,
    overdue_request,
    quang_ngai_spec,
    started,
)

KEY = "kl-312-kl-ttra-2018/ly-son-eoffice/v1/2-overdue"
LY_SON_TO = ["vanphong@lyson.example.vn", "chutich@lyson.example.vn"]
PORTAL = "https://dondoc.example.vn/portal/"
PORTAL_LINK = re.compile(r"https://dondoc\.example\.vn/portal/[A-Za-z0-9_.\-]+")
EOFFICE_TEXT = (
    "Thực hiện Chỉ thị số 15/CT-TTg: vận hành ổn định phần mềm eOffice, bảo đảm 100% cán bộ, công chức cấp huyện, "
    "cấp xã trao đổi, xử lý văn bản trên eOffice; đưa kết quả ứng dụng công nghệ thông tin vào tiêu chí thi đua, "
    "khen thưởng hằng năm."
)


def outbox(engine: Engine, key: str = KEY) -> NotificationRow:
    with Session(engine) as session:
        row = session.get(NotificationRow, key)
    assert row is not None, f"no outbox row for {key}"
    return row


def addresses(message: EmailMessage, header: str) -> list[str]:
    return [address for _name, address in getaddresses(message.get_all(header, []))]


def plain_text(raw: bytes) -> str:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def portal_link(engine: Engine, settings: Settings, text: str) -> tuple[str, links.LinkScope]:
    """The one signed portal link in `text`, and what it opens."""
    (link,) = set(PORTAL_LINK.findall(text))
    return link, links.verify(engine, settings.signing_key, link.removeprefix(PORTAL))


@pytest.fixture
def request_() -> MailRequest:
    request = overdue_request()
    assert request.key == KEY
    assert request.to == LY_SON_TO and request.cc == []
    return request


# ---------------------------------------------------------------- exactly once


async def test_send_writes_the_outbox_row_before_sending_and_marks_it_sent(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: MailRequest
) -> None:
    seen_during_data: list[tuple[str, int]] = []

    def look_at_outbox(_envelope: Envelope) -> None:
        row = outbox(engine)
        seen_during_data.append((row.status, row.attempts))

    relay.handler.on_data = look_at_outbox
    started_at = datetime.now(UTC)

    outcome = await send(engine, mail_settings, request_)

    assert seen_during_data == [("pending", 1)]
    assert outcome == MailOutcome(status=MailStatus.sent, detail="2.0.0 Ok: queued as test-1")
    row = outbox(engine)
    assert (row.status, row.attempts, row.smtp_answer) == ("sent", 1, "2.0.0 Ok: queued as test-1")
    assert row.message_id == f"<{KEY}@dondoc>"
    assert (row.workflow_id, row.target, row.unit, row.step) == (
        "kl-312-kl-ttra-2018",
        "ly-son-eoffice",
        "ly-son",
        "overdue",
    )
    assert (row.recipients, row.cc) == (LY_SON_TO, [])
    assert row.subject == "[Quá hạn] KL 312/KL-Ttra – UBND huyện Lý Sơn"
    assert row.created_at is not None and row.sent_at is not None
    assert row.created_at.tzinfo is not None and row.sent_at.tzinfo is not None
    assert started_at <= row.created_at <= row.sent_at
    assert len(relay.handler.accepted) == 1


async def test_sending_the_same_key_again_sends_nothing_and_returns_the_earlier_outcome(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: MailRequest
) -> None:
    first = await send(engine, mail_settings, request_)
    again = await send(engine, mail_settings, request_)
    # a later attempt renders the notice at another time: still the same key, still nothing sent
    later = await send(engine, mail_settings, request_.model_copy(update={"now": at(2018, 10, 6), "days_overdue": 5}))

    assert first.status == MailStatus.sent
    assert again == later == first
    assert len(relay.handler.accepted) == 1
    assert relay.handler.transactions == 1
    assert outbox(engine).attempts == 1


async def test_the_message_id_is_the_notice_key(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: MailRequest
) -> None:
    await send(engine, mail_settings, request_)

    (message,) = relay.handler.messages
    assert message["Message-ID"] == f"<{KEY}@dondoc>" == message_id(KEY)
    assert message["X-Dondoc-Key"] == KEY


async def test_distinct_keys_are_distinct_messages(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: MailRequest
) -> None:
    state = started()
    now = at(2018, 10, 5, 10)
    other = notice_request(state, "ly-son-thu-cong-vu", now)

    await send(engine, mail_settings, request_)
    await send(engine, mail_settings, other)

    assert [m["Message-ID"] for m in relay.handler.messages] == [
        f"<{KEY}@dondoc>",
        "<kl-312-kl-ttra-2018/ly-son-thu-cong-vu/v1/2-overdue@dondoc>",
    ]
    assert outbox(engine, other.key).status == "sent"


# ---------------------------------------------------------------- permanent failures (5xx)


@pytest.mark.parametrize("phase", ["mail", "rcpt", "data"])
async def test_a_5xx_answer_is_a_recorded_permanent_failure_never_retried(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: MailRequest, phase: str
) -> None:
    if phase == "mail":
        relay.handler.mail_answers.append("553 5.7.1 Sender address rejected")
    elif phase == "rcpt":
        relay.handler.rcpt_answers = {address: "550 5.1.1 Mailbox unavailable" for address in LY_SON_TO}
    else:
        relay.handler.data_answers.append("550 5.7.1 Message rejected by policy")

    outcome = await send(engine, mail_settings, request_)

    assert outcome.status == MailStatus.failed
    if phase == "mail":
        assert outcome.detail == "553 5.7.1 Sender address rejected"
    elif phase == "rcpt":
        assert "550" in outcome.detail and "Mailbox unavailable" in outcome.detail
        assert all(address in outcome.detail for address in LY_SON_TO)
    else:
        assert outcome.detail == "550 5.7.1 Message rejected by policy"
    row = outbox(engine)
    assert (row.status, row.smtp_answer, row.attempts, row.sent_at) == ("failed", outcome.detail, 1, None)
    assert relay.handler.accepted == []

    # the relay would now accept, but a permanent failure is final: no new SMTP transaction
    relay.handler.rcpt_answers.clear()
    again = await send(engine, mail_settings, request_)

    assert again == outcome
    assert relay.handler.transactions == 1
    assert relay.handler.accepted == []
    assert outbox(engine).attempts == 1


# ---------------------------------------------------------------- temporary failures (4xx, connection)


@pytest.mark.parametrize(
    ("phase", "error"),
    [
        ("mail", aiosmtplib.SMTPSenderRefused),
        ("rcpt", aiosmtplib.SMTPRecipientsRefused),
        ("data", aiosmtplib.SMTPDataError),
    ],
)
async def test_a_4xx_answer_raises_and_a_retry_sends_exactly_one_message(
    engine: Engine,
    mail_settings: Settings,
    relay: SmtpServer,
    request_: MailRequest,
    phase: str,
    error: type[Exception],
) -> None:
    if phase == "mail":
        relay.handler.mail_answers.append("450 4.7.1 Greylisted, try again later")
    elif phase == "rcpt":
        relay.handler.rcpt_answers = {address: "451 4.3.0 Try again later" for address in LY_SON_TO}
    else:
        relay.handler.data_answers.append("451 4.3.0 Try again later")

    with pytest.raises(error):
        await send(engine, mail_settings, request_)

    row = outbox(engine)
    assert (row.status, row.attempts, row.smtp_answer, row.sent_at) == ("pending", 1, None, None)
    assert relay.handler.accepted == []

    # Temporal retries the activity: the relay has recovered
    relay.handler.rcpt_answers.clear()
    outcome = await send(engine, mail_settings, request_)
    await send(engine, mail_settings, request_)  # and a retry after success sends nothing more

    assert outcome.status == MailStatus.sent
    assert len(relay.handler.accepted) == 1
    assert relay.handler.transactions == 2
    row = outbox(engine)
    assert (row.status, row.attempts, row.smtp_answer) == ("sent", 2, outcome.detail)


async def test_repeated_4xx_answers_count_every_attempt(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: MailRequest
) -> None:
    relay.handler.data_answers.extend(["421 4.7.0 Too many connections", "452 4.3.1 Insufficient storage"])

    for _ in range(2):
        with pytest.raises(aiosmtplib.SMTPResponseException):
            await send(engine, mail_settings, request_)
    await send(engine, mail_settings, request_)

    assert outbox(engine).attempts == 3
    assert outbox(engine).status == "sent"
    assert len(relay.handler.accepted) == 1


async def test_connection_refused_raises_and_leaves_the_row_pending(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: MailRequest
) -> None:
    unreachable = mail_settings.model_copy(update={"smtp_port": closed_port()})

    with pytest.raises((aiosmtplib.SMTPConnectError, OSError)):
        await send(engine, unreachable, request_)

    row = outbox(engine)
    assert (row.status, row.attempts, row.sent_at) == ("pending", 1, None)

    outcome = await send(engine, mail_settings, request_)  # the retry reaches the relay

    assert outcome.status == MailStatus.sent
    assert len(relay.handler.accepted) == 1
    assert outbox(engine).attempts == 2


async def test_a_relay_answering_after_the_timeout_raises_and_the_retry_keeps_the_message_id(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: MailRequest
) -> None:
    """SMTP's inherent duplicate: the relay took the message but its answer came too late. The retry sends the
    same Message-ID, so the receiving system can drop the second copy."""
    relay.handler.data_delay = 1.0
    impatient = mail_settings.model_copy(update={"smtp_timeout_seconds": 0.3})

    with pytest.raises(aiosmtplib.SMTPTimeoutError):
        await send(engine, impatient, request_)
    assert (outbox(engine).status, outbox(engine).attempts) == ("pending", 1)

    relay.handler.data_delay = 0.0
    outcome = await send(engine, mail_settings, request_)

    assert outcome.status == MailStatus.sent
    assert [m["Message-ID"] for m in relay.handler.messages] == [f"<{KEY}@dondoc>"] * 2
    assert outbox(engine).attempts == 2


# ---------------------------------------------------------------- the email itself


async def test_the_email_is_a_vietnamese_multipart_text_and_html_notice(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: MailRequest
) -> None:
    await send(engine, mail_settings, request_)

    (message,) = relay.handler.messages
    assert message["Subject"] == "[Quá hạn] KL 312/KL-Ttra – UBND huyện Lý Sơn"
    assert message["From"] == mail_settings.mail_from
    assert message["Date"] == "Fri, 05 Oct 2018 10:00:00 +0700"
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)

    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    plain, markup = text.get_content(), html.get_content()
    assert plain.startswith("Kính gửi Thủ trưởng UBND huyện Lý Sơn,")
    assert "đã quá hạn 4 ngày (hạn: hết ngày 01/10/2018)" in plain
    assert f"Kiến nghị (Khắc phục tồn tại, hạn chế): {EOFFICE_TEXT}" in plain
    assert "Hạn: hết ngày 01/10/2018 (quá hạn 4 ngày)" in plain
    assert "Kết luận thanh tra: số 312/KL-Ttra – Chấp hành pháp luật về ứng dụng công nghệ thông tin" in plain
    link, scope = portal_link(engine, mail_settings, plain)
    assert f"tại: {link}" in plain
    assert (scope.workflow_id, scope.unit) == ("kl-312-kl-ttra-2018", "ly-son")
    assert KEY in plain
    assert EOFFICE_TEXT in markup
    assert "hết ngày 01/10/2018" in markup and "quá hạn 4 ngày" in markup
    assert f'href="{link}"' in markup
    assert '<html lang="vi">' in markup


async def test_recipients_are_the_resolved_to_and_cc(
    engine: Engine, mail_settings: Settings, relay: SmtpServer
) -> None:
    # the urging step (5 working days after the due day) goes to the unit head, copied to the chief inspector
    urging = notice_request(started(), "ly-son-eoffice", at(2018, 10, 9))
    assert urging.step == Step.urging
    assert (urging.to, urging.cc) == (["chutich@lyson.example.vn"], ["chanhthanhtra@mic.example.vn"])

    await send(engine, mail_settings, urging)

    (accepted,) = relay.handler.accepted
    assert addresses(accepted.message, "To") == ["chutich@lyson.example.vn"]
    assert addresses(accepted.message, "Cc") == ["chanhthanhtra@mic.example.vn"]
    assert accepted.rcpt_tos == ["chutich@lyson.example.vn", "chanhthanhtra@mic.example.vn"]
    assert accepted.message["Subject"] == "[Đôn đốc] KL 312/KL-Ttra – UBND huyện Lý Sơn"
    assert "quá hạn 8 ngày" in (accepted.message.get_body(("plain",)) or accepted.message).get_content()
    row = outbox(engine, urging.key)
    assert (row.recipients, row.cc, row.step) == (
        ["chutich@lyson.example.vn"],
        ["chanhthanhtra@mic.example.vn"],
        "urging",
    )


async def test_overdue_notice_has_no_cc_header(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: MailRequest
) -> None:
    await send(engine, mail_settings, request_)

    (accepted,) = relay.handler.accepted
    assert addresses(accepted.message, "To") == LY_SON_TO
    assert accepted.message["Cc"] is None
    assert accepted.rcpt_tos == LY_SON_TO


async def test_a_report_notice_targets_the_units_report(
    engine: Engine, mail_settings: Settings, relay: SmtpServer
) -> None:
    report = notice_request(started(), "report.ly-son", at(2018, 7, 20, 9))
    assert report.is_report and report.action_id is None

    await send(engine, mail_settings, report)

    row = outbox(engine, report.key)
    assert report.key == "kl-312-kl-ttra-2018/report.ly-son/v1/2-overdue"
    assert (row.target, row.unit, row.status) == ("report.ly-son", "ly-son", "sent")
    (message,) = relay.handler.messages
    assert message["Message-ID"] == "<kl-312-kl-ttra-2018/report.ly-son/v1/2-overdue@dondoc>"
    plain = (message.get_body(("plain",)) or message).get_content()
    assert "Báo cáo kết quả thực hiện kết luận đã quá hạn 1 ngày (hạn: hết ngày 19/07/2018)" in plain
    assert "Nội dung: Báo cáo kết quả thực hiện kết luận thanh tra" in plain
    _link, scope = portal_link(engine, mail_settings, plain)
    assert (scope.workflow_id, scope.unit) == ("kl-312-kl-ttra-2018", "ly-son")


async def test_the_closing_notice_goes_to_every_unit_and_copies_the_heads(
    engine: Engine, mail_settings: Settings, relay: SmtpServer
) -> None:
    closed = started().model_copy(update={"status": ConclusionStatus.closed, "closed_at": at(2019, 3, 1)})
    closing = notice_request(closed, "conclusion", at(2019, 3, 1, 10))
    assert closing.step == Step.closing

    await send(engine, mail_settings, closing)

    (accepted,) = relay.handler.accepted
    to = addresses(accepted.message, "To")
    assert to == closing.to
    assert len(to) == len(set(to)) == 18  # contacts and heads of the 9 units, the shared address once
    assert "vanphong@stttt.quangngai.example.vn" in to and "chutich@lyson.example.vn" in to
    assert addresses(accepted.message, "Cc") == closing.cc
    assert closing.cc[0] == "chanhthanhtra@mic.example.vn"
    assert accepted.message["Subject"] == "[Kết thúc theo dõi] KL 312/KL-Ttra"
    assert (
        "https://dondoc.example.vn/conclusions/kl-312-kl-ttra-2018"
        in accepted.message.get_body(("plain",)).get_content()
    )  # type: ignore[union-attr]
    row = outbox(engine, "kl-312-kl-ttra-2018/closing")
    assert (row.target, row.unit, row.step) == ("conclusion", "", "closing")


# ---------------------------------------------------------------- bugs


async def test_a_recipient_refused_with_5xx_is_recorded_even_when_others_accept(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: MailRequest
) -> None:
    relay.handler.rcpt_answers = {"chutich@lyson.example.vn": "550 5.1.1 No such user"}

    outcome = await send(engine, mail_settings, request_)

    assert relay.handler.accepted[0].rcpt_tos == ["vanphong@lyson.example.vn"]
    assert "chutich@lyson.example.vn" in outcome.detail and "550" in outcome.detail
    assert outbox(engine).smtp_answer == outcome.detail


async def test_a_unit_without_head_or_supervisor_still_gets_the_second_urging(
    engine: Engine, mail_settings: Settings, relay: SmtpServer
) -> None:
    """'second_urging' goes to head and supervisor; when the unit has neither, the unit's contacts receive it."""
    no_head = c.ChangeUnitContacts(actor=STAFF, unit="ly-son", contacts=["vanphong@lyson.example.vn"])
    state = apply(started(), no_head, at(2018, 8, 1))
    request = notice_request(state, "ly-son-eoffice", at(2018, 10, 17))
    assert (request.step, request.to, request.cc) == (Step.second_urging, ["vanphong@lyson.example.vn"], [])

    outcome = await send(engine, mail_settings, request)

    assert outcome.status == MailStatus.sent
    (accepted,) = relay.handler.accepted
    assert accepted.rcpt_tos == ["vanphong@lyson.example.vn"]
    assert accepted.message["Subject"] == "[Đôn đốc lần 2] KL 312/KL-Ttra – UBND huyện Lý Sơn"


async def test_a_retried_email_carries_the_same_portal_link(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: MailRequest
) -> None:
    contents: list[bytes] = []
    relay.handler.on_data = lambda envelope: contents.append(envelope.original_content or b"")
    relay.handler.data_answers.append("451 4.3.0 Try again later")

    with pytest.raises(aiosmtplib.SMTPDataError):
        await send(engine, mail_settings, request_)
    await send(engine, mail_settings, request_)

    assert len(contents) == 2
    first, retried = (portal_link(engine, mail_settings, plain_text(raw))[0] for raw in contents)
    assert first == retried


def test_the_html_escapes_names_in_the_introduction() -> None:
    spec = quang_ngai_spec()
    units = [
        u.model_copy(update={"name": "Phòng Văn hóa & Thông tin <Lý Sơn>"}) if u.code == "ly-son" else u
        for u in spec.units
    ]
    spec = spec.model_copy(update={"tracking_body": "Thanh tra Sở TT&TT", "units": units})
    request = notice_request(started(spec=spec), "ly-son-eoffice", at(2018, 10, 5, 10))

    html = render(request, "https://dondoc.example.vn").html

    assert "Thủ trưởng Phòng Văn hóa &amp; Thông tin &lt;Lý Sơn&gt;," in html
    assert "<Lý Sơn>" not in html and "Sở TT&TT" not in html


async def test_the_closing_notice_names_each_recipient_once(
    engine: Engine, mail_settings: Settings, relay: SmtpServer
) -> None:
    closed = started().model_copy(update={"status": ConclusionStatus.closed, "closed_at": at(2019, 3, 1)})
    closing = notice_request(closed, "conclusion", at(2019, 3, 1, 10))

    await send(engine, mail_settings, closing)

    (accepted,) = relay.handler.accepted
    assert len(accepted.rcpt_tos) == len(set(accepted.rcpt_tos)) == 19
    # the agency head is also head of 'ubnd-tinh': addressed in To, so not copied again
    assert not set(addresses(accepted.message, "To")) & set(addresses(accepted.message, "Cc"))
    assert addresses(accepted.message, "Cc") == ["chanhthanhtra@mic.example.vn"]


async def test_a_failed_notice_is_sent_again_only_when_staff_asked_for_it(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: MailRequest
) -> None:
    relay.handler.data_answers.append("550 5.7.1 Message rejected by policy")
    assert (await send(engine, mail_settings, request_)).status == MailStatus.failed
    assert (await send(engine, mail_settings, request_)).status == MailStatus.failed  # a retry changes nothing
    assert relay.handler.accepted == []

    outcome = await send(engine, mail_settings, request_.model_copy(update={"resend": True}))

    assert outcome.status == MailStatus.sent and len(relay.handler.accepted) == 1
    row = outbox(engine)
    assert (row.status, row.attempts) == ("sent", 2) and row.smtp_answer == outcome.detail
