"""Fixtures of the fault tests: a real PostgreSQL database, a relay on a port of its own, the worker's process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from activities.database import get_engine
from tests.faults.harness import Relay
from tests.support.ports import free_port
from tests.support.postgres import PostgresServer


@pytest.fixture
def database_url(postgres_server: PostgresServer) -> str:
    return postgres_server.create_database()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """The read model and outbox, migrated (as the worker would on start)."""
    engine = get_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def relay() -> Iterator[Relay]:
    """A relay on its own port, not started: each test starts it when its script says."""
    relay = Relay(free_port())
    yield relay
    relay.stop()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path
