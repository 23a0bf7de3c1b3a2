"""Fixtures of the activity tests: a read-model engine per database, a scriptable SMTP relay, fresh SMTP pools."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy.engine import Engine

from activities import smtp
from activities.database import get_engine
from dondoc.settings import Settings
from tests.activities.smtp_server import SmtpServer, smtp_server


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """The engine the activities would use for this URL (schema created), its pool closed afterwards."""
    engine = get_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
async def relay() -> AsyncIterator[SmtpServer]:
    async with smtp_server() as server:
        yield server


@pytest.fixture
def mail_settings(settings: Settings, relay: SmtpServer) -> Settings:
    """Settings sending through the test relay, with a public URL for the links."""
    return settings.model_copy(
        update={
            "smtp_host": relay.host,
            "smtp_port": relay.port,
            "smtp_timeout_seconds": 5.0,
            "public_url": "https://dondoc.example.vn/",
        }
    )


@pytest.fixture(autouse=True)
def fresh_smtp_pools() -> Iterator[None]:
    """Each test starts without kept SMTP connections: the tests share one event loop, so a pool (and its open
    connections) would otherwise outlive its test's relay, and a later relay on a reused port would get them."""
    yield
    smtp.close_pools()
