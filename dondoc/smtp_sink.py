"""The built-in SMTP sink of the embedded default: every message becomes a .eml file under the data dir.

A message whose Message-ID was stored before is acknowledged and not stored again, as a receiving mail system
that deduplicates on Message-ID would.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from dondoc.logs import get_logger


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:150] or "message"


class MaildirHandler:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.log = get_logger(component="smtp_sink")

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        message_id = str(message.get("Message-ID", "")).strip("<>")
        # Readable prefix, exact identity: the hash keeps distinct Message-IDs apart after sanitizing.
        digest = hashlib.sha256(message_id.encode()).hexdigest()[:32]
        name = f"{_safe(message_id)[:80]}-{digest}" if message_id else f"{datetime.now():%Y%m%d-%H%M%S-%f}"
        path = self.folder / f"{name}.eml"
        if path.exists():
            self.log.info("mail_duplicate_ignored", message_id=message_id)
            return "250 OK: duplicate Message-ID, not stored again"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(raw)
        tmp.replace(path)
        self.log.info(
            "mail_received",
            to=list(envelope.rcpt_tos),
            subject=str(message.get("Subject", "")),
            file=str(path),
        )
        return "250 OK: stored"


async def start_sink(folder: Path, host: str, port: int) -> asyncio.Server:
    """Serve SMTP on host:port in the running loop until the returned server is closed."""
    handler = MaildirHandler(folder)
    loop = asyncio.get_running_loop()

    def factory() -> Any:
        return SMTP(handler, hostname="dondoc-sink", ident="dondoc SMTP sink")

    return await loop.create_server(factory, host=host, port=port)


def read_messages(folder: Path) -> list[EmailMessage]:
    """The messages stored in the sink, oldest first."""
    messages: list[EmailMessage] = []
    if not folder.exists():
        return messages
    for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        messages.append(message)
    return messages
