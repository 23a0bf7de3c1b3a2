"""SMTP connections kept open and reused by the worker's letters, instead of one connection per message.

A send may pass a `handover` step that runs after the relay accepted the envelope (MAIL, RCPT) and right before
DATA: the outbox records there that the message is being handed over (see docs/mail-delivery.md).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from email.message import Message
from typing import Literal

import aiosmtplib
from aiosmtplib.typing import Default

from dondoc.settings import Settings

IDLE_CHECK_SECONDS = 5.0
# Connections in use at once per worker process (a relay's fair share), and messages between their handover and the
# record of the answer: what one crash can leave unconfirmed (each may arrive twice; docs/mail-delivery.md).
MAX_OPEN = 8
Answer = tuple[dict[str, aiosmtplib.SMTPResponse], str]
Handover = Callable[[], Awaitable[None]]


class HandoverSMTP(aiosmtplib.SMTP):
    """aiosmtplib's client (MAIL, RCPT, SIZE, SMTPUTF8, 8BITMIME as it does them), running the current send's
    handover step before DATA. A connection serves one send at a time, so the step is per connection."""

    handover: Handover | None = None

    async def data(
        self,
        message: str | bytes,
        /,
        *,
        timeout: float | Literal[Default.token] | None = Default.token,  # noqa: ASYNC109 (aiosmtplib's signature)
    ) -> aiosmtplib.SMTPResponse:
        if self.handover is not None:
            await self.handover()
        return await super().data(message, timeout=timeout)


class SmtpPool:
    """Connections to one relay, at most `max_open` in use at once, `keep` of them kept idle; a connection that
    failed in any way is closed, never reused."""

    def __init__(self, settings: Settings, keep: int = 4, max_open: int = MAX_OPEN) -> None:
        self.settings = settings
        self.keep = keep
        self._slots = asyncio.Semaphore(max_open)
        self.transfers = asyncio.Semaphore(max_open)  # held from a handover until its answer is recorded
        self._idle: list[HandoverSMTP] = []
        self._used: dict[int, float] = {}  # loop time each connection last sent
        self.loop = asyncio.get_running_loop()
        self.opened = 0  # connections opened so far (for tests and benchmarks)

    async def _open(self) -> HandoverSMTP:
        host, port = self.settings.effective_smtp
        client = HandoverSMTP(
            hostname=host,
            port=port,
            username=self.settings.smtp_username,
            password=self.settings.smtp_password,
            start_tls=self.settings.smtp_starttls,
            timeout=self.settings.smtp_timeout_seconds,
        )
        await client.connect()
        self.opened += 1
        return client

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[HandoverSMTP]:
        async with self._slots, self._connection() as client:
            yield client

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[HandoverSMTP]:
        client = None
        while self._idle and client is None:
            candidate = self._idle.pop()
            if candidate.is_connected:
                client = candidate
        if client is None:
            client = await self._open()
        try:
            yield client
        except BaseException:
            client.close()
            raise
        if client.is_connected and len(self._idle) < self.keep:
            self._idle.append(client)
        else:
            client.close()

    async def send(self, message: Message, handover: Handover | None = None) -> Answer:
        """One message over a kept connection; one idle for a while is checked first (relays drop idle ones).
        `handover` runs right before DATA, once the envelope was accepted; if it raises, DATA is never sent."""
        async with self.connection() as client:
            loop = asyncio.get_running_loop()
            if loop.time() - self._used.get(id(client), loop.time()) > IDLE_CHECK_SECONDS:
                try:
                    await client.noop()
                except aiosmtplib.SMTPException:
                    client.close()
                    await client.connect()
                    self.opened += 1
            client.handover = handover
            try:
                return await client.send_message(message)
            finally:
                client.handover = None
                self._used[id(client)] = loop.time()

    def close(self) -> None:
        for client in self._idle:
            client.close()
        self._idle.clear()


_pools: dict[tuple[object, ...], SmtpPool] = {}


def pool_for(settings: Settings) -> SmtpPool:
    """The pool of this event loop for this relay (connections belong to the loop that opened them)."""
    host, port = settings.effective_smtp
    loop = asyncio.get_running_loop()
    key = (
        id(loop),
        host,
        port,
        settings.smtp_username,
        settings.smtp_password,
        settings.smtp_starttls,
        settings.smtp_timeout_seconds,
    )
    pool = _pools.get(key)
    if pool is None or pool.loop is not loop:  # a new loop may reuse a closed one's id
        pool = _pools[key] = SmtpPool(settings)
    return pool


def close_pools() -> None:
    """Close every kept connection (at worker shutdown)."""
    for pool in _pools.values():
        pool.close()
    _pools.clear()
