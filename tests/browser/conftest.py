"""What every browser test shares: Debian's Chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from tests.conftest import skip_or_fail

CHROMIUM = os.environ.get("DONDOC_CHROMIUM", "/usr/bin/chromium")


def chromium_path() -> str:
    """Debian's Chromium (or DONDOC_CHROMIUM); missing, the test skips locally and fails in CI."""
    found = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if found is None:
        skip_or_fail(f"missing Chromium: {CHROMIUM} not found (apt-get install chromium)")
    assert found is not None
    return found


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = chromium_path()
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            yield chromium
        finally:
            await chromium.close()
