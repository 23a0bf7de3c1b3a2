"""The tracking register, the statistics of a period and the follow-up report of a conclusion, on the pages and
through the API, on the constructed read model of tests/reports/dataset.py: filters applied, files re-read."""

from __future__ import annotations

import html
from datetime import date
from io import BytesIO

import docx
import httpx
import openpyxl
import pytest

from dondoc.web import clock as web_clock
from tests.reports import dataset
from tests.reports.dataset import LY_SON, SO_XD, TRA_BONG, UBND
from tests.web.conftest import AGENCY, STAFF, SUPERVISOR, Web

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


TODAY = dataset.at(date(2026, 4, 6))


@pytest.fixture
async def staff(web: Web, monkeypatch: pytest.MonkeyPatch) -> httpx.AsyncClient:
    """The constructed read model, read on 6 April 2026."""
    dataset.build(web.ctx.engine)
    monkeypatch.setattr(web_clock, "NOW", lambda: TODAY)
    return await web.login(STAFF)


def _sheet(content: bytes) -> tuple[openpyxl.worksheet.worksheet.Worksheet, int]:
    sheet = openpyxl.load_workbook(BytesIO(content)).worksheets[0]
    header = next(r for r in range(1, 12) if sheet.cell(r, 1).value == "STT")
    return sheet, header


async def test_the_register_page_filters_by_issuer_unit_status_and_period(staff: httpx.AsyncClient) -> None:
    everything = html.unescape((await staff.get("/registers")).text)
    assert "15 kiến nghị" in everything  # every action of the four conclusions
    by_issuer = html.unescape((await staff.get("/registers", params={"issuer": UBND})).text)
    assert "2 kiến nghị phù hợp" in by_issuer and "05/KL-UBND" in by_issuer and "10/KL-TTr" not in by_issuer
    by_unit = html.unescape((await staff.get("/registers", params={"unit": TRA_BONG})).text)
    assert "1 kiến nghị phù hợp" in by_unit
    overdue = html.unescape((await staff.get("/registers", params={"status": "overdue"})).text)
    assert "2 kiến nghị phù hợp" in overdue  # a4 and b1; a10 was extended to 30/4 before its due date
    in_q1 = html.unescape((await staff.get("/registers", params={"from": "2026-01-01", "to": "2026-03-31"})).text)
    assert "12 kiến nghị phù hợp" in in_q1  # as the statistics of the quarter count them
    refused = await staff.get("/registers", params={"from": "2026-04-01", "to": "2026-01-01"})
    assert refused.status_code == 422 and "Ngày kết thúc phải sau" in html.unescape(refused.text)


async def test_the_register_as_a_workbook(staff: httpx.AsyncClient) -> None:
    response = await staff.get("/registers", params={"unit": LY_SON, "format": "xlsx"})
    assert response.status_code == 200 and response.headers["content-type"] == XLSX
    assert "attachment" in response.headers["content-disposition"]
    sheet, header = _sheet(response.content)
    titles = [c.value for c in sheet[header]]
    assert titles[:7] == [
        "STT",
        "Số kết luận",
        "Ngày kết luận",
        "Cơ quan ban hành",
        "Đơn vị thực hiện",
        "Số hiệu",
        "Nội dung kiến nghị",
    ]
    assert sheet.freeze_panes == f"A{header + 1}"
    assert any("Đơn vị: UBND huyện Lý Sơn" in str(sheet.cell(r, 1).value) for r in range(1, header))
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=header + 1)]
    data, total = rows[:-1], rows[-1]
    assert [r[5] for r in data if r[1] == "10/KL-TTr"] == ["1.a", "1.b", "1.c", "1.d", "2.a", "2.b"]  # as numbered
    assert len(data) == 8 and {r[4] for r in data} == {LY_SON}  # A (6), B (1), C (1)
    a4 = next(r for r in data if r[5] == "2.a")
    col = titles.index
    assert a4[col("Số tiền phải thu hồi (đồng)")] == 100_000_000
    assert a4[col("Hạn thực hiện")].date() == date(2026, 2, 15)  # a date cell, not text
    assert sheet.cell(header + 1 + data.index(a4), col("Hạn thực hiện") + 1).number_format == "dd/mm/yyyy"
    assert sheet.cell(header + 1 + data.index(a4), col("Số tiền phải thu hồi (đồng)") + 1).number_format == "#,##0"
    assert a4[col("Số ngày quá hạn")] == 50  # 15/2 to 6/4, the day begun counting
    assert a4[col("Văn bản nhắc nhở, đôn đốc đã gửi")] == "Quá hạn 17/02/2026; Đôn đốc 24/02/2026"
    a1 = next(r for r in data if r[5] == "1.a")
    assert a1[col("Ngày chấp nhận minh chứng")].date() == date(2026, 2, 5)
    a3 = next(r for r in data if r[5] == "1.c")
    assert a3[col("Hạn ban đầu (trước gia hạn)")].date() == date(2026, 1, 15) and a3[col("Số ngày quá hạn")] == 36
    assert total[1] == "Tổng cộng" and total[col("Số tiền phải thu hồi (đồng)")] == 150_000_000
    assert total[col("Đã thu hồi (đồng)")] == 50_000_000


async def test_the_statistics_of_a_quarter_on_the_page_and_as_files(staff: httpx.AsyncClient) -> None:
    q1 = {"kind": "quarter", "year": 2026, "number": 1}
    page = html.unescape((await staff.get("/statistics", params=q1)).text)
    assert "Quý I năm 2026" in page and "<svg" in page and "Kết quả theo đơn vị" in page
    figures = (await staff.get("/statistics", params={**q1, "format": "json"})).json()
    assert figures["total"]["actions"] == 12 and figures["total"]["done_late"] == 1
    assert [line["name"] for line in figures["by_unit"]] == [LY_SON, SO_XD, TRA_BONG]
    book = openpyxl.load_workbook(BytesIO((await staff.get("/statistics", params={**q1, "format": "xlsx"})).content))
    assert book.sheetnames == ["Theo cơ quan ban hành", "Theo đơn vị"]
    custom = {"kind": "custom", "from": "2026-02-01", "to": "2026-02-28", "format": "json"}
    february = (await staff.get("/statistics", params=custom)).json()
    assert february["period"] == "Từ ngày 01/02/2026 đến ngày 28/02/2026"
    assert february["total"]["waived"] == 1 and february["total"]["transferred"] == 0


async def test_the_api_serves_the_same_register_and_statistics(web: Web, staff: httpx.AsyncClient) -> None:
    api = web.bearer(STAFF)
    lines = (await api.get("/api/register", params={"issuer": UBND})).json()
    assert [(line["conclusion_number"], line["ref"]) for line in lines] == [("05/KL-UBND", "1"), ("05/KL-UBND", "2")]
    stats = (await api.get("/api/statistics", params={"kind": "year", "year": 2026})).json()
    assert stats["period"] == "Năm 2026" and stats["total"]["conclusions"] == 3
    refused = await api.get("/api/statistics", params={"kind": "custom", "from": "2026-03-01"})
    assert refused.status_code == 422
    workbook = await api.get("/api/register.xlsx", params={"status": "waived"})
    sheet, header = _sheet(workbook.content)
    assert sheet.cell(header + 1, 6).value == "3.a" and sheet.cell(header + 2, 2).value == "Tổng cộng"


async def test_the_follow_up_report_of_a_conclusion(web: Web, staff: httpx.AsyncClient) -> None:
    page = await staff.get("/conclusions/kl-a/follow-up-report.docx")
    assert page.status_code == 200 and page.headers["content-type"] == DOCX
    api = await web.bearer(STAFF).get("/api/conclusions/kl-a/follow-up-report.docx")
    assert api.status_code == 200
    document = docx.Document(BytesIO(page.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "BÁO CÁO" in text and "Kết luận thanh tra số 10/KL-TTr" in text
    assert text.index(f"1. {LY_SON}") < text.index(f"2. {SO_XD}")  # the conclusion's order (1.a … before 3.a)
    assert "1.b: gia hạn đến 28/02/2026 (quyết định ngày 10/01/2026)." in text
    assert "Văn bản «Đôn đốc» ngày 24/02/2026, 2 nội dung." in text
    assert "3.a. Nội dung kiến nghị 3.a — Miễn thực hiện: Không còn đối tượng." in text
    cells = [[c.text for c in row.cells] for table in document.tables for row in table.rows]
    done = next(r for r in cells if r[1].startswith("1.c."))
    assert "ev-3.pdf" in done[2] and "quá hạn 36 ngày" in done[3]
    total = next(r for r in cells if r[1] == "Tổng cộng")
    assert total[2:] == ["11", "6", "2", "3", "1", "150.000.000", "50.000.000"]  # on 6/4: a4 overdue


async def test_who_may_see_registers_and_reports(web: Web, staff: httpx.AsyncClient) -> None:
    supervisor = await web.login(SUPERVISOR)
    assert "0 kiến nghị" in html.unescape((await supervisor.get("/registers")).text)  # supervises none of them
    assert (await supervisor.get("/conclusions/kl-a/follow-up-report.docx")).status_code == 404
    agency = await web.login(AGENCY)
    for path in ("/registers", "/statistics", "/conclusions/kl-a/follow-up-report.docx"):
        assert (await agency.get(path)).status_code == 403, path
    assert (await web.bearer(AGENCY).get("/api/register")).status_code == 403
