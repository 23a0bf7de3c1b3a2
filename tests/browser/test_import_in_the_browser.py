"""A conclusion registered from its Word file, in Chromium against `dondoc up`: staff upload the DOCX, see the
importer's warnings beside the document's text, correct what it could not know (the official number and day, the
emails, the units point 2.1 wrongly names), see what starting does at once (the letters that go out now, per
recipient), confirm, find the original document on the conclusion's page, and try to upload a follow-up report of
another conclusion, which is refused with that reason; then upload that report to its own conclusion and confirm one
unit's report and one item. Screenshots under test-output/browser-import/."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.test_follow_up_in_the_browser import (  # noqa: F401  (fixtures)
    STAFF,
    STAFF_PASSWORD,
    RunningProduct,
    datetime_now_vn,
    product,
    write_spec,
)
from tests.conftest import ROOT
from tests.importer.documents import docx_of, seed
from tests.workflow.harness import quang_ngai, redated

pytestmark = pytest.mark.integration

SHOTS = ROOT / "test-output" / "browser-import"
NUMBER = "31/KL-STTTT"
WORKFLOW_ID = "kl-31-kl-stttt-2021"
INSPECTED = ("phong-tt-bc-xb", "trung-tam-cntt-tt")


async def shot(page: Page, name: str, count: list[int]) -> None:
    count[0] += 1
    await page.screenshot(path=SHOTS / f"{count[0]:02d}-{name}.png", full_page=True)


async def test_staff_import_a_word_conclusion_correct_it_preview_and_start(
    product: RunningProduct,  # noqa: F811
    browser: Browser,
    tmp_path: Path,
) -> None:
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    count = [0]
    conclusion = docx_of(seed("000").read_text(encoding="utf-8"), tmp_path / "ket-luan-so-tttt.docx")
    report = docx_of(seed("001").read_text(encoding="utf-8"), tmp_path / "bao-cao-184.docx")
    expect.set_options(timeout=30_000)
    page = await (await browser.new_context(base_url=product.url, locale="vi-VN")).new_page()

    await page.goto("/conclusions/new")
    await page.get_by_label("Email").fill(STAFF)
    await page.get_by_label("Mật khẩu").fill(STAFF_PASSWORD)
    await page.get_by_role("button", name="Đăng nhập").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("kết luận", ignore_case=True)
    await page.get_by_label("Văn bản kết luận").set_input_files(conclusion)
    await page.get_by_role("button", name="Đọc thành bản nháp").click()
    await expect(page).to_have_url(re.compile(r"/drafts/[0-9a-f]+$"))
    await expect(page.locator("#warnings")).to_contain_text("Số kết luận để trống")
    await expect(page.locator("#warnings")).to_contain_text("không phải đơn vị được thanh tra")
    await expect(page.locator("#source")).to_contain_text("Giám đốc Sở Thông tin và Truyền thông kết luận như sau")
    await expect(page.get_by_label("Số kết luận")).to_have_value("/KL-STTTT")
    await shot(page, "ban-nhap-tu-van-ban", count)

    # What the document could not tell, and the units point 2.1 names by mistake, corrected by hand.
    await page.get_by_label("Số kết luận").fill(NUMBER)
    await page.locator('[name="issued_on"]').fill("2021-03-20")
    await page.locator('[name="inspectorate_head"]').fill("chanhthanhtra@stttt.example.vn")
    await page.locator('[name="agency_head"]').fill("giamdoc@stttt.example.vn")
    units = page.locator('[name$="].code"][name^="units["]')
    for i in range(await units.count()):
        code = await units.nth(i).input_value()
        if code in INSPECTED:
            await page.locator(f'[name="units[{i}].contacts"]').fill(f"vanthu@{code}.example.vn")
        else:
            await units.nth(i).fill("")
            await page.locator(f'[name="units[{i}].name"]').fill("")
    actions = page.locator('[name$="].unit"][name^="actions["]')
    for i in range(await actions.count()):
        if await actions.nth(i).input_value() not in INSPECTED:
            await actions.nth(i).fill("phong-tt-bc-xb")
        await page.locator(f'[name="actions[{i}].due"]').fill("2021-04-30")
        await page.locator(f'[name="actions[{i}].due_in"]').fill("")  # the day replaces a proposed period
    await page.get_by_role("button", name="Lưu và xem trước khi bắt đầu theo dõi").click()

    await expect(page).to_have_url(re.compile(r"/drafts/[0-9a-f]+/start$"))
    await expect(page.locator("#letters-now")).to_contain_text("Kính gửi: Phòng Thông tin, Báo chí và Xuất bản")
    await expect(page.locator("#letters-now")).to_contain_text("vanthu@phong-tt-bc-xb.example.vn")
    await expect(page.locator("#preview")).to_contain_text("30/04/2021")
    await shot(page, "xem-truoc-khi-bat-dau", count)
    await page.get_by_role("button", name="Xác nhận bắt đầu theo dõi").click()

    await expect(page).to_have_url(f"{product.url}/conclusions/{WORKFLOW_ID}")
    await expect(page.locator("h1")).to_contain_text(NUMBER)
    await expect(page.get_by_role("link", name="Văn bản kết luận gốc (ket-luan-so-tttt.docx)")).to_be_visible()
    await shot(page, "ket-luan-da-bat-dau", count)
    async with page.expect_download() as download:
        await page.get_by_role("link", name="Văn bản kết luận gốc (ket-luan-so-tttt.docx)").click()
    saved = tmp_path / "tai-ve.docx"
    await (await download.value).save_as(saved)
    assert saved.read_bytes() == conclusion.read_bytes()

    # A follow-up report of another conclusion (312/KL-Ttra) is refused, saying so.
    await page.get_by_role("link", name="Nhập báo cáo kết quả thực hiện từ tệp").click()
    await page.get_by_label("Tệp báo cáo").set_input_files(report)
    await page.get_by_role("button", name="Đọc báo cáo").click()
    await expect(page.locator("#problem")).to_contain_text(
        f"nói về Kết luận số 312/KL-Ttra, không phải Kết luận số {NUMBER}"
    )
    await shot(page, "bao-cao-ket-luan-khac", count)

    # The same report on its own conclusion (312/KL-Ttra, registered from its spec file): split per unit, staff
    # confirm Trà Bồng's report and the item it calls done.
    spec = redated(quang_ngai(), datetime_now_vn().date() - timedelta(days=5), {}, default_days=60)
    await page.goto("/conclusions/new")
    await page.get_by_label("Tệp hồ sơ").set_input_files(write_spec(spec, tmp_path / "kl-312.yaml"))
    await page.get_by_role("button", name="Kiểm tra và xem trước khi bắt đầu").click()
    await expect(page.locator("#summary")).to_contain_text("Từ tệp kl-312.yaml")
    await page.get_by_role("button", name="Xác nhận bắt đầu theo dõi").click()
    await expect(page).to_have_url(f"{product.url}/conclusions/{spec.workflow_id}")
    await page.get_by_role("link", name="Nhập báo cáo kết quả thực hiện từ tệp").click()
    await page.get_by_label("Tệp báo cáo").set_input_files(report)
    await page.get_by_role("button", name="Đọc báo cáo").click()
    await expect(page.locator("#report-summary")).to_contain_text("Báo cáo số 184/BC-UBND")
    await expect(page.locator(".report-unit")).to_have_count(9)
    tra_bong = page.locator(".report-unit", has_text="UBND huyện Trà Bồng")
    await expect(tra_bong.get_by_label("Chấp nhận tra-bong-cong-ttdt")).to_be_checked()
    for box in await page.locator('input[type="checkbox"]').all():
        await box.uncheck()
    await tra_bong.locator('input[name="unit"]').check()
    await tra_bong.get_by_label("Chấp nhận tra-bong-cong-ttdt").check()
    await shot(page, "bao-cao-theo-don-vi", count)
    await page.get_by_role("button", name="Xác nhận các mục đã chọn").click()
    await expect(page).to_have_url(f"{product.url}/conclusions/{spec.workflow_id}")
    await expect(page.locator(".flash")).to_contain_text("Đã ghi nhận từ báo cáo: 2 mục")
    await expect(page.locator("#unit-tra-bong")).to_contain_text("bao-cao-184.docx")
    await shot(page, "da-ghi-nhan-bao-cao", count)
