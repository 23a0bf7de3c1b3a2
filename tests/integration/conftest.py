"""Fixtures of the integration tests: an SMTP sink on a free port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from dondoc.smtp_sink import start_sink
from tests.support.ports import free_port


@pytest.fixture
async def sink(tmp_path: Path) -> AsyncIterator[tuple[Path, int]]:
    """The built-in sink, storing .eml files under tmp_path/mail: (folder, port)."""
    folder, port = tmp_path / "mail", free_port()
    server = await start_sink(folder, "127.0.0.1", port)
    yield folder, port
    server.close()
