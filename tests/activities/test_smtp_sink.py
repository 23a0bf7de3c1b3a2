"""The embedded SMTP sink: one .eml per message, deduplicated by Message-ID, readable back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest
from sqlalchemy.engine import Engine

from activities.mail import build_message, copy_key, deliver, send
from activities.smtp import SmtpPool
from dondoc.mail_render import render
from dondoc.settings import Settings
from dondoc.smtp_sink import read_messages, start_sink
from models.mail import MailStatus
from tests.activities.states import overdue_letter, urging_letter


@dataclass
class Sink:
    folder: Path
    port: int
    settings: Settings  # the embedded default: no SMTP host configured, mail goes to the sink port


@pytest.fixture
async def sink(settings: Settings) -> AsyncIterator[Sink]:
    folder = settings.mail_sink_dir
    server = await start_sink(folder, "127.0.0.1", 0)
    port = int(server.sockets[0].getsockname()[1])
    assert settings.smtp_host is None
    try:
        yield Sink(folder, port, settings.model_copy(update={"sink_port": port, "smtp_timeout_seconds": 5.0}))
    finally:
        server.close()
        await server.wait_closed()


def email(message_id: str | None, subject: str, body: str = "Nội dung thư kiểm thử.") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "dondoc <khong-tra-loi@dondoc.local>"
    message["To"] = "vanphong@lyson.example.vn"
    message["Subject"] = subject
    if message_id is not None:
        message["Message-ID"] = message_id
    message.set_content(body)
    return message


async def transmit(port: int, message: EmailMessage) -> tuple[int, str]:
    """One SMTP transaction with the sink; its final answer, whatever it is."""
    try:
        _refused, answer = await aiosmtplib.send(message, hostname="127.0.0.1", port=port, timeout=5)
    except aiosmtplib.SMTPResponseException as error:
        return error.code, error.message
    return 250, answer


def eml_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.eml"))


async def test_each_message_is_stored_as_an_eml_file(sink: Sink) -> None:
    first = await transmit(sink.port, email("<k1@dondoc>", "[Nhắc nhở] KL 312/KL-Ttra – UBND huyện Lý Sơn"))
    second = await transmit(sink.port, email("<k2@dondoc>", "[Quá hạn] KL 312/KL-Ttra – UBND huyện Lý Sơn"))

    assert first[0] == second[0] == 250
    assert len(eml_files(sink.folder)) == 2
    assert not list(sink.folder.glob("*.tmp"))
    messages = read_messages(sink.folder)
    assert [m["Message-ID"] for m in messages] == ["<k1@dondoc>", "<k2@dondoc>"]
    assert [m["Subject"] for m in messages] == [
        "[Nhắc nhở] KL 312/KL-Ttra – UBND huyện Lý Sơn",
        "[Quá hạn] KL 312/KL-Ttra – UBND huyện Lý Sơn",
    ]
    assert messages[0].get_content().rstrip() == "Nội dung thư kiểm thử."


async def test_a_second_message_with_the_same_message_id_is_acknowledged_but_not_stored_again(sink: Sink) -> None:
    first = await transmit(sink.port, email("<k1@dondoc>", "Lần đầu", "Bản thứ nhất."))
    again = await transmit(sink.port, email("<k1@dondoc>", "Lần gửi lại", "Bản thứ hai."))

    assert first[0] == again[0] == 250
    assert first[1] != again[1]  # the answer says the duplicate was not stored
    (stored,) = read_messages(sink.folder)
    assert stored["Subject"] == "Lần đầu"
    assert stored.get_content().rstrip() == "Bản thứ nhất."
    assert len(eml_files(sink.folder)) == 1


async def test_messages_without_a_message_id_are_all_stored(sink: Sink) -> None:
    for i in range(3):
        assert (await transmit(sink.port, email(None, f"Thư {i}")))[0] == 250
        await asyncio.sleep(0.001)

    assert [m["Subject"] for m in read_messages(sink.folder)] == ["Thư 0", "Thư 1", "Thư 2"]


def test_reading_an_empty_or_missing_sink_gives_no_messages(tmp_path: Path) -> None:
    assert read_messages(tmp_path / "never-created") == []
    (tmp_path / "empty").mkdir()
    assert read_messages(tmp_path / "empty") == []


async def test_send_through_the_embedded_sink(engine: Engine, sink: Sink) -> None:
    request = overdue_letter()

    outcome = await send(engine, sink.settings, request)
    again = await send(engine, sink.settings, request)

    assert outcome.status == MailStatus.sent
    assert again == outcome
    (stored,) = read_messages(sink.folder)
    assert stored["Message-ID"] == f"<{request.key}/unit@dondoc>"
    assert stored["Subject"] == "[Quá hạn] KL 312/KL-Ttra – UBND huyện Nghĩa Hành – 4 nội dung"
    assert stored.get_content_type() == "multipart/alternative"


async def test_both_copies_of_a_letter_with_its_docx_are_stored(engine: Engine, sink: Sink) -> None:
    _state, request = urging_letter()

    outcome = await send(engine, sink.settings, request)

    assert outcome.status == MailStatus.sent
    stored = read_messages(sink.folder)
    assert sorted(str(m["Message-ID"]) for m in stored) == [
        f"<{request.key}/oversight@dondoc>",
        f"<{request.key}/unit@dondoc>",
    ]
    for message in stored:
        (attachment,) = message.iter_attachments()
        assert (
            attachment.get_content_type() == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        )
        assert str(attachment.get_filename()).endswith(".docx")


async def test_a_resend_after_a_lost_outcome_is_deduplicated_by_the_sink(sink: Sink) -> None:
    """A crash between delivering and settling the outbox resends the same Message-ID: stored once."""
    request = overdue_letter()
    (copy,) = request.copies
    message = build_message(sink.settings, request, copy, render(request, copy, sink.settings.link_base), None)
    assert message["Message-ID"] == f"<{copy_key(request.key, copy.audience)}@dondoc>"
    pool = SmtpPool(sink.settings)

    first = await deliver(pool, message)
    resent = await deliver(pool, message)
    pool.close()

    assert first.status == resent.status == MailStatus.sent
    assert len(read_messages(sink.folder)) == 1


# the longest ids the read model allows: a 120-character workflow id (the workflow takes its id from Temporal, so
# any client may choose it) and a 64-character unit code; two letters of one unit then differ only after
# character 150
LONG_WORKFLOW_ID = "kl-" + "k" * 117
LONG_UNIT = "ly-son-" + "a" * 57


@pytest.mark.parametrize(
    ("first_id", "second_id"),
    [
        pytest.param("<a+b@example.vn>", "<a=b@example.vn>", id="punctuation"),
        pytest.param("<x/y@dondoc>", "<x_y@dondoc>", id="slash-vs-underscore"),
        pytest.param(
            f"<{LONG_WORKFLOW_ID}/{LONG_UNIT}/second_urging/1/oversight@dondoc>",
            f"<{LONG_WORKFLOW_ID}/{LONG_UNIT}/second_urging/2/oversight@dondoc>",
            id="long-keys-differing-after-150-chars",
        ),
    ],
)
async def test_distinct_message_ids_are_never_taken_for_duplicates(sink: Sink, first_id: str, second_id: str) -> None:
    await transmit(sink.port, email(first_id, "Thư thứ nhất"))
    await transmit(sink.port, email(second_id, "Thư thứ hai"))

    assert sorted(m["Message-ID"] for m in read_messages(sink.folder)) == sorted([first_id, second_id])
