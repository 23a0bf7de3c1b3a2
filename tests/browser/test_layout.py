"""Every page at 1280 px and at 390 px (a phone) in Chromium: nothing scrolls sideways, and the Quảng Ngãi conclusion
(9 units, 44 actions) with its sections collapsed fits within a few screens. The app runs in-process on the
time-skipping test server with the example overdue (letters sent), the constructed quarter of tests/reports and a
unit's evidence submitted through its portal. Screenshots under test-output/browser/layout/."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import Browser, BrowserContext, Page

from dondoc import links
from tests.browser.test_follow_up_in_the_browser import PDF
from tests.conftest import ROOT
from tests.reports import dataset
from tests.support.ports import free_port
from tests.web import conftest as web_fixtures
from tests.web.conftest import ADMIN, AGENCY, PASSWORD, STAFF, Web
from tests.workflow.harness import quang_ngai

settings, web = web_fixtures.settings, web_fixtures.web  # the web tests' app on the time-skipping server

SHOTS = ROOT / "test-output" / "browser" / "layout"
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
SCREENS = 6  # the collapsed Quảng Ngãi page at most this many phone screens tall


@pytest.fixture
async def served(web: Web) -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(web.app, host="127.0.0.1", port=port, log_level="warning"))  # type: ignore[arg-type]
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def _signed_in(browser: Browser, url: str, email: str, width: int, height: int) -> BrowserContext:
    context = await browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN")
    page = await context.new_page()
    await page.goto(f"{url}/login")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_load_state("networkidle")
    await page.close()
    return context


async def _overflow(page: Page) -> tuple[int, int]:
    sizes: list[int] = await page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    return sizes[0], sizes[1]


WIDE = """() => {
  const width = document.documentElement.clientWidth, found = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > width + 1 && ![...found].some(f => f.el.contains(el)))
      found.push({el, text: `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}.${el.className} (${Math.round(box.right)}px)`});
  }
  return found.slice(0, 5).map(f => f.text);
}"""


async def _wide(page: Page) -> str:
    """The outermost elements past the window's right edge, to say what to fix."""
    found: list[str] = await page.evaluate(WIDE)
    return "; ".join(found)


async def _check(page: Page, url: str, name: str, size: str, problems: list[str]) -> None:
    response = await page.goto(url)
    assert response is not None and response.status == 200, f"{url}: {response.status if response else None}"
    await page.wait_for_load_state("networkidle")
    scroll, client = await _overflow(page)
    await page.screenshot(path=SHOTS / f"{size}-{name}.png", full_page=True)
    if scroll > client:
        problems.append(f"{name} at {size}: {scroll}px wide in a {client}px window: {await _wide(page)}")


async def test_every_page_fits_a_desktop_and_a_phone(web: Web, served: str, browser: Browser) -> None:
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    dataset.build(web.ctx.engine)
    spec = await web.start_overdue(units=tuple(u.code for u in quang_ngai().units), days_ago=40)
    wid = spec.workflow_id
    await web.letters_sent(wid, count=len(spec.units))
    token = links.issue(web.ctx.engine, web.ctx.settings.signing_key, wid, "ly-son", 30)
    view_token = links.issue(web.ctx.engine, web.ctx.settings.signing_key, wid, "tra-bong", 30, view_only=True)
    staff_pages = {
        "dashboard": "/",
        "conclusions": "/conclusions",
        "conclusion": f"/conclusions/{wid}",
        "conclusion-filtered": f"/conclusions/{wid}?unit=ly-son",
        "new": "/conclusions/new",
        "review": "/review",
        "overdue": "/overdue",
        "notifications": "/notifications",
        "register": "/registers",
        "statistics": "/statistics?kind=quarter&year=2026&number=1",
    }
    problems: list[str] = []
    for size, (width, height) in WIDTHS.items():
        staff = await _signed_in(browser, served, STAFF, width, height)
        page = await staff.new_page()
        for name, path in staff_pages.items():
            await _check(page, served + path, name, size, problems)
        await staff.close()
        admin = await _signed_in(browser, served, ADMIN, width, height)
        page = await admin.new_page()
        await _check(page, f"{served}/admin", "admin", size, problems)
        await admin.close()

        unit = await browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN")
        page = await unit.new_page()
        await _check(page, f"{served}/portal/{token}", "portal", size, problems)
        if size == "phone":  # the unit sends evidence from its phone and reads the portal after it
            form = page.locator("form[action$='/actions/ly-son-eoffice/evidence']")
            await page.locator("details", has=form).locator("summary").click()
            await form.locator("input[type=file]").set_input_files(
                files=[{"name": "minh-chung.pdf", "mimeType": "application/pdf", "buffer": PDF}]
            )
            await form.locator("button[type=submit]").click()
            await page.wait_for_load_state("networkidle")
            assert "đã nộp" in (await page.content()).lower() or "minh-chung.pdf" in await page.content()
            scroll, client = await _overflow(page)
            await page.screenshot(path=SHOTS / f"{size}-portal-after-submission.png", full_page=True)
            if scroll > client:
                problems.append(f"portal after a submission at {size}: {scroll}px: {await _wide(page)}")
        await unit.close()
        viewer = await browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN")
        page = await viewer.new_page()
        await _check(page, f"{served}/portal/{view_token}", "portal-view-only", size, problems)
        await viewer.close()
        agency = await _signed_in(browser, served, AGENCY, width, height)
        page = await agency.new_page()
        await _check(page, f"{served}/portal", "portal-account", size, problems)
        await agency.close()
    assert not problems, "\n".join(problems)


async def test_the_quang_ngai_page_collapsed_fits_a_few_phone_screens(web: Web, served: str, browser: Browser) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    spec = await web.start_quang_ngai()
    phone = await _signed_in(browser, served, STAFF, *WIDTHS["phone"])
    page = await phone.new_page()
    await page.goto(f"{served}/conclusions/{spec.workflow_id}")
    assert await page.locator("details.unit[open]").count() == 0
    assert await page.locator("details.unit").count() == len(spec.units)
    height: int = await page.evaluate("document.documentElement.scrollHeight")
    await page.screenshot(path=SHOTS / "phone-quang-ngai-collapsed.png", full_page=True)
    assert height <= SCREENS * WIDTHS["phone"][1], f"{height}px: more than {SCREENS} screens"
    await page.locator("#unit-ly-son > summary").click()  # one section opened shows its items
    assert await page.locator("#unit-ly-son .action").count() == sum(1 for a in spec.actions if a.unit == "ly-son")
    await page.goto(f"{served}/conclusions/{spec.workflow_id}#action-ly-son-eoffice")  # a link to an item opens it
    assert await page.locator("#unit-ly-son").get_attribute("open") is not None
    await phone.close()


async def test_pages_print_without_navigation_or_forms_and_with_every_section(
    web: Web, served: str, browser: Browser
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    spec = await web.start_quang_ngai()
    context = await _signed_in(browser, served, STAFF, *WIDTHS["desktop"])
    page = await context.new_page()
    await page.emulate_media(media="print")
    await page.goto(f"{served}/conclusions/{spec.workflow_id}")
    assert await page.locator("header.topbar").is_hidden() and await page.locator("form#filters").is_hidden()
    assert await page.locator("details.unit[open]").count() == 0
    assert await page.locator("#unit-ly-son .action").first.is_visible()  # collapsed sections print whole
    await page.pdf(path=SHOTS / "print-conclusion.pdf", format="A4")
    for path in ("/overdue", "/registers", "/notifications", "/conclusions"):
        await page.goto(served + path)
        assert await page.locator("header.topbar").is_hidden(), path
        assert (
            await page.locator("main form[method=get]").count() == 0
            or await page.locator("main form[method=get]").first.is_hidden()
        ), path
    await context.close()


def test_screenshots_directory_is_under_test_output() -> None:
    assert Path(SHOTS).is_relative_to(ROOT / "test-output")
