"""SMTP connections kept open and reused by the worker's letters, instead of one connection per message."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from email.message import EmailMessage

import aiosmtplib

from dondoc.settings import Settings

IDLE_CHECK_SECONDS = 5.0
Answer = tuple[dict[str, aiosmtplib.SMTPResponse], str]


class SmtpPool:
    """Idle connections to one relay; a connection that failed in any way is closed, never reused."""

    def __init__(self, settings: Settings, keep: int = 4) -> None:
        self.settings = settings
        self.keep = keep
        self._idle: list[aiosmtplib.SMTP] = []
        self._used: dict[int, float] = {}  # loop time each connection last sent
        self.loop = asyncio.get_running_loop()
        self.opened = 0  # connections opened so far (for tests and benchmarks)

    async def _open(self) -> aiosmtplib.SMTP:
        host, port = self.settings.effective_smtp
        client = aiosmtplib.SMTP(
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
    async def connection(self) -> AsyncIterator[aiosmtplib.SMTP]:
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

    async def send(self, message: EmailMessage) -> Answer:
        """One message over a kept connection; one idle for a while is checked first (relays drop idle ones)."""
        async with self.connection() as client:
            loop = asyncio.get_running_loop()
            if loop.time() - self._used.get(id(client), loop.time()) > IDLE_CHECK_SECONDS:
                try:
                    await client.noop()
                except aiosmtplib.SMTPException:
                    client.close()
                    await client.connect()
                    self.opened += 1
            try:
                return await client.send_message(message)
            finally:
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
