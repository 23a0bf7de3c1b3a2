"""The overdue page: actions and reports, what waits for the unit apart from what waits for the inspectorate's review,
filters by conclusion, unit and issuer, most days first, and its XLSX (on the read model of tests/reports/dataset.py,
read on 5 July 2026, when the units' reports due on 30 June are late too)."""

from __future__ import annotations

import html
import re
from datetime import date
from io import BytesIO

import httpx
import openpyxl
import pytest
from sqlmodel import Session

from dondoc.web import clock as web_clock
from models.tables import ActionRow, UnitRow
from tests.reports import dataset
from tests.reports.dataset import LY_SON, UBND
from tests.web.conftest import STAFF, Web

TODAY = dataset.at(date(2026, 7, 5))


@pytest.fixture
async def staff(web: Web, monkeypatch: pytest.MonkeyPatch) -> httpx.AsyncClient:
    dataset.build(web.ctx.engine)
    with Session(web.ctx.engine) as session:  # b1's evidence and Lý Sơn's report in B wait for review
        action = session.get(ActionRow, ("kl-b", "b1"))
        unit = session.get(UnitRow, ("kl-b", "ly-son"))
        assert action is not None and unit is not None
        action.status, unit.report_status = "evidence_submitted", "submitted"
        session.add_all([action, unit])
        session.commit()
    monkeypatch.setattr(web_clock, "NOW", lambda: TODAY)
    return await web.login(STAFF)


def _section(page: str, key: str) -> str:
    start = page.index(f'id="waits-{key}"')
    return page[start : page.index("</section>", start)]


async def test_actions_and_reports_apart_by_whom_they_wait_for(staff: httpx.AsyncClient) -> None:
    page = html.unescape((await staff.get("/overdue")).text)
    unit_side, review_side = _section(page, "unit"), _section(page, "review")
    # the unit's side: a4 (since 15/2), a8 (30/6), a10 (30/4), b2 (1/5), d1 (1/6) and four reports due on 30/6
    assert "Chờ đơn vị thực hiện (9)" in unit_side
    assert unit_side.count("Báo cáo kết quả thực hiện") == 4
    days = [int(n) for n in re.findall(r'<span class="late">(\d+) ngày</span>', unit_side)]
    assert days == sorted(days, reverse=True) and days[0] == 140  # a4: 15/2 to 5/7
    assert "Chờ Thanh tra xem xét (2)" in review_side and "#action-b1" in review_side and "#unit-ly-son" in review_side
    assert "kl-c" not in page  # closed conclusions are not overdue


async def test_filters_by_conclusion_unit_and_issuer(staff: httpx.AsyncClient) -> None:
    by_conclusion = html.unescape((await staff.get("/overdue", params={"conclusion": "kl-d"})).text)
    assert "Chờ đơn vị thực hiện (2)" in by_conclusion and "Chờ Thanh tra xem xét (0)" in by_conclusion
    by_unit = html.unescape((await staff.get("/overdue", params={"unit": LY_SON})).text)
    assert "Chờ đơn vị thực hiện (2)" in by_unit  # a4 and A's report; B's wait for review
    by_issuer = html.unescape((await staff.get("/overdue", params={"issuer": UBND})).text)
    assert "Chờ đơn vị thực hiện (2)" in by_issuer and "Chờ Thanh tra xem xét (2)" in by_issuer


async def test_the_overdue_list_as_a_workbook(staff: httpx.AsyncClient) -> None:
    response = await staff.get("/overdue", params={"issuer": UBND, "format": "xlsx"})
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    sheet = openpyxl.load_workbook(BytesIO(response.content)).worksheets[0]
    header = next(r for r in range(1, 10) if sheet.cell(r, 1).value == "STT")
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=header + 1)]
    assert [(r[2], r[5], r[6] or "") for r in rows] == [
        ("Thanh tra xem xét", LY_SON, "1"),  # b1, since 10/3
        ("Đơn vị thực hiện", "UBND huyện Trà Bồng", "2"),  # b2, since 1/5
        ("Thanh tra xem xét báo cáo", LY_SON, ""),  # the reports, since 30/6
        ("Đơn vị nộp báo cáo", "UBND huyện Trà Bồng", ""),
    ]
    assert rows[0][1] == 117 and rows[0][8].date() == date(2026, 3, 10)
    assert any("Cơ quan ban hành: UBND tỉnh Quảng Ngãi" in str(sheet.cell(r, 1).value) for r in range(1, header))
