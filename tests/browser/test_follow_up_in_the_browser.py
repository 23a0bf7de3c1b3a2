"""The whole follow-up of the Quảng Ngãi conclusion, driven in Chromium against `dondoc up` as a process.

Staff register the conclusion by uploading its spec file (the example as if received 400 days ago with nothing done:
overdue at once); Lý Sơn's letter reaches the built-in SMTP sink in two copies: the unit's, whose link opens the
portal to act, and the supervisor's, whose link only shows the unit's follow-up. Staff download the urging letter as
DOCX and record the office number of the letter sent. Lý Sơn uploads evidence, gets it back with a reason (told by
email, whose link brings it back to the portal), uploads again; staff accept it; Lý Sơn submits its report and staff accept it; with every other item resolved through the
engine, the conclusion closes. A screenshot of every page is kept under test-output/browser/.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
import yaml
from playwright.async_api import Browser, Page, expect
from temporalio.testing import WorkflowEnvironment

from dondoc.gateway import Gateway
from dondoc.smtp_sink import read_messages
from models import commands as c
from models.labels import VN
from models.policy import DEFAULT_POLICY, Step
from models.spec import ConclusionSpec
from models.state import FileRef
from tests.conftest import ROOT
from tests.support.ports import free_port
from tests.workflow.harness import quang_ngai, redated

pytestmark = pytest.mark.integration

DONDOC = str(Path(sys.executable).parent / "dondoc")
SCREENSHOTS = ROOT / "test-output" / "browser"
STAFF, STAFF_PASSWORD = "canbo@thanhtra.example.vn", "mat-khau-can-bo-2026"
UNIT = "ly-son"
UNIT_NAME = "UBND huyện Lý Sơn"
SUPERVISOR = "ubnd@quangngai.example.vn"  # Lý Sơn's supervisor in the example
OFFICE_NUMBER = "125/TTr-NV"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
RETURN_REASON = "Thiếu quyết định cấp tài khoản thư điện tử; đề nghị bổ sung bản có chữ ký."
PORTAL_LINK = re.compile(r"http://127\.0\.0\.1:\d+/portal/[A-Za-z0-9._-]+")


@dataclass(frozen=True)
class RunningProduct:
    url: str
    data_dir: Path
    task_queue: str


@pytest.fixture
def product(dev_server_env: WorkflowEnvironment, tmp_path: Path) -> Iterator[RunningProduct]:
    """`dondoc up` as a process (worker, web app and SMTP sink) on the shared dev server, with one staff account."""
    data_dir, http_port = tmp_path / "data", free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DONDOC_")}
    env.update(
        DONDOC_DATA_DIR=str(data_dir),
        DONDOC_TEMPORAL_ADDRESS=dev_server_env.client.service_client.config.target_host,
        DONDOC_TASK_QUEUE=f"browser-{uuid.uuid4().hex[:8]}",
        DONDOC_HTTP_PORT=str(http_port),
        DONDOC_SINK_PORT=str(free_port()),
        DONDOC_LOG_FORMAT="json",
        DONDOC_OFFICE_HOURS_ENABLED="false",  # the story happens now, whatever the hour it runs at
        DONDOC_NOTICE_DELAY_SECONDS="1",  # notices of decisions go a second after the decision
    )
    added = subprocess.run(
        [DONDOC, "users", "add", STAFF, "--role", "staff", "--password", STAFF_PASSWORD, "--name", "Nguyễn Văn An"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert added.returncode == 0, added.stderr
    log_path = tmp_path / "up.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([DONDOC, "up"], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{http_port}"
            _wait_until_serving(process, log_path, url)
            yield RunningProduct(url, data_dir, env["DONDOC_TASK_QUEUE"])
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_serving(process: subprocess.Popen[bytes], log_path: Path, url: str) -> None:
    for _ in range(600):
        assert process.poll() is None, log_path.read_text(encoding="utf-8", errors="replace")
        if "worker_started" in log_path.read_text(encoding="utf-8", errors="replace"):
            try:
                with urllib.request.urlopen(f"{url}/login", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
        time.sleep(0.1)
    raise AssertionError("dondoc up did not start serving:\n" + log_path.read_text(encoding="utf-8", errors="replace"))


class Screenshots:
    """Numbered full-page screenshots, in the order the story happens."""

    def __init__(self) -> None:
        shutil.rmtree(SCREENSHOTS, ignore_errors=True)
        SCREENSHOTS.mkdir(parents=True)
        self.count = 0

    async def take(self, page: Page, name: str, part: str | None = None) -> None:
        """The whole page, or only the element `part` (a CSS selector) of a long one."""
        self.count += 1
        path = SCREENSHOTS / f"{self.count:02d}-{name}.png"
        if part is None:
            await page.screenshot(path=path, full_page=True)
        else:
            await page.locator(part).screenshot(path=path)


def open_spec(received: date) -> ConclusionSpec:
    """The Quảng Ngãi example as if received on `received` with nothing done yet, every action due 10 days later;
    its overdue notice also goes to the unit's supervisor, as a copy to follow (to see both copies of a letter)."""
    spec = redated(quang_ngai(), received, {}, default_days=10)
    steps = [
        step.model_copy(update={"cc": ["supervisor"]}) if step.step == Step.overdue else step
        for step in DEFAULT_POLICY.steps
    ]
    return spec.model_copy(update={"policy": DEFAULT_POLICY.model_copy(update={"steps": steps})})


def write_spec(spec: ConclusionSpec, path: Path) -> Path:
    data = spec.model_dump(mode="json", exclude_none=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


async def test_staff_and_an_agency_follow_a_conclusion_through_to_closure(
    product: RunningProduct, browser: Browser, dev_server_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    # Last year's: its workflow id (number and year) differs from this year's 312/KL-Ttra the import test registers
    # on the same dev server.
    received = datetime_now_vn().date() - timedelta(days=400)
    spec = open_spec(received)
    spec_file = write_spec(spec, tmp_path / "quang-ngai-312-KL-Ttra.yaml")
    action = next(a for a in spec.actions if a.unit == UNIT)
    assert action.ref
    action_key = f"#action-{spec.workflow_id}--{action.id}"
    pdf = tmp_path / "quyet-dinh-cap-thu-dien-tu.pdf"
    pdf.write_bytes(PDF)
    expect.set_options(timeout=30_000)  # each change waits for a Temporal update and its projection
    shots = Screenshots()
    staff = await (await browser.new_context(base_url=product.url, locale="vi-VN")).new_page()
    agency = await (await browser.new_context(base_url=product.url, locale="vi-VN")).new_page()
    supervisor = await (await browser.new_context(base_url=product.url, locale="vi-VN")).new_page()

    # Staff sign in and register the conclusion from its spec file.
    await staff.goto("/conclusions/new")
    await expect(staff).to_have_url(re.compile(r"/login"))
    await shots.take(staff, "dang-nhap")
    await staff.get_by_label("Email").fill(STAFF)
    await staff.get_by_label("Mật khẩu").fill(STAFF_PASSWORD)
    await staff.get_by_role("button", name="Đăng nhập").click()
    await expect(staff.get_by_role("heading", level=1)).to_contain_text("kết luận", ignore_case=True)
    await shots.take(staff, "dang-ky-ket-luan")
    await staff.get_by_label("Tệp hồ sơ").set_input_files(spec_file)
    await staff.get_by_role("button", name="Kiểm tra và xem trước khi bắt đầu").click()
    # Nothing starts before staff see what starting does at once: its deadlines passed a year ago.
    await expect(staff.locator("#letters-now")).to_contain_text("Kính gửi: Chủ tịch UBND huyện Lý Sơn")
    await shots.take(staff, "xem-truoc-khi-bat-dau")
    await staff.get_by_role("button", name="Xác nhận bắt đầu theo dõi").click()
    await expect(staff).to_have_url(f"{product.url}/conclusions/{spec.workflow_id}")
    await expect(staff.locator("body")).to_contain_text("312/KL-Ttra")
    await expect(staff.locator(f"#action-{action.id}")).to_contain_text(f"{action.ref}. {action.text[:40]}")
    await shots.take(staff, "ket-luan-moi-dang-ky")

    # Its deadlines passed a year ago: Lý Sơn's letter goes at once, in two copies. The supervisor's copy opens a
    # view of the unit's follow-up that submits nothing.
    unit_copy, oversight_copy = await _letter_copies_in_sink(product.data_dir, spec)
    assert SUPERVISOR in str(oversight_copy["To"]) and SUPERVISOR not in str(unit_copy["To"])
    await supervisor.goto(_portal_link(oversight_copy))
    await expect(supervisor).to_have_url(f"{product.url}/portal")
    await expect(supervisor.locator("body")).to_contain_text(UNIT_NAME)
    await expect(supervisor.locator(".notice")).to_contain_text("chỉ để xem")
    await expect(supervisor.locator(action_key)).to_contain_text(action.text[:40])
    await expect(supervisor.locator("form[method=post][action^='/portal/conclusions']")).to_have_count(0)
    await shots.take(supervisor, "ban-de-biet-chi-xem")

    link = _portal_link(unit_copy)
    await agency.goto(link)
    await expect(agency).to_have_url(f"{product.url}/portal")
    await expect(agency.locator("body")).to_contain_text(UNIT_NAME)
    await expect(agency.locator(".notice")).to_have_count(0)
    await expect(agency.locator(action_key)).to_contain_text("Quá hạn")
    await shots.take(agency, "cong-don-vi")
    await _upload_evidence(agency, action_key, pdf, "Đã cấp thư điện tử công vụ cho cán bộ.")
    await expect(agency.locator(action_key)).to_contain_text("quyet-dinh-cap-thu-dien-tu.pdf")
    await shots.take(agency, "da-nop-minh-chung")

    # Staff download the urging letter to sign, and record the number the office gave the letter that went out.
    await staff.goto(f"/conclusions/{spec.workflow_id}")
    letters = staff.locator(f"#unit-{UNIT}")
    async with staff.expect_download() as download_info:
        await letters.get_by_role("link", name="Đôn đốc", exact=True).click()
    download = await download_info.value
    assert re.fullmatch(r"van-ban-don-doc-ubnd-huyen-ly-son-ngay-\d{2}-\d{2}-\d{4}\.docx", download.suggested_filename)
    sent = letters.locator("table.letters tbody tr").filter(has_text="Quá hạn")
    await expect(sent).to_contain_text("Quá hạn")
    await expect(sent).to_contain_text("Đã gửi")
    await sent.locator("summary").filter(has_text="Ghi số văn bản").click()
    await sent.get_by_label("Số, ký hiệu văn bản").fill(OFFICE_NUMBER)
    await sent.get_by_label("Ngày ký").fill(datetime_now_vn().date().isoformat())
    await sent.get_by_role("button", name="Lưu số văn bản").click()
    await expect(staff.locator(f"#unit-{UNIT} table.letters")).to_contain_text(f"Số {OFFICE_NUMBER}")
    await shots.take(staff, "da-ghi-so-van-ban")
    await shots.take(staff, "van-ban-don-doc-ly-son", part=f"#unit-{UNIT}")

    await staff.goto("/notifications")
    await expect(staff.locator("table.notifications")).to_contain_text("Bản để biết, theo dõi")
    await expect(staff.locator("table.notifications")).to_contain_text("Bản gửi đơn vị")
    await shots.take(staff, "van-ban-da-gui")

    # Staff return the evidence with a reason from the review queue.
    await staff.goto("/review")
    queued = staff.locator("#evidence article.queue-item").filter(has_text=action.text[:40])
    await expect(queued).to_have_count(1)
    await shots.take(staff, "hang-cho-xem-xet")
    await queued.get_by_label("Lý do, nội dung cần bổ sung").fill(RETURN_REASON)
    await queued.get_by_role("button", name="Yêu cầu bổ sung").click()
    await expect(staff.locator(".flash, [role=status]").first).to_contain_text("Đã yêu cầu bổ sung minh chứng")
    await expect(staff.locator("#evidence article.queue-item").filter(has_text=action.text[:40])).to_have_count(0)
    await shots.take(staff, "da-yeu-cau-bo-sung")

    # Lý Sơn is told by email, with the reason, and the email's link brings it back to the portal to send again.
    notice = await _notice_in_sink(product.data_dir, spec, "Minh chứng được trả lại để bổ sung")
    notice_text = _plain(notice)
    assert RETURN_REASON in notice_text and action.text[:40] in notice_text
    assert "Bạn nhận thư này vì là đầu mối của UBND huyện Lý Sơn" in notice_text
    await agency.goto(_portal_link(notice))
    await expect(agency).to_have_url(f"{product.url}/portal")
    await expect(agency.locator(action_key)).to_contain_text(RETURN_REASON)
    await shots.take(agency, "thay-ly-do-tra-lai")
    await _upload_evidence(agency, action_key, pdf, "Bổ sung quyết định có chữ ký, đóng dấu.")
    await expect(agency.locator(action_key)).to_contain_text("Bổ sung quyết định có chữ ký")
    await shots.take(agency, "da-nop-bo-sung")

    # Staff accept it on the conclusion page.
    await staff.goto(f"/conclusions/{spec.workflow_id}")
    on_page = staff.locator(f"#action-{action.id}")
    await on_page.get_by_role("button", name="Chấp nhận minh chứng").click()
    await expect(staff.locator(f"#action-{action.id}")).to_contain_text("Đã chấp nhận")
    await shots.take(staff, "da-chap-nhan-minh-chung")

    # Every other action and unit report is settled through the engine, as other staff and agencies would.
    gateway = Gateway(dev_server_env.client, product.task_queue)
    await _settle_everything_else(gateway, spec, action.id)

    # Lý Sơn submits its report; staff accept it; the conclusion closes.
    await agency.reload()
    report = agency.locator(f"#report-{spec.workflow_id}--report")
    await report.locator("summary").filter(has_text="Nộp báo cáo").click()
    await report.get_by_label("Tệp báo cáo").set_input_files(pdf)
    await report.get_by_label("Ghi chú").fill("Báo cáo kết quả thực hiện Kết luận 312/KL-Ttra của UBND huyện Lý Sơn.")
    await report.get_by_role("button", name="Nộp báo cáo").click()
    await expect(agency.locator(f"#report-{spec.workflow_id}--report")).to_contain_text("Báo cáo kết quả thực hiện")
    await shots.take(agency, "da-nop-bao-cao")

    await staff.goto("/review")
    queued_report = staff.locator("#reports article.queue-item").filter(has_text=UNIT_NAME)
    await expect(queued_report).to_have_count(1)
    await queued_report.get_by_role("button", name="Chấp nhận báo cáo").click()
    await expect(staff).to_have_url(re.compile(r"/review"))
    await expect(staff.locator("#reports article.queue-item").filter(has_text=UNIT_NAME)).to_have_count(0)
    await staff.goto(f"/conclusions/{spec.workflow_id}")
    await expect(staff.locator("section.head")).to_contain_text("Đã kết thúc theo dõi")
    await shots.take(staff, "ket-luan-da-ket-thuc")

    await agency.reload()
    await expect(agency.locator(f"#kl-{spec.workflow_id}")).to_contain_text("Đã kết thúc theo dõi")
    await shots.take(agency, "cong-don-vi-sau-khi-ket-thuc")


def datetime_now_vn() -> datetime:
    return datetime.now(VN)


async def _upload_evidence(page: Page, action_key: str, pdf: Path, note: str) -> None:
    article = page.locator(action_key)
    await article.locator("summary").filter(has_text="Nộp minh chứng").click()
    await article.get_by_label("Tệp minh chứng").set_input_files(pdf)
    await article.get_by_label("Ghi chú").fill(note)
    await article.get_by_role("button", name="Nộp minh chứng").click()


async def _letter_copies_in_sink(data_dir: Path, spec: ConclusionSpec) -> tuple[EmailMessage, EmailMessage]:
    """The unit's copy and the oversight copy of the overdue notice to the unit, as the built-in sink stored them."""
    about = f"[Quá hạn] KL {spec.number} – {UNIT_NAME}"
    for _ in range(600):
        copies: dict[str, EmailMessage] = {}
        for message in await asyncio.to_thread(read_messages, data_dir / "mail"):
            if str(message["Subject"]).startswith(about):
                audience = str(message["Message-ID"]).rsplit("/", 1)[-1].removesuffix("@dondoc>")
                copies.setdefault(audience, message)
        if {"unit", "oversight"} <= copies.keys():
            assert copies["unit"]["X-Dondoc-Key"] == copies["oversight"]["X-Dondoc-Key"], "two copies of one letter"
            return copies["unit"], copies["oversight"]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no letter to {UNIT_NAME} arrived in both copies in {data_dir / 'mail'}")


async def _notice_in_sink(data_dir: Path, spec: ConclusionSpec, what: str) -> EmailMessage:
    """The notice of a decision to the unit, as the built-in sink stored it."""
    subject = f"[Thông báo] KL {spec.number} – {UNIT_NAME} – {what}"
    for _ in range(600):
        for message in await asyncio.to_thread(read_messages, data_dir / "mail"):
            if str(message["Subject"]) == subject:
                return message
        await asyncio.sleep(0.1)
    raise AssertionError(f"no notice «{subject}» arrived in {data_dir / 'mail'}")


def _plain(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def _portal_link(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    (link,) = set(PORTAL_LINK.findall(str(body.get_content())))
    return link


async def _settle_everything_else(gateway: Gateway, spec: ConclusionSpec, kept_action: str) -> None:
    wid, actor = spec.workflow_id, STAFF
    report_file = FileRef(name="bao-cao.pdf", sha256="b" * 64, size=len(PDF), content_type="application/pdf")
    for other in spec.actions:
        if other.id != kept_action:
            await gateway.update(wid, c.WaiveAction(actor=actor, action_id=other.id, reason="Không còn đối tượng."))
    for unit in spec.units:
        if unit.code == UNIT:
            continue
        contact = unit.contacts[0]
        submitted = await gateway.update(
            wid, c.SubmitReport(actor=contact, unit=unit.code, files=[report_file], note="Báo cáo kết quả.")
        )
        assert submitted.created is not None
        await gateway.update(wid, c.ReviewReport(actor=actor, report_id=submitted.created, decision="accept"))
