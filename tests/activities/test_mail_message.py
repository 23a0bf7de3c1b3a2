"""The email as built for sending reads back, by a modern parser, exactly as it was meant: Vietnamese subject and
sender name, both bodies, the attachment's Vietnamese file name, the identifying headers."""

from __future__ import annotations

from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtplib.email import flatten_message

from dondoc.mail_message import Attachment, Mail, mail_message
from models.labels import VN

SUBJECT = (
    "[Đôn đốc lần 2] KL 312/KL-Ttra ngày 12/9/2018 của Thanh tra tỉnh Quảng Ngãi – UBND huyện Nghĩa Hành –"
    " 12 nội dung chưa thực hiện, đề nghị báo cáo trước ngày 15/01/2027"
)


def read_back(mail: Mail) -> EmailMessage:
    parsed = message_from_bytes(mail_message(mail).as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def mail(**changes: object) -> Mail:
    base: dict[str, object] = {
        "sender": "Thanh tra tỉnh Quảng Ngãi <theodoi@thanhtra.quangngai.gov.vn>",
        "to": ["vanphong@nghiahanh.example.vn", "chutich@nghiahanh.example.vn"],
        "cc": ["chanhthanhtra@thanhtra.example.vn"],
        "subject": SUBJECT,
        "text": "Kính gửi: Chủ tịch UBND huyện Nghĩa Hành\n\nĐề nghị khẩn trương thực hiện…",
        "html": "<p>Kính gửi: <b>Chủ tịch UBND huyện Nghĩa Hành</b></p>",
        "message_id": "<kl-312/nghia-hanh/urging/4/unit@dondoc>",
        "date": datetime(2027, 1, 4, 8, 0, tzinfo=VN),
        "extra": {"X-Dondoc-Key": "kl-312/nghia-hanh/urging/4"},
    }
    return Mail(**{**base, **changes})  # type: ignore[arg-type]


def test_headers_read_back_in_vietnamese_and_the_identity_is_kept() -> None:
    message = read_back(mail())

    assert message["Subject"] == SUBJECT
    assert message["From"].addresses[0].display_name == "Thanh tra tỉnh Quảng Ngãi"
    assert message["From"].addresses[0].addr_spec == "theodoi@thanhtra.quangngai.gov.vn"
    assert [a.addr_spec for a in message["To"].addresses] == [
        "vanphong@nghiahanh.example.vn",
        "chutich@nghiahanh.example.vn",
    ]
    assert [a.addr_spec for a in message["Cc"].addresses] == ["chanhthanhtra@thanhtra.example.vn"]
    assert message["Message-ID"] == "<kl-312/nghia-hanh/urging/4/unit@dondoc>"
    assert message["X-Dondoc-Key"] == "kl-312/nghia-hanh/urging/4"
    assert message["Date"].datetime == datetime(2027, 1, 4, 8, 0, tzinfo=VN)


def test_the_text_and_html_bodies_are_alternatives() -> None:
    message = read_back(mail(cc=[]))

    assert message.get_content_type() == "multipart/alternative" and message["Cc"] is None
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and "Chủ tịch UBND huyện Nghĩa Hành" in plain.get_content()
    assert html is not None and "<b>Chủ tịch UBND huyện Nghĩa Hành</b>" in html.get_content()


def test_an_attachment_keeps_its_bytes_and_vietnamese_file_name() -> None:
    data = bytes(range(256)) * 40
    message = read_back(mail(attachment=Attachment(data, "msword", "Văn bản đôn đốc – Nghĩa Hành.docx")))

    assert message.get_content_type() == "multipart/mixed"
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "Văn bản đôn đốc – Nghĩa Hành.docx"
    assert attachment.get_content_type() == "application/msword"
    assert attachment.get_content() == data
    body = message.get_body(("plain",))
    assert body is not None and "Đề nghị khẩn trương" in body.get_content()


def test_a_bare_sender_address_is_kept_as_it_is() -> None:
    message = read_back(mail(sender="theodoi@thanhtra.example.vn", subject="ASCII subject"))

    assert str(message["From"]) == "theodoi@thanhtra.example.vn"
    assert message["Subject"] == "ASCII subject"


def test_the_same_mail_flattens_to_the_same_bytes_and_no_part_holds_its_boundary() -> None:
    """Boundaries come from the Message-ID (no search of the parts for a free one): a retry's copy is the same
    message, and a body that spells a boundary-like line still reads back whole."""
    tricky = "--=_dondoc_ không phải ranh giới\n" * 3
    first = mail(text=tricky, attachment=Attachment(b"PK\x03\x04" * 64, "octet-stream", "thư.docx"))
    raw = flatten_message(mail_message(first))
    assert raw == flatten_message(mail_message(first))
    assert raw != flatten_message(mail_message(mail(text=tricky, message_id="<khac@dondoc>")))
    back = message_from_bytes(raw, policy=policy.default)
    assert isinstance(back, EmailMessage)
    boundaries = {part.get_boundary() for part in back.walk() if part.is_multipart()}
    assert len(boundaries) == 2
    leaves = [part for part in back.walk() if not part.is_multipart()]
    for boundary in boundaries:
        assert all(f"--{boundary}".encode() not in part.as_bytes() for part in leaves)
    body = back.get_body(("plain",))
    assert body is not None and body.get_content() == tricky
