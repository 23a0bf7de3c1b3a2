"""One email as dondoc sends it: text and HTML alternatives (and an attachment), Vietnamese headers encoded.

Built with the `email.mime` classes and encoded words for the headers rather than `EmailMessage`, whose header
registry parses every header it is given again: at a thousand letters at once, that parsing was a third of a worker's
time. What arrives is the same message to any reader (`tests/activities/test_mail.py` parses it back).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, parseaddr

UTF8 = "utf-8"


@dataclass(frozen=True)
class Attachment:
    """A file of type `application/<subtype>` (the letter as DOCX)."""

    data: bytes
    subtype: str
    filename: str


@dataclass(frozen=True)
class Mail:
    """What an email says and to whom; `extra` headers are ASCII (`X-Dondoc-Key`, `Auto-Submitted`)."""

    sender: str  # "Display name <address>" or a bare address
    to: list[str]
    subject: str
    text: str
    html: str
    message_id: str
    date: datetime
    cc: list[str] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)
    attachment: Attachment | None = None


def mail_message(mail: Mail) -> Message:
    # Boundaries derived from the Message-ID, so flattening need not search the parts for a free one. Every part is
    # base64, whose alphabet has no "_": the boundary cannot occur inside a part. A retry's copy is byte for byte
    # the same message.
    boundary = "=_dondoc_" + hashlib.sha256(mail.message_id.encode()).hexdigest()[:24]
    body = MIMEMultipart("alternative", boundary=boundary + "_alt")
    body.attach(MIMEText(mail.text, "plain", UTF8))
    body.attach(MIMEText(mail.html, "html", UTF8))
    message: Message = body
    if mail.attachment is not None:
        message = MIMEMultipart("mixed", boundary=boundary + "_mix")
        message.attach(body)
        message.attach(_attachment(mail.attachment))
    message["From"] = formataddr(parseaddr(mail.sender), charset=UTF8)
    message["To"] = ", ".join(mail.to)
    if mail.cc:
        message["Cc"] = ", ".join(mail.cc)
    message["Subject"] = Header(mail.subject, UTF8, header_name="Subject").encode()
    message["Message-ID"] = mail.message_id
    message["Date"] = format_datetime(mail.date)
    for name, value in mail.extra.items():
        message[name] = value
    return message


def _attachment(attachment: Attachment) -> Message:
    part = MIMEApplication(attachment.data, attachment.subtype)
    part.add_header("Content-Disposition", "attachment", filename=(UTF8, "", attachment.filename))
    return part
