"""The conclusion page at the Quảng Ngãi example's scale (9 units, 44 actions): units in the conclusion's order,
collapsible sections with their counts, items by their number, a filter and a search, letters and the timeline paged,
what sending did in words; the outbox paged past 500 rows; the dashboard groups the system's own events."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import Session, col, func, select

from models import commands as c
from models.spec import ConclusionSpec
from models.tables import AuditEventRow, NotificationRow
from models.vn import VN
from tests.web.conftest import AGENCY, STAFF, Web
from tests.web.pages.test_pages import outbox_row
from tests.workflow.harness import PDF

ORDER = [  # as the conclusion gives the units their items (II.1 … II.8, then the province)
    "Văn phòng UBND tỉnh",
    "UBND huyện Lý Sơn",
    "UBND huyện Nghĩa Hành",
    "UBND huyện Trà Bồng",
    "UBND huyện Đức Phổ",
]


def text_of(response: httpx.Response) -> str:
    return html.unescape(response.text)


@pytest.fixture
async def started(web: Web) -> tuple[ConclusionSpec, httpx.AsyncClient]:
    spec = await web.start_quang_ngai()
    return spec, await web.login(STAFF)


def _summaries(page: str) -> list[str]:
    return re.findall(r'<summary class="unit-summary"><h2>([^<]+)</h2>', page)


async def test_units_in_the_conclusions_order_collapsed_with_their_counts(
    started: tuple[ConclusionSpec, httpx.AsyncClient],
) -> None:
    spec, staff = started
    page = text_of(await staff.get(f"/conclusions/{spec.workflow_id}"))
    names = _summaries(page)
    assert names[: len(ORDER)] == ORDER and len(names) == len(spec.units)
    assert '<details class="card unit" id="unit-ly-son">' in page  # 44 actions: sections start collapsed
    ly_son = sum(1 for a in spec.actions if a.unit == "ly-son")
    assert f"{ly_son} kiến nghị</span>" in page.split('id="unit-ly-son"', 1)[1].split("</summary>", 1)[0]
    assert '<strong class="ref">II.2.1.a.</strong>' in page
    assert "mã ly-son-eoffice" not in page and "[ly-son-eoffice]" not in page  # no internal codes shown
    assert f'href="/conclusions/{spec.workflow_id}/follow-up-report.docx"' in page


async def test_filter_and_search_open_the_sections_that_match(
    started: tuple[ConclusionSpec, httpx.AsyncClient],
) -> None:
    spec, staff = started
    wid = spec.workflow_id
    one_unit = text_of(await staff.get(f"/conclusions/{wid}", params={"unit": "tra-bong"}))
    assert (
        _summaries(one_unit) == ["UBND huyện Trà Bồng"]
        and '<details class="card unit" id="unit-tra-bong" open>' in one_unit
    )
    found = text_of(await staff.get(f"/conclusions/{wid}", params={"q": "thu hoi chu ky so"}))  # without diacritics
    assert _summaries(found) == ["UBND huyện Lý Sơn"] and "1 kiến nghị phù hợp" in found
    assert '<strong class="ref">II.2.2.</strong>' in found and '<strong class="ref">II.2.1.a.</strong>' not in found
    by_ref = text_of(await staff.get(f"/conclusions/{wid}", params={"q": "II.2.1.c"}))
    assert "1 kiến nghị phù hợp" in by_ref
    nothing_done = text_of(await staff.get(f"/conclusions/{wid}", params={"status": "done"}))
    assert _summaries(nothing_done) == [] and "Không có kiến nghị nào phù hợp" in nothing_done
    unresolved = text_of(await staff.get(f"/conclusions/{wid}", params={"status": "unresolved"}))
    assert f"{len(spec.actions)} kiến nghị phù hợp" in unresolved


async def test_letters_and_the_timeline_are_paged_and_speak_plainly(
    web: Web, started: tuple[ConclusionSpec, httpx.AsyncClient]
) -> None:
    spec, staff = started
    wid = spec.workflow_id
    now = datetime.now(UTC)
    with Session(web.ctx.engine) as session:
        for i in range(25):  # 25 letters to Lý Sơn, the last one refused by the recipient's server
            answer = "250 2.0.0 OK: stored" if i < 24 else "vanphong@lyson.example.vn: 550 5.1.1 No such user"
            row = outbox_row(
                wid, f"{wid}/ly-son/reminder/{i}", "unit", "sent" if i < 24 else "failed", answer, ["ly-son-eoffice"]
            )
            row.created_at = now + timedelta(minutes=i)
            session.add(row)
        for i in range(60):  # 60 system events: the timeline runs over two pages
            session.add(
                AuditEventRow(
                    workflow_id=wid,
                    seq=10_000 + i,
                    at=now + timedelta(seconds=i),
                    actor="hệ thống",
                    kind="notification_sent",
                    target="report.ly-son",
                    message="Đã gửi văn bản «Nhắc nhở» (1 nội dung) tới vanphong@lyson.example.vn: 250 OK: stored",
                    data={},  # not letters of their own: the timeline only
                )
            )
        session.commit()
    page = text_of(await staff.get(f"/conclusions/{wid}"))
    letters = page.split('id="letters-ly-son"', 1)[1].split('<details class="card unit"', 1)[0]
    assert letters.count('<tr id="letter-') == 10 and "Trang 1/3" in letters
    assert "OK: stored" not in page and "250" not in letters and "No such user" not in page
    assert "Gửi lỗi: vanphong@lyson.example.vn: địa chỉ người nhận không tồn tại" in letters  # the newest first
    third = text_of(await staff.get(f"/conclusions/{wid}", params={"lunit": "ly-son", "lpage": 3}))
    letters = third.split('id="letters-ly-son"', 1)[1].split('<details class="card unit"', 1)[0]
    assert letters.count('<tr id="letter-') == 5 and '<details class="card unit" id="unit-ly-son" open>' in third
    timeline = page.split('id="timeline"', 1)[1]
    assert timeline.count("<li>") == 50 and "Trang 1/2" in timeline
    assert "(UBND huyện Lý Sơn)" in timeline and "Đã gửi văn bản «Nhắc nhở» (1 nội dung) tới" in timeline
    second = text_of(await staff.get(f"/conclusions/{wid}", params={"events": 2}))
    assert "Bắt đầu theo dõi kết luận" in second.split('id="timeline"', 1)[1]  # the oldest, on the last page


async def test_the_outbox_is_paged_past_500_rows(web: Web, started: tuple[ConclusionSpec, httpx.AsyncClient]) -> None:
    spec, staff = started
    wid = spec.workflow_id
    now = datetime.now(UTC)
    with Session(web.ctx.engine) as session:
        for i in range(520):
            row = outbox_row(wid, f"{wid}/ly-son/reminder/{i}", "unit", "sent", "250 OK", ["ly-son-eoffice"])
            row.created_at = now - timedelta(minutes=i)
            session.add(row)
        session.commit()
        total = session.exec(select(func.count()).select_from(NotificationRow)).one()
    first = text_of(await staff.get("/notifications"))
    pages = (total + 99) // 100
    assert f"{total} bản, trang 1/{pages}" in first and first.count("<tr id=") == 100
    last = text_of(await staff.get("/notifications", params={"page": pages}))
    assert last.count("<tr id=") == total - 100 * (pages - 1)
    oldest = (now - timedelta(minutes=519)).astimezone(VN)
    assert f"{oldest:%H:%M %d/%m/%Y}" in last and f"{oldest:%H:%M %d/%m/%Y}" not in first  # on the last page
    with Session(web.ctx.engine) as session:
        assert session.exec(select(func.count()).where(col(NotificationRow.workflow_id) == wid)).one() >= 520


async def test_the_dashboard_groups_the_systems_events(
    web: Web, started: tuple[ConclusionSpec, httpx.AsyncClient]
) -> None:
    spec, staff = started
    wid = spec.workflow_id
    now = datetime.now(UTC)
    with Session(web.ctx.engine) as session:
        for i in range(9):
            session.add(
                AuditEventRow(
                    workflow_id=wid,
                    seq=20_000 + i,
                    at=now + timedelta(seconds=i),
                    actor="hệ thống",
                    kind="notification_sent",
                    target=f"report.unit-{i}",
                    message=f"Đã gửi văn bản «Đôn đốc» (2 nội dung) tới don-vi-{i}@example.vn: 250 OK",
                    data={},
                )
            )
        session.commit()
    board = text_of(await staff.get("/"))
    recent = board.split("Hoạt động gần đây", 1)[1]
    assert "Đã gửi 9 văn bản «Đôn đốc»" in recent and "don-vi-3@example.vn" not in recent
    assert f"Bắt đầu theo dõi kết luận {spec.number}" in recent  # a person's action stays on its own line


async def test_a_section_with_something_to_decide_starts_open(
    web: Web, started: tuple[ConclusionSpec, httpx.AsyncClient]
) -> None:
    spec, staff = started
    await web.ctx.gateway.update(
        spec.workflow_id, c.SubmitEvidence(actor=AGENCY, action_id="ly-son-eoffice", files=[PDF])
    )
    page = text_of(await staff.get(f"/conclusions/{spec.workflow_id}"))
    assert '<details class="card unit" id="unit-ly-son" open>' in page  # evidence waits for review
    assert '<details class="card unit" id="unit-tra-bong">' in page
    summary = page.split('id="unit-ly-son"', 1)[1].split("</summary>", 1)[0]
    assert "1 chờ xem xét" in summary
