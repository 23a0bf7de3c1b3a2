"""Letters on the staff pages and in the API: the DOCX of a unit's letter (re-read with python-docx), the office
number staff record for a letter sent, and that the next letter cites it."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from io import BytesIO

import docx
import httpx
import pytest
from docx.document import Document

from dondoc.letters.compose import letter_text, long_date
from dondoc.web import clock as web_clock
from dondoc.web.downloads import DOCX_TYPE
from models import commands as c
from models.labels import VN
from models.policy import Step
from models.spec import ConclusionSpec
from tests.web.api.test_api import small_spec
from tests.web.conftest import AGENCY, OUTSIDER, STAFF, SUPERVISOR, Web
from tests.workflow.harness import PDF, Drive

# The Quảng Ngãi example's tracking body under its parent, as a letterhead writes them.
LETTERHEAD = ["BỘ THÔNG TIN VÀ TRUYỀN THÔNG", "THANH TRA BỘ"]
SIGNER = "CHÁNH THANH TRA"
ITEMS_HEADER = ["TT", "Nội dung kiến nghị", "Hạn thực hiện", "Tình trạng"]


async def aligned_clock(web: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pages read the time of the Temporal test server, which may have skipped ahead of the wall clock."""
    offset = await web.env.get_current_time() - datetime.now(UTC)
    monkeypatch.setattr(web_clock, "NOW", lambda: datetime.now(UTC) + offset)


@pytest.fixture(autouse=True)
async def aligned(web: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    await aligned_clock(web, monkeypatch)


def text_of(response: httpx.Response) -> str:
    return html.unescape(response.text)


def read_docx(response: httpx.Response) -> Document:
    assert response.status_code == 200, response.text[-500:]
    assert response.headers["content-type"] == DOCX_TYPE
    return docx.Document(BytesIO(response.content))


def item_rows(document: Document) -> list[list[str]]:
    """The rows of the table of items (without its header)."""
    [table] = [t for t in document.tables if [cell.text for cell in t.rows[0].cells] == ITEMS_HEADER]
    return [[cell.text for cell in row.cells] for row in table.rows[1:]]


def all_text(document: Document) -> str:
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([*(p.text for p in document.paragraphs), *cells])


def check_letter(document: Document, spec: ConclusionSpec, outstanding: list[str]) -> None:
    """The header names the tracking body under its parent, the letter is addressed, each outstanding item is a row with its number
    in the conclusion, and the signer's title closes it."""
    header = document.tables[0]
    assert header.cell(0, 0).text.splitlines()[:2] == LETTERHEAD
    assert any(p.text.startswith("Kính gửi") for p in document.paragraphs)
    rows = item_rows(document)
    refs = {a.id: a.ref for a in spec.actions}
    expected = [f"{refs[t]}. " if t in refs else "Báo cáo kết quả thực hiện" for t in outstanding]
    assert len(rows) == len(outstanding)
    for row, start in zip(rows, expected, strict=True):
        assert row[1].startswith(start), (row, start)
    signature = document.tables[-1]
    assert SIGNER in signature.cell(0, 1).text
    assert spec.number in all_text(document)


def outstanding_of(spec: ConclusionSpec, unit: str, except_: set[str]) -> list[str]:
    return [a.id for a in spec.actions if a.unit == unit and a.id not in except_] + [f"report.{unit}"]


async def test_the_letter_is_downloaded_as_docx_from_the_conclusion_page(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    submitted = next(a.id for a in spec.actions if a.unit == "ly-son")
    await web.ctx.gateway.update(wid, c.SubmitEvidence(actor=AGENCY, action_id=submitted, files=[PDF]))
    staff = await web.login(STAFF)
    page = text_of(await staff.get(f"/conclusions/{wid}"))
    section = page.split('id="unit-ly-son"', 1)[1].split('<details class="card unit"', 1)[0]
    assert "Tải văn bản đôn đốc (DOCX)" in section
    hrefs = re.findall(r'href="(/conclusions/[^"]+\.docx)"', section)
    assert hrefs == [
        f"/conclusions/{wid}/units/ly-son/letters/{step}.docx" for step in ("urging", "second_urging", "proposal")
    ]

    await web.env.sleep(timedelta(days=3))  # the follow-up sleeps meanwhile: the letter is still dated today
    await aligned_clock(web, monkeypatch)
    today = (await web.env.get_current_time()).astimezone(VN).date()
    answer = await staff.get(hrefs[0])
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f'filename="van-ban-don-doc-ubnd-huyen-ly-son-ngay-{today:%d-%m-%Y}.docx"' in disposition, disposition
    document = read_docx(answer)
    assert long_date(today) in document.tables[0].cell(1, 1).text
    check_letter(document, spec, outstanding_of(spec, "ly-son", {submitted}))  # evidence waits: not urged
    assert "đôn đốc thực hiện Kết luận thanh tra" in all_text(document)

    supervisor = await web.login(SUPERVISOR)
    assert "Tải văn bản đôn đốc (DOCX)" in text_of(await supervisor.get(f"/conclusions/{wid}"))
    proposal = read_docx(await supervisor.get(hrefs[2]))
    # nothing of Lý Sơn is past a deadline yet: the proposal as it reads today holds nobody responsible
    assert "V/v đề nghị kiểm tra việc thực hiện Kết luận thanh tra" in all_text(proposal)
    assert "xử lý trách nhiệm" not in all_text(proposal)
    outsider = await web.login(OUTSIDER)
    assert (await outsider.get(hrefs[0])).status_code == 404
    agency = await web.login(AGENCY)
    assert (await agency.get(hrefs[0])).status_code == 403
    for wrong in ("reminder", "overdue", "closing", "khong-co"):
        missing = await staff.get(f"/conclusions/{wid}/units/ly-son/letters/{wrong}.docx")
        assert missing.status_code == 404 and f"Không có văn bản đôn đốc bậc '{wrong}'" in text_of(missing)
    unknown = await staff.get(f"/conclusions/{wid}/units/khong-co/letters/urging.docx")
    assert unknown.status_code == 404 and "Không tìm thấy đơn vị 'khong-co'" in text_of(unknown)


async def test_the_letter_is_downloaded_as_docx_through_the_api(web: Web) -> None:
    spec = await web.start_quang_ngai()
    wid = spec.workflow_id
    url = f"/api/conclusions/{wid}/units/tra-bong/letters/second_urging"
    for client in (web.bearer(STAFF), web.bearer(SUPERVISOR)):
        answer = await client.get(url)
        # no urging letter went to Trà Bồng yet: the second rung's letter is its first urging, and says so
        disposition = answer.headers["content-disposition"]
        assert re.search(r"van-ban-don-doc-ubnd-huyen-tra-bong-ngay-\d{2}-\d{2}-\d{4}\.docx", disposition)
        document = read_docx(answer)
        check_letter(document, spec, outstanding_of(spec, "tra-bong", set()))
        assert "V/v đôn đốc thực hiện Kết luận" in all_text(document) and "lần thứ hai" not in all_text(document)
    staff = web.bearer(STAFF)
    for path, message in (
        (f"/api/conclusions/{wid}/units/tra-bong/letters/reminder", "Không có văn bản đôn đốc bậc 'reminder'"),
        (f"/api/conclusions/{wid}/units/khong-co/letters/urging", "Không tìm thấy đơn vị 'khong-co'"),
        ("/api/conclusions/kl-khong-co/units/tra-bong/letters/urging", "Không tìm thấy kết luận 'kl-khong-co'"),
    ):
        answer = await staff.get(path)
        assert answer.status_code == 404 and message in answer.json()["detail"], answer.text
    assert (await web.bearer(AGENCY).get(url)).status_code == 403
    assert (await web.bearer(OUTSIDER).get(url)).status_code == 404


async def test_a_unit_that_owes_nothing_gets_no_letter(web: Web) -> None:
    staff = web.bearer(STAFF)
    today = (await web.env.get_current_time()).astimezone(VN).date()
    spec = small_spec(today, units=("ly-son", "tra-bong"))
    wid = (await staff.post("/api/conclusions", json=spec)).json()["workflow_id"]
    await web.wait_projected(wid)
    for action in ("ly-son-a1", "ly-son-a2"):
        await web.ctx.gateway.update(wid, c.WaiveAction(actor=STAFF, action_id=action, reason="Không còn đối tượng"))
    await web.ctx.gateway.update(wid, c.SubmitReport(actor=AGENCY, unit="ly-son", files=[PDF]))
    answer = await staff.get(f"/api/conclusions/{wid}/units/ly-son/letters/urging")
    assert answer.status_code == 409 and "không còn nội dung nào phải đôn đốc" in answer.json()["detail"]
    page = text_of(await (await web.login(STAFF)).get(f"/conclusions/{wid}"))
    assert "/units/ly-son/letters/urging.docx" not in page and "/units/tra-bong/letters/urging.docx" in page


async def test_a_letter_number_is_recorded_shown_and_cited_by_the_next_letter(web: Web) -> None:
    spec = await web.start_overdue()
    wid = spec.workflow_id
    [first] = await web.letters_sent(wid)
    assert first.step == Step.overdue and first.earlier == []
    staff = await web.login(STAFF)
    page = text_of(await staff.get(f"/conclusions/{wid}"))
    section = page.split('id="letters-ly-son"', 1)[1].split('<details class="card unit"', 1)[0]
    count = len(first.items)
    assert "Quá hạn" in section and f"{count} nội dung" in section and "Chưa ghi số" in section
    assert "Bản gửi đơn vị" in section and "Đã gửi" in section
    assert f'action="/conclusions/{wid}/letters/number"' in section and f'name="key" value="{first.key}"' in section
    slug = re.search(r'id="letter-([^"]+)"', section)
    assert slug
    today = (await web.env.get_current_time()).astimezone(VN).date()

    url = f"/conclusions/{wid}/letters/number"
    empty = await staff.post(url, data={"key": first.key, "number": "", "signed_on": ""})
    assert empty.status_code == 422
    assert re.search(rf'id="n-{slug.group(1)}-number-error">Nhập số, ký hiệu văn bản', text_of(empty))
    bad_day = await staff.post(url, data={"key": first.key, "number": "125/TTr-NV", "signed_on": "31/02/2026"})
    assert bad_day.status_code == 422
    assert re.search(rf'id="n-{slug.group(1)}-signed_on-error">Ngày không hợp lệ', text_of(bad_day))
    assert 'value="125/TTr-NV"' in bad_day.text, "what was typed is kept"
    future = (today + timedelta(days=3)).isoformat()
    ahead = await staff.post(url, data={"key": first.key, "number": "125/TTr-NV", "signed_on": future})
    assert ahead.status_code == 422 and "Ngày ký không thể sau ngày hôm nay." in text_of(ahead)
    unknown = await staff.post(url, data={"key": f"{wid}/ly-son/urging/99", "number": "1/TTr"})
    assert unknown.status_code == 409 and "Không tìm thấy văn bản đã gửi" in text_of(unknown)

    back = f"/conclusions/{wid}#letter-{slug.group(1)}"
    done = await staff.post(
        url, data={"key": first.key, "number": "125/TTr-NV", "signed_on": today.isoformat(), "next": back}
    )
    assert done.status_code == 303 and done.headers["location"] == back
    page = text_of(await staff.get(f"/conclusions/{wid}"))
    assert "Đã ghi số văn bản 125/TTr-NV" in page
    section = page.split('id="letters-ly-son"', 1)[1].split('<details class="card unit"', 1)[0]
    assert "Số 125/TTr-NV" in section and "Chưa ghi số" not in section
    assert "Ghi số văn bản" in page.split('id="timeline"', 1)[1]
    supervisor = text_of(await (await web.login(SUPERVISOR)).get(f"/conclusions/{wid}"))
    assert "Số 125/TTr-NV" in supervisor and "/letters/number" not in supervisor
    state = await web.ctx.gateway.snapshot(wid)
    [ref] = [r for r in state.units["ly-son"].letters if r.key == first.key]
    assert (ref.number, ref.signed_on) == ("125/TTr-NV", today)

    # the letter drawn up now cites it, and so does the next letter sent
    draft = await staff.get(f"/conclusions/{wid}/units/ly-son/letters/urging.docx")
    assert f"số 125/TTr-NV ngày {today:%d/%m/%Y}" in all_text(read_docx(draft))
    drive = Drive(web.env, web.env.client.get_workflow_handle(wid))
    await drive.advance_to_next_letter(first.items[0].target)
    # (the unit's report may have had its reminder by then, depending on the weekday the test runs)
    [second] = [m for m in await web.letters_sent(wid, count=2) if m.step == Step.urging]
    assert [(e.step, e.number, e.signed_on) for e in second.earlier] == [(Step.overdue, "125/TTr-NV", today)]
    assert any("số 125/TTr-NV" in p for p in letter_text(second).paragraphs_before)


async def test_a_letter_number_is_recorded_through_the_api(web: Web) -> None:
    spec = await web.start_overdue()
    wid = spec.workflow_id
    [first] = await web.letters_sent(wid)
    staff = web.bearer(STAFF)
    url = f"/api/conclusions/{wid}/letters/number"
    answer = await staff.post(url, json={"key": first.key, "number": "7/TTr-NV", "signed_on": "2026-01-05"})
    assert answer.status_code == 200, answer.text
    [letter] = [x for x in answer.json()["conclusion"]["letters"] if x["key"] == first.key]
    assert (letter["number"], letter["step"], letter["status"]) == ("7/TTr-NV", "overdue", "sent")
    assert letter["items"] == [line.target for line in first.items]
    assert [c["audience"] for c in letter["copies"]] == ["unit"]
    invalid = await staff.post(url, json={"key": first.key, "number": ""})
    assert invalid.status_code == 422 and invalid.json()["errors"][0]["field"] == "number"
    unknown = await staff.post(url, json={"key": f"{wid}/ly-son/urging/99", "number": "8/TTr-NV"})
    assert unknown.status_code == 409 and "Không tìm thấy văn bản đã gửi" in unknown.json()["detail"]
    assert (await web.bearer(SUPERVISOR).post(url, json={"key": first.key, "number": "9/X"})).status_code == 403
    state = await web.ctx.gateway.snapshot(wid)
    assert [r.number for r in state.units["ly-son"].letters if r.key == first.key] == ["7/TTr-NV"]
