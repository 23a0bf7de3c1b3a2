"""A scriptable SMTP server for mail tests: answers 250, 4xx or 5xx at RCPT or DATA, as a test asks.

It runs in the test's event loop (aiosmtpd's SMTP protocol on `loop.create_server`), records every envelope and
stores every accepted message, and counts the connections made to it, so a test can count exactly what a real relay
would have taken.
"""

from __future__ import annotations

import asyncio
import socket
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class Accepted:
    """One message the server took: envelope and parsed content."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class ScriptedHandler:
    """aiosmtpd handler whose answers are set by the test.

    - `rcpt_answers[address]`: answer RCPT TO for that address with this line (e.g. "550 5.1.1 ...").
    - `data_answers`: answers for the next DATA commands, in order; when empty, DATA is accepted.
    - `mail_answers`: answers for the next MAIL FROM commands, in order; when empty, MAIL is accepted.
    - `on_data`: called with the envelope before DATA is answered (e.g. to look at the outbox meanwhile).
    - `data_delay`: seconds to wait after taking a message before answering (slower than the client's timeout).
    """

    rcpt_answers: dict[str, str] = field(default_factory=dict)
    data_answers: deque[str] = field(default_factory=deque)
    mail_answers: deque[str] = field(default_factory=deque)
    data_delay: float = 0.0
    on_data: Callable[[Envelope], None] | None = None
    accepted: list[Accepted] = field(default_factory=list)
    transactions: int = 0  # MAIL FROM commands seen: one per delivery attempt that reached the server
    connections: int = 0  # SMTP connections clients opened to the server
    refused_data: list[str] = field(default_factory=list)

    async def handle_MAIL(
        self, _server: SMTP, _session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        self.transactions += 1
        if self.mail_answers:
            return self.mail_answers.popleft()
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, _server: SMTP, _session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        answer = self.rcpt_answers.get(address)
        if answer is not None:
            return answer
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:
        if self.on_data is not None:
            self.on_data(envelope)
        if self.data_answers:
            answer = self.data_answers.popleft()
            self.refused_data.append(answer)
            return answer
        raw = envelope.original_content or b""
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.accepted.append(Accepted(str(envelope.mail_from), list(envelope.rcpt_tos), message))
        answer = f"250 2.0.0 Ok: queued as test-{len(self.accepted)}"
        if self.data_delay:  # taken, but the answer comes late
            await asyncio.sleep(self.data_delay)
        return answer

    @property
    def messages(self) -> list[EmailMessage]:
        return [a.message for a in self.accepted]


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: ScriptedHandler


@asynccontextmanager
async def smtp_server(handler: ScriptedHandler | None = None) -> AsyncIterator[SmtpServer]:
    """Serve SMTP on a free loopback port in the running loop for the duration of the block."""
    scripted = handler or ScriptedHandler()
    loop = asyncio.get_running_loop()

    class CountingSMTP(SMTP):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            scripted.connections += 1
            super().connection_made(transport)

    def factory() -> Any:
        return CountingSMTP(scripted, hostname="test-relay", ident="dondoc test relay")

    server = await loop.create_server(factory, host="127.0.0.1", port=0)
    port = int(server.sockets[0].getsockname()[1])
    try:
        yield SmtpServer("127.0.0.1", port, scripted)
    finally:
        server.close()
        await server.wait_closed()


def closed_port() -> int:
    """A loopback port nothing listens on (bound then released), so connecting is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
