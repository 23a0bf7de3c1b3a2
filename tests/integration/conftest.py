"""Fixtures of the integration tests: an SMTP sink on a free port; the worker's SMTP connections closed after each."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from activities.smtp import close_pools
from dondoc.smtp_sink import start_sink
from tests.support.ports import free_port


@pytest.fixture
async def sink(tmp_path: Path) -> AsyncIterator[tuple[Path, int]]:
    """The built-in sink, storing .eml files under tmp_path/mail: (folder, port)."""
    folder, port = tmp_path / "mail", free_port()
    server = await start_sink(folder, "127.0.0.1", port)
    yield folder, port
    server.close()


@pytest.fixture(autouse=True)
def closed_smtp_pools() -> Iterator[None]:
    """The SMTP connections a worker's letters kept open go with the test: the event loop outlives it, and a later
    test's sink on a reused port would otherwise get them."""
    yield
    close_pools()
