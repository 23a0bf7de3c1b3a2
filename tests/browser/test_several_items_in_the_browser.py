"""Several items at once, clicked in Chromium on a phone: Lý Sơn sends one dispatch as evidence for three items from
one action's form, and staff accept all of the unit's evidence from the review queue with one click; the queue then
says what each item became. Neither page scrolls sideways. Screenshots under test-output/browser/several/."""

from __future__ import annotations

import re

from playwright.async_api import Browser, expect

from dondoc import links
from tests.browser.test_follow_up_in_the_browser import PDF
from tests.browser.test_layout import WIDTHS, _overflow, _signed_in, _wide, served
from tests.conftest import ROOT
from tests.web import conftest as web_fixtures
from tests.web.conftest import STAFF, Web
from tests.web.portal.test_evidence_for_several_actions import evidence_rows

settings, web = web_fixtures.settings, web_fixtures.web  # the web tests' app on the time-skipping server
__all__ = ["served", "settings", "web"]

SHOTS = ROOT / "test-output" / "browser" / "several"
FIRST, SECOND, THIRD = "ly-son-eoffice", "ly-son-dvctt", "ly-son-cong-ttdt"


async def test_one_dispatch_for_three_items_and_one_acceptance_for_all(web: Web, served: str, browser: Browser) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    texts = {a.id: a.text for a in spec.actions}
    width, height = WIDTHS["phone"]

    staff = await _signed_in(browser, served, STAFF, width, height)
    unit = await browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN")
    page = await unit.new_page()
    await page.goto(f"{served}/portal/{links.issue(web.ctx.engine, web.ctx.settings.signing_key, wid, 'ly-son', 30)}")
    article = page.locator(f"#action-{wid}--{FIRST}")
    await article.locator("summary").filter(has_text="Nộp minh chứng").click()
    await article.get_by_label("Tệp minh chứng").set_input_files(
        files=[{"name": "cong-van-15-ubnd.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    also = article.locator("fieldset.portal-also")
    await expect(also).to_contain_text("Tệp này cũng là minh chứng cho các kiến nghị:")
    for action_id in (SECOND, THIRD):
        await also.get_by_label(texts[action_id][:60]).check()
    await article.get_by_label("Ghi chú").fill("Công văn số 15/UBND của UBND huyện Lý Sơn")
    await page.screenshot(path=SHOTS / "portal-ticked.png", full_page=True)
    await article.get_by_role("button", name="Nộp minh chứng").click()
    await expect(page.locator("[role=status]").first).to_contain_text("Đã nộp minh chứng ev-1, ev-2, ev-3 (1 tệp)")
    for action_id in (FIRST, SECOND, THIRD):
        await expect(page.locator(f"#action-{wid}--{action_id}")).to_contain_text("cong-van-15-ubnd.pdf")
    scroll, client = await _overflow(page)
    await page.screenshot(path=SHOTS / "portal-sent.png", full_page=True)
    assert scroll <= client, f"the portal scrolls sideways: {await _wide(page)}"

    queue = await staff.new_page()
    await queue.goto(f"{served}/review?mine=0")
    group = queue.locator(f"[id='group-{wid}--evbatch--ly-son']")
    await expect(group.locator("article.queue-item")).to_have_count(3)
    await group.get_by_label(re.compile("Chọn tất cả của đơn vị")).check()
    await queue.screenshot(path=SHOTS / "review-all-ticked.png", full_page=True)
    await group.get_by_role("button", name="Chấp nhận các minh chứng đã chọn").click()
    await expect(queue.locator("[role=status]").first).to_contain_text("Đã chấp nhận 3 minh chứng: ev-1, ev-2, ev-3.")
    reviewed = queue.locator("#reviewed")
    await expect(reviewed).to_contain_text("Vừa quyết định (3 minh chứng)")
    await expect(reviewed.locator("tbody tr")).to_have_count(3)
    await expect(reviewed.locator("tbody tr").filter(has_text="Hoàn thành")).to_have_count(3)
    scroll, client = await _overflow(queue)
    await queue.screenshot(path=SHOTS / "review-decided.png", full_page=True)
    assert scroll <= client, f"the review page scrolls sideways: {await _wide(queue)}"
    assert [row.status for row in evidence_rows(web, wid)] == ["accepted"] * 3
    await unit.close()
    await staff.close()
