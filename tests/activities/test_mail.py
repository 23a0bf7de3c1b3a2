"""The letter activity against a real SMTP conversation, on SQLite and PostgreSQL outboxes.

Exactly once per copy: a letter goes as one message per audience (the unit's own people, and oversight), each with
its outbox row written before sending; a settled copy is never sent again, 5xx is a recorded permanent failure, 4xx
and connection errors raise so Temporal retries. What the letter says comes from the rules' LetterRequest: every
item the unit owes with its reference, only the earlier letters really sent, assumed due dates never stated as fact.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses
from io import BytesIO

import aiosmtplib
import docx
import pytest
from aiosmtpd.smtp import Envelope
from docx.document import Document
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.testing import ActivityEnvironment

from activities.mail import DOCX_TYPE, message_id, send
from activities.mail_batch import mail_together
from activities.notices import send as send_notice
from activities.smtp import pool_for
from dondoc import links
from dondoc.mail_render import render
from dondoc.settings import Settings
from models import commands as c
from models.mail import Audience, BatchOutcome, LetterBatch, LetterRequest, MailOutcome, MailStatus
from models.policy import Step
from models.state import ConclusionStatus, NoticeAudience, NotificationStatus
from models.tables import NotificationRow
from tests.activities.smtp_server import SmtpServer, closed_port
from tests.activities.states import (
    LY_SON,
    NGHIA_HANH,
    OVERDUE_AT,
    SIGNER_NAME,
    STAFF,
    WID,
    apply,
    at,
    climb,
    letter,
    overdue_letter,
    quang_ngai_spec,
    settle,
    signed_spec,
    started,
    urging_letter,
)
from tests.activities.test_notices import ACCEPTED
from tests.activities.test_notices import request as notice_request

KEY = f"{WID}/nghia-hanh/overdue/1"  # Nghĩa Hành's overdue letter: its one copy goes to the unit's own people
UNIT_KEY = f"{KEY}/unit"
NGHIA_HANH_TO = [NGHIA_HANH, "chutich@nghiahanh.example.vn"]
LY_SON_HEAD = "chutich@lyson.example.vn"
INSPECTORATE_HEAD = "chanhthanhtra@mic.example.vn"
SUPERVISOR = "ubnd@quangngai.example.vn"
PORTAL = "https://dondoc.example.vn/portal/"
PORTAL_LINK = re.compile(r"https://dondoc\.example\.vn/portal/[A-Za-z0-9_.\-]+")
NGHIA_HANH_ITEMS = [
    "nghia-hanh-khuyet-tat",
    "nghia-hanh-moi-truong",
    "nghia-hanh-mot-cua-dien-tu",
    "nghia-hanh-eoffice",
]
ASSUMED = {"II.3.a-1", "II.3.c"}  # the conclusion gives these no due date: 01/10/2018 is an assumption
STATED = {"II.3.a-2", "II.3.b-2"}
LY_SON_REFS = ["II.2.1.c", "II.2.1.d", "II.2.2"]
EOFFICE_TEXT = (
    "Thực hiện Chỉ thị số 15/CT-TTg: vận hành ổn định phần mềm eOffice, bảo đảm 100% cán bộ, công chức cấp huyện, "
    "cấp xã trao đổi, xử lý văn bản trên eOffice; đưa kết quả ứng dụng công nghệ thông tin vào tiêu chí thi đua, "
    "khen thưởng hằng năm."
)
NO_EARLIER_LETTER = "đã có văn bản"


def outbox(engine: Engine, key: str = UNIT_KEY) -> NotificationRow:
    with Session(engine) as session:
        row = session.get(NotificationRow, key)
    assert row is not None, f"no outbox row for {key}"
    return row


def outbox_of(engine: Engine, letter_key: str) -> dict[str, NotificationRow]:
    """Every outbox row of a letter, by audience."""
    with Session(engine) as session:
        rows = session.exec(select(NotificationRow).where(col(NotificationRow.letter_key) == letter_key)).all()
    return {row.audience: row for row in rows}


def addresses(message: EmailMessage, header: str) -> list[str]:
    return [address for _name, address in getaddresses(message.get_all(header, []))]


def bodies(message: EmailMessage) -> tuple[str, str]:
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


def plain_text(raw: bytes) -> str:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return bodies(message)[0]


def portal_link(engine: Engine, settings: Settings, text: str) -> tuple[str, links.LinkScope]:
    """The one signed portal link in `text`, and what it opens."""
    (link,) = set(PORTAL_LINK.findall(text))
    return link, links.verify(engine, settings.signing_key, link.removeprefix(PORTAL))


def attachments(message: EmailMessage) -> list[EmailMessage]:
    return list(message.iter_attachments())


def attached_letter(message: EmailMessage) -> Document:
    (part,) = attachments(message)
    assert (part.get_content_maintype(), part.get_content_subtype()) == DOCX_TYPE
    return docx.Document(BytesIO(part.get_content()))


def item_lines(plain: str) -> dict[str, tuple[str, str]]:
    """The plain text's items by reference: (text, "Hạn: …" line)."""
    found = re.findall(r"^\d+\. ([^\s]+)\. (.+)\n   Hạn: (.+)$", plain, re.MULTILINE)
    return {ref: (text, due) for ref, text, due in found}


def html_rows(html: str) -> list[list[str]]:
    """The cells of each row of the HTML table of items (the header row has <th> cells, so it is left out)."""
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.DOTALL)
    return [cells for row in rows if (cells := re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)) and len(cells) == 4]


def by_audience(relay: SmtpServer) -> dict[str, EmailMessage]:
    """The accepted messages by the audience in their Message-ID."""
    out = {}
    for message in relay.handler.messages:
        match = re.fullmatch(r"<.+/(unit|oversight)@dondoc>", str(message["Message-ID"]))
        assert match is not None, message["Message-ID"]
        out[match.group(1)] = message
    return out


def ly_son_ladder() -> dict[Step, LetterRequest]:
    """Lý Sơn's letters climbing the whole ladder, each sent when it came (a conclusion registered in time)."""
    state = started(spec=signed_spec())
    out: dict[Step, LetterRequest] = {}
    for moment in (at(2018, 9, 28, 8), at(2018, 10, 2, 8), at(2018, 10, 8, 8), at(2018, 10, 18, 8), at(2018, 11, 2, 8)):
        request = letter(state, "ly-son", moment)
        settle(state, request, moment)
        out[request.step] = request
    assert list(out) == [Step.reminder, Step.overdue, Step.urging, Step.second_urging, Step.proposal]
    return out


@pytest.fixture
def request_() -> LetterRequest:
    request = overdue_letter()
    assert request.key == KEY
    ((copy),) = request.copies
    assert (copy.audience, copy.to, copy.cc) == (Audience.unit, NGHIA_HANH_TO, [])
    assert [line.target for line in request.items] == NGHIA_HANH_ITEMS
    return request


# ---------------------------------------------------------------- exactly once


async def test_send_writes_the_outbox_row_before_sending_and_marks_it_sent(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: LetterRequest
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
    assert row.message_id == f"<{UNIT_KEY}@dondoc>"
    assert (row.letter_key, row.audience) == (KEY, "unit")
    assert (row.workflow_id, row.unit, row.step) == (WID, "nghia-hanh", "overdue")
    assert row.items == NGHIA_HANH_ITEMS
    assert row.target == "report.nghia-hanh"  # several items: the unit's target
    assert (row.recipients, row.cc) == (NGHIA_HANH_TO, [])
    assert row.subject == "[Quá hạn] KL 312/KL-Ttra – UBND huyện Nghĩa Hành – 4 nội dung"
    assert row.created_at is not None and row.sent_at is not None
    assert row.created_at.tzinfo is not None and row.sent_at.tzinfo is not None
    assert started_at <= row.created_at <= row.sent_at
    assert len(relay.handler.accepted) == 1
    assert list(outbox_of(engine, KEY)) == ["unit"]  # no oversight copy: nobody outside the unit is addressed


async def test_sending_the_same_letter_again_sends_nothing_and_returns_the_earlier_outcome(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: LetterRequest
) -> None:
    first = await send(engine, mail_settings, request_)
    again = await send(engine, mail_settings, request_)
    # a later attempt renders the letter at another time: still the same key, still nothing sent
    later = await send(engine, mail_settings, overdue_letter(at(2018, 10, 8, 9)))

    assert first.status == MailStatus.sent
    assert again == later == first
    assert len(relay.handler.accepted) == 1
    assert relay.handler.transactions == 1
    assert outbox(engine).attempts == 1


async def test_the_message_id_is_the_copy_key(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: LetterRequest
) -> None:
    await send(engine, mail_settings, request_)

    (message,) = relay.handler.messages
    assert message["Message-ID"] == f"<{UNIT_KEY}@dondoc>" == message_id(UNIT_KEY)
    assert message["X-Dondoc-Key"] == KEY


async def test_letters_to_different_units_are_distinct_messages(
    engine: Engine, mail_settings: Settings, relay: SmtpServer
) -> None:
    state = started()
    nghia_hanh = letter(state, "nghia-hanh", OVERDUE_AT)
    ly_son = letter(state, "ly-son", OVERDUE_AT)

    await send(engine, mail_settings, nghia_hanh)
    await send(engine, mail_settings, ly_son)

    assert [m["Message-ID"] for m in relay.handler.messages] == [
        f"<{KEY}/unit@dondoc>",
        f"<{WID}/ly-son/overdue/2/unit@dondoc>",
    ]
    assert [a.rcpt_tos for a in relay.handler.accepted] == [NGHIA_HANH_TO, [LY_SON, LY_SON_HEAD]]
    assert outbox(engine, f"{ly_son.key}/unit").status == "sent"


# ---------------------------------------------------------------- permanent failures (5xx)


@pytest.mark.parametrize("phase", ["mail", "rcpt", "data"])
async def test_a_5xx_answer_is_a_recorded_permanent_failure_never_retried(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: LetterRequest, phase: str
) -> None:
    if phase == "mail":
        relay.handler.mail_answers.append("553 5.7.1 Sender address rejected")
    elif phase == "rcpt":
        relay.handler.rcpt_answers = {address: "550 5.1.1 Mailbox unavailable" for address in NGHIA_HANH_TO}
    else:
        relay.handler.data_answers.append("550 5.7.1 Message rejected by policy")

    outcome = await send(engine, mail_settings, request_)

    assert outcome.status == MailStatus.failed
    if phase == "mail":
        assert outcome.detail == "553 5.7.1 Sender address rejected"
    elif phase == "rcpt":
        assert "550" in outcome.detail and "Mailbox unavailable" in outcome.detail
        assert all(address in outcome.detail for address in NGHIA_HANH_TO)
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


async def test_one_copy_refused_for_good_fails_the_letter_and_the_other_copy_still_goes(
    engine: Engine, mail_settings: Settings, relay: SmtpServer
) -> None:
    _state, urging = urging_letter()
    relay.handler.rcpt_answers = {INSPECTORATE_HEAD: "550 5.1.1 Mailbox unavailable"}

    outcome = await send(engine, mail_settings, urging)

    assert outcome.status == MailStatus.failed
    assert f"{INSPECTORATE_HEAD}: 550" in outcome.detail and "queued as test-1" in outcome.detail
    rows = outbox_of(engine, urging.key)
    assert {a: r.status for a, r in rows.items()} == {"unit": "sent", "oversight": "failed"}
    assert [a.rcpt_tos for a in relay.handler.accepted] == [[LY_SON_HEAD]]

    # staff ask for it again once the address is fixed: only the refused copy goes
    relay.handler.rcpt_answers.clear()
    resent = await send(engine, mail_settings, urging.model_copy(update={"resend": True}))

    assert resent.status == MailStatus.sent
    assert [a.rcpt_tos for a in relay.handler.accepted] == [[LY_SON_HEAD], [INSPECTORATE_HEAD]]
    rows = outbox_of(engine, urging.key)
    assert {a: (r.status, r.attempts) for a, r in rows.items()} == {"unit": ("sent", 1), "oversight": ("sent", 2)}


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
    request_: LetterRequest,
    phase: str,
    error: type[Exception],
) -> None:
    if phase == "mail":
        relay.handler.mail_answers.append("450 4.7.1 Greylisted, try again later")
    elif phase == "rcpt":
        relay.handler.rcpt_answers = {address: "451 4.3.0 Try again later" for address in NGHIA_HANH_TO}
    else:
        relay.handler.data_answers.append("451 4.3.0 Try again later")

    with pytest.raises(error):
        await send(engine, mail_settings, request_)

    row = outbox(engine)
    assert (row.status, row.attempts, row.sent_at) == ("pending", 1, None)
    refusal = "450 4.7.1 Greylisted" if phase == "mail" else "451 4.3.0 Try again later"
    assert refusal in (row.smtp_answer or ""), "staff can see why it is being retried"
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


async def test_a_retry_after_a_4xx_on_the_second_copy_sends_only_that_copy(
    engine: Engine, mail_settings: Settings, relay: SmtpServer
) -> None:
    _state, urging = urging_letter()
    relay.handler.rcpt_answers = {INSPECTORATE_HEAD: "451 4.3.0 Try again later"}

    with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
        await send(engine, mail_settings, urging)
    assert {a: r.status for a, r in outbox_of(engine, urging.key).items()} == {"unit": "sent", "oversight": "pending"}

    relay.handler.rcpt_answers.clear()
    outcome = await send(engine, mail_settings, urging)

    assert outcome.status == MailStatus.sent
    assert [a.rcpt_tos for a in relay.handler.accepted] == [[LY_SON_HEAD], [INSPECTORATE_HEAD]]
    rows = outbox_of(engine, urging.key)
    assert {a: (r.status, r.attempts) for a, r in rows.items()} == {"unit": ("sent", 1), "oversight": ("sent", 2)}


async def test_repeated_4xx_answers_count_every_attempt(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: LetterRequest
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
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: LetterRequest
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
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: LetterRequest
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
    assert [m["Message-ID"] for m in relay.handler.messages] == [f"<{UNIT_KEY}@dondoc>"] * 2
    assert outbox(engine).attempts == 2


# ---------------------------------------------------------------- one connection for many letters


async def test_letters_sent_through_one_pool_share_one_smtp_connection(
    engine: Engine, mail_settings: Settings, relay: SmtpServer
) -> None:
    state = started()
    units = ["van-phong-ubnd", "ly-son", "nghia-hanh", "tra-bong", "duc-pho"]
    requests = [letter(state, unit, OVERDUE_AT) for unit in units]

    outcomes = [await send(engine, mail_settings, request) for request in requests]

    assert [o.status for o in outcomes] == [MailStatus.sent] * len(units)
    assert pool_for(mail_settings).opened == 1
    assert relay.handler.connections == 1
    assert sorted(str(m["Message-ID"]) for m in relay.handler.messages) == sorted(
        f"<{r.key}/unit@dondoc>" for r in requests
    )
    assert relay.handler.transactions == len(units)


async def test_a_connection_that_failed_is_not_reused(
    engine: Engine, mail_settings: Settings, relay: SmtpServer
) -> None:
    state = started()
    first, second = letter(state, "nghia-hanh", OVERDUE_AT), letter(state, "ly-son", OVERDUE_AT)
    relay.handler.data_answers.append("451 4.3.0 Try again later")

    with pytest.raises(aiosmtplib.SMTPDataError):
        await send(engine, mail_settings, first)
    await send(engine, mail_settings, second)
    await send(engine, mail_settings, first)

    assert pool_for(mail_settings).opened == relay.handler.connections == 2
    assert len(relay.handler.accepted) == 2


# ---------------------------------------------------------------- the email itself


async def test_the_email_is_a_vietnamese_multipart_text_and_html_letter(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: LetterRequest
) -> None:
    await send(engine, mail_settings, request_)

    (message,) = relay.handler.messages
    assert message["Subject"] == "[Quá hạn] KL 312/KL-Ttra – UBND huyện Nghĩa Hành – 4 nội dung"
    assert message["From"] == mail_settings.mail_from
    assert message["Date"] == "Fri, 05 Oct 2018 10:00:00 +0700"
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)

    plain, markup = bodies(message)
    assert plain.startswith("BỘ THÔNG TIN VÀ TRUYỀN THÔNG\nTHANH TRA BỘ\n")
    assert "V/v thông báo nội dung quá hạn thực hiện Kết luận thanh tra số 312/KL-Ttra" in plain
    assert "Hà Nội, ngày 05 tháng 10 năm 2018" in plain
    assert "Kính gửi: Chủ tịch UBND huyện Nghĩa Hành\n" in plain
    assert (
        "Kết luận thanh tra số 312/KL-Ttra ngày 31 tháng 5 năm 2018 của Thanh tra Bộ Thông tin và Truyền thông "
        "(Chấp hành pháp luật về ứng dụng công nghệ thông tin tại UBND tỉnh Quảng Ngãi)"
    ) in plain
    assert "Đề nghị UBND huyện Nghĩa Hành khẩn trương thực hiện" in plain
    assert "CHÁNH THANH TRA" in plain
    link, scope = portal_link(engine, mail_settings, plain)
    assert f"Gửi minh chứng, báo cáo hoặc đề nghị gia hạn: {link}" in plain
    assert (scope.workflow_id, scope.unit, scope.view_only) == (WID, "nghia-hanh", False)
    assert KEY not in plain and KEY not in markup, "no internal key in what people read (the Message-ID carries it)"
    assert '<html lang="vi">' in markup
    assert "Kính gửi: Chủ tịch UBND huyện Nghĩa Hành" in markup
    assert f'href="{link}"' in markup
    assert len(html_rows(markup)) == 4


async def test_each_item_of_the_unit_is_listed_with_its_reference_in_both_bodies_and_the_docx(
    engine: Engine, mail_settings: Settings, relay: SmtpServer
) -> None:
    state, urging = urging_letter(spec=signed_spec())
    texts = {
        ref: state.actions[a].text
        for ref, a in zip(LY_SON_REFS, ["ly-son-eoffice", "ly-son-thu-cong-vu", "ly-son-chu-ky-so"], strict=True)
    }
    assert texts["II.2.1.c"] == EOFFICE_TEXT

    await send(engine, mail_settings, urging)

    unit_copy = by_audience(relay)["unit"]
    plain, markup = bodies(unit_copy)
    listed = item_lines(plain)
    assert list(listed) == LY_SON_REFS
    assert {ref: text for ref, (text, _due) in listed.items()} == texts
    rows = html_rows(markup)
    assert [r[0] for r in rows] == ["1", "2", "3"]
    assert [r[1] for r in rows] == [f"{ref}. {text}" for ref, text in texts.items()]

    document = attached_letter(unit_copy)
    header, items, signature = document.tables
    assert [cell.text for cell in items.rows[0].cells] == ["TT", "Nội dung kiến nghị", "Hạn thực hiện", "Tình trạng"]
    table = [[cell.text for cell in row.cells] for row in items.rows[1:]]
    assert [r[:2] for r in table] == [[str(i), f"{ref}. {text}"] for i, (ref, text) in enumerate(texts.items(), 1)]
    assert [r[2] for r in table] == ["01/10/2018 (hạn giả định)"] * 3
    paragraphs = [p.text for p in document.paragraphs]
    assert "Kính gửi: Chủ tịch UBND huyện Lý Sơn." in paragraphs
    assert header.cell(1, 0).text.splitlines() == [
        "Số:        /",
        "V/v đôn đốc thực hiện Kết luận thanh tra số 312/KL-Ttra",
    ]
    assert header.cell(1, 1).text == "Hà Nội, ngày 08 tháng 10 năm 2018"
    signed = signature.cell(0, 1).text.splitlines()
    assert (signed[0], signed[-1]) == ("CHÁNH THANH TRA", SIGNER_NAME)
    # the Chánh Thanh tra signs it himself: Nơi nhận does not list him (his copy still goes by email)
    assert signature.cell(0, 0).text.splitlines() == ["Nơi nhận:", "- Như trên;", "- Lưu: VT."]
    assert SIGNER_NAME in plain and SIGNER_NAME in markup
    # the oversight copy carries the same letter
    oversight = by_audience(relay)["oversight"]
    assert [[c.text for c in row.cells] for row in attached_letter(oversight).tables[1].rows[1:]] == table


async def test_an_assumed_due_date_is_never_stated_as_a_deadline_missed(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: LetterRequest
) -> None:
    assert {line.ref for line in request_.items if line.due_assumed} == ASSUMED

    await send(engine, mail_settings, request_)

    plain, markup = bodies(relay.handler.messages[0])
    due = {ref: line for ref, (_text, line) in item_lines(plain).items()}
    assert set(due) == ASSUMED | STATED
    for ref in ASSUMED:
        assert due[ref].startswith("01/10/2018 (hạn giả định) — ")
        assert "Quá hạn" not in due[ref]
        assert "Kết luận không nêu hạn" in due[ref]
    for ref in STATED:
        assert due[ref] == "01/10/2018 — Quá hạn 4 ngày"
    rows = {cells[1].split(". ")[0]: cells for cells in html_rows(markup)}
    for ref in ASSUMED:
        assert rows[ref][2] == "01/10/2018 (hạn giả định)" and "Quá hạn" not in rows[ref][3]
    for ref in STATED:
        assert (rows[ref][2], rows[ref][3]) == ("01/10/2018", "Quá hạn 4 ngày")
    assert "Hạn giả định: kết luận thanh tra không nêu thời hạn cụ thể" in plain


async def test_a_letter_for_only_assumed_due_dates_never_says_overdue_by_days(
    engine: Engine, mail_settings: Settings, relay: SmtpServer
) -> None:
    ly_son = letter(started(), "ly-son", OVERDUE_AT)
    assert ly_son.step == Step.overdue and all(line.due_assumed for line in ly_son.items)

    await send(engine, mail_settings, ly_son)

    plain, markup = bodies(relay.handler.messages[0])
    assert plain.count("(hạn giả định)") == 3
    assert not re.search(r"[Qq]uá hạn \d+ ngày", plain) and not re.search(r"[Qq]uá hạn \d+ ngày", markup)
    assert "quá thời hạn" not in plain, "the body never calls an assumed deadline missed either"
    assert "thời hạn và tình trạng của từng nội dung ghi tại bảng" in plain


async def test_the_oversight_copy_views_and_the_unit_copy_acts(
    engine: Engine, mail_settings: Settings, relay: SmtpServer
) -> None:
    """The urging goes to the unit's chairman, copied to the chief inspector: two messages, each with its link."""
    _state, urging = urging_letter()
    assert [(copy.audience, copy.to, copy.cc) for copy in urging.copies] == [
        (Audience.unit, [LY_SON_HEAD], []),
        (Audience.oversight, [INSPECTORATE_HEAD], []),
    ]

    await send(engine, mail_settings, urging)

    assert [(a.rcpt_tos, str(a.message["Message-ID"])) for a in relay.handler.accepted] == [
        ([LY_SON_HEAD], f"<{urging.key}/unit@dondoc>"),
        ([INSPECTORATE_HEAD], f"<{urging.key}/oversight@dondoc>"),
    ]
    copies = by_audience(relay)
    assert addresses(copies["unit"], "To") == [LY_SON_HEAD] and copies["unit"]["Cc"] is None
    assert addresses(copies["oversight"], "To") == [INSPECTORATE_HEAD] and copies["oversight"]["Cc"] is None
    unit_plain, unit_html = bodies(copies["unit"])
    view_plain, view_html = bodies(copies["oversight"])
    acting, acting_scope = portal_link(engine, mail_settings, unit_plain)
    viewing, viewing_scope = portal_link(engine, mail_settings, view_plain)
    assert (acting_scope.workflow_id, acting_scope.unit, acting_scope.view_only) == (WID, "ly-son", False)
    assert (viewing_scope.workflow_id, viewing_scope.unit, viewing_scope.view_only) == (WID, "ly-son", True)
    assert acting != viewing
    assert acting in unit_html and viewing not in unit_plain + unit_html
    assert viewing in view_html and acting not in view_plain + view_html
    assert "(chỉ xem)" in view_plain and "(chỉ xem)" not in unit_plain
    rows = outbox_of(engine, urging.key)
    assert {a: (r.recipients, r.cc, r.status) for a, r in rows.items()} == {
        "unit": ([LY_SON_HEAD], [], "sent"),
        "oversight": ([INSPECTORATE_HEAD], [], "sent"),
    }


async def test_the_second_urging_sends_the_supervisor_a_view_of_the_unit(
    engine: Engine, mail_settings: Settings, relay: SmtpServer
) -> None:
    second = ly_son_ladder()[Step.second_urging]

    await send(engine, mail_settings, second)

    copies = by_audience(relay)
    assert addresses(copies["unit"], "To") == [LY_SON_HEAD]
    assert addresses(copies["oversight"], "To") == [SUPERVISOR]
    _link, scope = portal_link(engine, mail_settings, bodies(copies["oversight"])[0])
    assert (scope.unit, scope.view_only) == ("ly-son", True)
    _link, scope = portal_link(engine, mail_settings, bodies(copies["unit"])[0])
    assert (scope.unit, scope.view_only) == ("ly-son", False)


async def test_the_urging_letter_cites_only_the_letters_really_sent(
    engine: Engine, mail_settings: Settings, relay: SmtpServer
) -> None:
    """The reminder of 28/09 was refused by the relay: the urging cites the reminder of 20/09 and the numbered
    overdue letter of 02/10, never the failed one nor the 'earlier letters' a late registration skipped."""
    _state, urging = urging_letter()
    assert [(e.step, e.number) for e in urging.earlier] == [(Step.reminder, None), (Step.overdue, "125/TTr-NV")]

    await send(engine, mail_settings, urging)

    unit_copy = by_audience(relay)["unit"]
    plain, markup = bodies(unit_copy)
    cited = (
        "Thanh tra Bộ Thông tin và Truyền thông đã có văn bản nhắc thực hiện ngày 20/09/2018; văn bản thông báo "
        "quá hạn số 125/TTr-NV ngày 02/10/2018 gửi UBND huyện Lý Sơn."
    )
    assert cited in plain and cited in markup
    assert cited in [p.text for p in attached_letter(unit_copy).paragraphs]
    assert "28/09/2018" not in plain + markup


async def test_a_letter_with_no_earlier_letter_claims_none(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: LetterRequest
) -> None:
    _state, urging = urging_letter()
    never_sent = urging.model_copy(update={"earlier": []})  # e.g. earlier letters dispatched by hand, not here
    assert request_.earlier == []

    await send(engine, mail_settings, request_)
    await send(engine, mail_settings, never_sent)

    overdue_copy, urging_copy, _oversight = relay.handler.messages
    for message in (overdue_copy, urging_copy):
        plain, markup = bodies(message)
        assert NO_EARLIER_LETTER not in plain and NO_EARLIER_LETTER not in markup
        assert "20/09/2018" not in plain and "125/TTr-NV" not in plain
    assert all(NO_EARLIER_LETTER not in p.text for p in attached_letter(urging_copy).paragraphs)


@pytest.mark.parametrize(
    ("step", "attached"),
    [
        (Step.reminder, False),
        (Step.overdue, False),
        (Step.urging, True),
        (Step.second_urging, True),
        (Step.proposal, True),
    ],
)
async def test_only_the_formal_letters_carry_the_docx(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, step: Step, attached: bool
) -> None:
    request = ly_son_ladder()[step]

    await send(engine, mail_settings, request)

    assert len(relay.handler.messages) == len(request.copies)
    for message in relay.handler.messages:
        if not attached:
            assert message.get_content_type() == "multipart/alternative"
            assert attachments(message) == []
            continue
        assert message.get_content_type() == "multipart/mixed"
        (part,) = attachments(message)
        day = request.now.astimezone(at(2018, 1, 1).tzinfo).date()
        kind = {
            Step.urging: "don-doc",
            Step.second_urging: "don-doc-lan-2",
            Step.proposal: "de-nghi-kiem-tra",  # Lý Sơn's deadlines are all assumed: a check, not responsibility
        }
        assert part.get_filename() == f"van-ban-{kind[step]}-ubnd-huyen-ly-son-ngay-{day:%d-%m-%Y}.docx"
        subject_line = attached_letter(message).tables[0].cell(1, 0).text.splitlines()[1]
        assert subject_line.startswith("V/v ") and "Kết luận thanh tra số 312/KL-Ttra" in subject_line
        assert bodies(message)[0]  # the text and HTML bodies are still there


async def test_a_report_letter_targets_the_units_report(
    engine: Engine, mail_settings: Settings, relay: SmtpServer
) -> None:
    state = started()
    returned = c.ReviewReport(
        actor=STAFF, report_id="rp-3", decision=c.Decision.reject, reason="Chưa nêu kết quả từng kiến nghị"
    )
    apply(state, returned, at(2018, 8, 22))
    report = letter(state, "nghia-hanh", at(2018, 8, 22, 10))
    assert report.step == Step.overdue
    ((line),) = report.items
    assert (line.target, line.is_report) == ("report.nghia-hanh", True)

    await send(engine, mail_settings, report)

    row = outbox(engine, f"{report.key}/unit")
    assert (row.target, row.items, row.unit, row.status) == (
        "report.nghia-hanh",
        ["report.nghia-hanh"],
        "nghia-hanh",
        "sent",
    )
    (message,) = relay.handler.messages
    assert message["Subject"] == "[Quá hạn] KL 312/KL-Ttra – UBND huyện Nghĩa Hành"
    plain, _markup = bodies(message)
    assert "việc báo cáo kết quả thực hiện kết luận thanh tra đã quá thời hạn" in plain
    assert "1. Báo cáo kết quả thực hiện kết luận thanh tra\n   Hạn: 19/07/2018 — Quá hạn 34 ngày" in plain
    assert "Tài liệu đã gửi bị trả lại: Chưa nêu kết quả từng kiến nghị" in plain
    _link, scope = portal_link(engine, mail_settings, plain)
    assert (scope.workflow_id, scope.unit, scope.view_only) == (WID, "nghia-hanh", False)


async def test_the_closing_notice_goes_to_every_unit_and_copies_the_heads(
    engine: Engine, mail_settings: Settings, relay: SmtpServer
) -> None:
    closed = started().model_copy(update={"status": ConclusionStatus.closed, "closed_at": at(2019, 3, 1)})
    closing = letter(closed, "", at(2019, 3, 1, 10))
    assert closing.step == Step.closing
    ((copy),) = closing.copies

    await send(engine, mail_settings, closing)

    (accepted,) = relay.handler.accepted
    to = addresses(accepted.message, "To")
    assert to == copy.to
    assert len(to) == len(set(to)) == 18  # contacts and heads of the 9 units, the shared address once
    assert "vanphong@stttt.quangngai.example.vn" in to and LY_SON_HEAD in to
    assert addresses(accepted.message, "Cc") == copy.cc == [INSPECTORATE_HEAD]
    assert accepted.message["Subject"] == "[Kết thúc theo dõi] KL 312/KL-Ttra"
    plain, _markup = bodies(accepted.message)
    assert "https://" not in plain, "no link: the units' people have no account for the staff pages"
    assert PORTAL not in plain  # nobody gets a link acting for a unit
    assert attachments(accepted.message) == []
    kinh_gui = next(line for line in plain.splitlines() if line.startswith("Kính gửi: "))
    assert "@" not in kinh_gui  # every unit named by its name and its head's title, never by an address
    assert "; Chủ tịch UBND huyện Lý Sơn;" in kinh_gui and "; UBND huyện Lý Sơn;" not in kinh_gui
    assert kinh_gui.endswith("; Chủ tịch UBND tỉnh Quảng Ngãi")
    row = outbox(engine, f"{WID}/closing/{copy.audience.value}")
    assert (row.target, row.items, row.unit, row.step) == ("conclusion", [], "", "closing")


# ---------------------------------------------------------------- bugs


async def test_a_recipient_refused_with_5xx_is_recorded_even_when_others_accept(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: LetterRequest
) -> None:
    relay.handler.rcpt_answers = {"chutich@nghiahanh.example.vn": "550 5.1.1 No such user"}

    outcome = await send(engine, mail_settings, request_)

    assert relay.handler.accepted[0].rcpt_tos == [NGHIA_HANH]
    assert "chutich@nghiahanh.example.vn" in outcome.detail and "550" in outcome.detail
    assert outbox(engine).smtp_answer == outcome.detail


async def test_a_unit_without_head_or_supervisor_still_gets_the_second_urging(
    engine: Engine, mail_settings: Settings, relay: SmtpServer
) -> None:
    """'second_urging' goes to head and supervisor; when the unit has neither, the unit's contacts receive it."""
    state = started()
    apply(state, c.ChangeUnitContacts(actor=STAFF, unit="ly-son", contacts=[LY_SON]), at(2018, 9, 1))
    climb(
        state, "ly-son", [(at(2018, 10, 2, 8), NotificationStatus.sent), (at(2018, 10, 8, 8), NotificationStatus.sent)]
    )
    request = letter(state, "ly-son", at(2018, 10, 18, 8))
    assert request.step == Step.second_urging
    assert [(copy.audience, copy.to, copy.cc) for copy in request.copies] == [(Audience.unit, [LY_SON], [])]

    outcome = await send(engine, mail_settings, request)

    assert outcome.status == MailStatus.sent
    (accepted,) = relay.handler.accepted
    assert accepted.rcpt_tos == [LY_SON]
    assert accepted.message["Subject"] == "[Đôn đốc lần 2] KL 312/KL-Ttra – UBND huyện Lý Sơn – 3 nội dung"


async def test_a_retried_email_carries_the_same_portal_link(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: LetterRequest
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


def test_the_html_escapes_names() -> None:
    spec = quang_ngai_spec()
    units = [
        u.model_copy(update={"name": "Phòng Văn hóa & Thông tin <Lý Sơn>"}) if u.code == "ly-son" else u
        for u in spec.units
    ]
    spec = spec.model_copy(update={"tracking_body": "Thanh tra Sở TT&TT", "units": units})
    request = letter(started(spec=spec), "ly-son", OVERDUE_AT)

    html = render(request, request.copies[0], "https://dondoc.example.vn").html

    assert "Đề nghị Phòng Văn hóa &amp; Thông tin &lt;Lý Sơn&gt; khẩn trương thực hiện" in html
    assert "THANH TRA SỞ TT&amp;TT" in html
    assert "<Lý Sơn>" not in html and "TT&TT" not in html


async def test_the_closing_notice_names_each_recipient_once(
    engine: Engine, mail_settings: Settings, relay: SmtpServer
) -> None:
    closed = started().model_copy(update={"status": ConclusionStatus.closed, "closed_at": at(2019, 3, 1)})
    closing = letter(closed, "", at(2019, 3, 1, 10))

    await send(engine, mail_settings, closing)

    (accepted,) = relay.handler.accepted
    assert len(accepted.rcpt_tos) == len(set(accepted.rcpt_tos)) == 19
    # the agency head is also head of 'ubnd-tinh': addressed in To, so not copied again
    assert not set(addresses(accepted.message, "To")) & set(addresses(accepted.message, "Cc"))
    assert addresses(accepted.message, "Cc") == [INSPECTORATE_HEAD]


async def test_a_failed_letter_is_sent_again_only_when_staff_asked_for_it(
    engine: Engine, mail_settings: Settings, relay: SmtpServer, request_: LetterRequest
) -> None:
    relay.handler.data_answers.append("550 5.7.1 Message rejected by policy")
    assert (await send(engine, mail_settings, request_)).status == MailStatus.failed
    assert (await send(engine, mail_settings, request_)).status == MailStatus.failed  # a retry changes nothing
    assert relay.handler.accepted == []

    outcome = await send(engine, mail_settings, request_.model_copy(update={"resend": True}))

    assert outcome.status == MailStatus.sent and len(relay.handler.accepted) == 1
    row = outbox(engine)
    assert (row.status, row.attempts) == ("sent", 2) and row.smtp_answer == outcome.detail


# ---------------------------------------------------------------- known bugs in the rules (workflows/rules/)
# Strict: once the rule is fixed the test passes, and the marker must go.


def test_a_unit_without_head_is_itself_addressed_by_the_urging() -> None:
    state = started()
    apply(state, c.ChangeUnitContacts(actor=STAFF, unit="ly-son", contacts=[LY_SON]), at(2018, 9, 1))
    climb(state, "ly-son", [(at(2018, 10, 2, 8), NotificationStatus.sent)])
    urging = letter(state, "ly-son", at(2018, 10, 8, 8))

    assert urging.step == Step.urging
    assert urging.copies[0].audience == Audience.unit
    assert urging.addressees == ["UBND huyện Lý Sơn"]


# ---------------------------------------------------------------- the letters of one pass in one activity


async def test_the_letters_and_notices_of_a_pass_go_in_one_activity_each_on_its_own(
    engine: Engine, mail_settings: Settings, relay: SmtpServer
) -> None:
    state = started()
    units = ["van-phong-ubnd", "ly-son", "nghia-hanh", "tra-bong"]
    requests = [letter(state, unit, OVERDUE_AT) for unit in units]
    notice = notice_request(NoticeAudience.unit, ACCEPTED)
    relay.handler.rcpt_answers = {address: "451 4.3.0 Try again later" for address in NGHIA_HANH_TO}
    relay.handler.rcpt_answers[LY_SON] = "550 5.1.1 Mailbox unavailable"
    relay.handler.rcpt_answers[LY_SON_HEAD] = "550 5.1.1 Mailbox unavailable"
    send_letters = mail_together(
        lambda request: send(engine, mail_settings, request),
        lambda request: send_notice(engine, mail_settings, request),
    )

    result: BatchOutcome = await ActivityEnvironment().run(
        send_letters, LetterBatch(letters=requests, notices=[notice])
    )

    by_unit = {r.unit_code: result.outcomes.get(r.key) for r in requests}
    assert by_unit["nghia-hanh"] is None, "a temporary refusal is left to the workflow to retry alone"
    assert by_unit["ly-son"] is not None and by_unit["ly-son"].status == MailStatus.failed
    sent = {unit for unit, outcome in by_unit.items() if outcome is not None and outcome.status == MailStatus.sent}
    assert sent == {"van-phong-ubnd", "tra-bong"}, "one unit's refusal neither delays nor drops the others"
    assert result.outcomes[notice.key].status == MailStatus.sent, "the notice went in the same activity"
    assert sorted(str(m["Message-ID"]) for m in relay.handler.messages) == sorted(
        [*(f"<{r.key}/unit@dondoc>" for r in requests if r.unit_code in sent), f"<{notice.key}@dondoc>"]
    )
    (retry,) = [r for r in requests if r.unit_code == "nghia-hanh"]
    assert outbox(engine, f"{retry.key}/unit").status == "pending"

    relay.handler.rcpt_answers.clear()  # the relay recovered: the workflow's retry of that letter alone
    assert (await send(engine, mail_settings, retry)).status == MailStatus.sent
    assert len(relay.handler.messages) == 4 and outbox(engine, f"{retry.key}/unit").status == "sent"
