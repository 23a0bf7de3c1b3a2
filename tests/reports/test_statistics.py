"""The statistics of a period on a constructed read model with known answers (tests/reports/dataset.py)."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy.engine import Engine

from activities.database import get_engine
from dondoc.reports import facts
from dondoc.reports.period import Period, PeriodError, PeriodKind
from dondoc.reports.statistics import Figures, statistics
from dondoc.reports.statistics_xlsx import statistics_xlsx
from dondoc.settings import Settings
from tests.reports import dataset
from tests.reports.dataset import LY_SON, SO_XD, TRA_BONG, TTR, UBND, at, d

Q1 = Period.quarter(2026, 1)


@pytest.fixture
def engine(settings: Settings, tmp_path: Path) -> Engine:
    engine = get_engine(f"sqlite:///{tmp_path / 'reports.sqlite3'}")
    dataset.build(engine)
    return engine


def test_periods_cover_whole_days_in_vietnamese_time() -> None:
    assert (Q1.first, Q1.last, Q1.label) == (d("2026-01-01"), d("2026-03-31"), "Quý I năm 2026")
    assert Q1.start.isoformat() == "2026-01-01T00:00:00+07:00"
    assert Q1.end.isoformat() == "2026-03-31T23:59:59.999999+07:00"
    assert Period.of(PeriodKind.half, 2026, 2).first == d("2026-07-01")
    assert Period.of(PeriodKind.year, 2025).label == "Năm 2025"
    assert Period.of(PeriodKind.quarter, 2024, 4).last == d("2024-12-31")
    with pytest.raises(PeriodError):
        Period.of(PeriodKind.custom, first=d("2026-02-01"), last=d("2026-01-01"))
    with pytest.raises(PeriodError):
        Period.of(PeriodKind.quarter, 2026, 5)


def test_an_extension_counts_when_granted_before_the_deadline_passed(engine: Engine) -> None:
    by_id = {f.action.action_id: f for f in facts.load(engine, None)}
    assert not by_id["a2"].late and by_id["a2"].judged_due == dataset.due(d("2026-02-28"))
    assert by_id["a3"].late and by_id["a3"].judged_due == dataset.due(d("2026-01-15"))
    assert by_id["a3"].days_overdue(at(d("2026-06-01"))) == 36  # 15/1 to 20/2, the day it was sent counting
    assert by_id["a10"].due_at(at(d("2026-03-14"))) == dataset.due(d("2026-03-20"))
    assert by_id["a10"].due_at(at(d("2026-03-16"))) == dataset.due(d("2026-04-30"))
    assert not by_id["a10"].overdue_at(Q1.end)
    # done on time: the unit sent the evidence before the due date, though staff accepted it after
    assert not by_id["a1"].late and by_id["a1"].accepted_on == at(d("2026-02-05"), 15)


def test_the_first_quarter_in_total(engine: Engine) -> None:
    stats = statistics(facts.load(engine, None), Q1)
    assert stats.total == Figures(
        conclusions=2,
        units=4,
        actions=12,
        done_on_time=3,
        done_late=1,
        waived=1,
        transferred=1,
        overdue=3,
        in_progress=3,
        amount_to_recover_vnd=150_000_000,
        recovered_vnd=50_000_000,
        recovered_in_period_vnd=50_000_000,
    )
    t = stats.total
    assert t.actions == t.done_on_time + t.done_late + t.waived + t.transferred + t.overdue + t.in_progress


def test_the_first_quarter_per_issuer_and_per_unit(engine: Engine) -> None:
    stats = statistics(facts.load(engine, None), Q1)
    issuers = {line.name: line.figures for line in stats.by_issuer}
    assert set(issuers) == {TTR, UBND}
    assert (issuers[TTR].conclusions, issuers[TTR].actions, issuers[TTR].overdue) == (1, 10, 2)
    assert (issuers[UBND].conclusions, issuers[UBND].actions, issuers[UBND].overdue) == (1, 2, 1)
    units = {line.name: line.figures for line in stats.by_unit}
    assert [line.name for line in stats.by_unit] == [LY_SON, SO_XD, TRA_BONG]  # most overdue first
    ly_son = units[LY_SON]
    assert (ly_son.conclusions, ly_son.actions, ly_son.done_on_time, ly_son.done_late, ly_son.overdue) == (
        2,
        7,
        3,
        1,
        3,
    )
    so_xd = units[SO_XD]
    assert (so_xd.actions, so_xd.waived, so_xd.transferred, so_xd.in_progress) == (4, 1, 1, 2)
    assert units[TRA_BONG] == Figures(conclusions=1, units=1, actions=1, in_progress=1)


def test_the_second_quarter_sees_what_the_first_left_open(engine: Engine) -> None:
    stats = statistics(facts.load(engine, None), Period.quarter(2026, 2))
    t = stats.total
    assert t.conclusions == 3  # D was received in April
    assert t.done_late == 1  # a11, sent on 2/4 after its due date of 25/3
    assert t.done_on_time == 0 and t.waived == 0 and t.transferred == 0
    assert t.actions == 7  # a4, a8, a10, a11, b1, b2, d1
    assert t.recovered_in_period_vnd == 0 and t.recovered_vnd == 0  # a5 was resolved in Q1: not followed any more


def test_statistics_as_a_workbook(engine: Engine) -> None:
    stats = statistics(facts.load(engine, None), Q1)
    book = openpyxl.load_workbook(BytesIO(statistics_xlsx(stats, at(d("2026-04-02")), "mọi kết luận")))
    assert book.sheetnames == ["Theo cơ quan ban hành", "Theo đơn vị"]
    sheet = book["Theo đơn vị"]
    header = next(r for r in range(1, 10) if sheet.cell(r, 1).value == "STT")
    titles = [c.value for c in sheet[header]]
    assert titles[:6] == [
        "STT",
        "Đơn vị thực hiện",
        "Số kết luận theo dõi",
        "Số kiến nghị theo dõi",
        "Hoàn thành đúng hạn",
        "Hoàn thành quá hạn",
    ]
    assert sheet.freeze_panes == f"A{header + 1}"
    first = [c.value for c in sheet[header + 1]]
    assert first[1] == LY_SON and first[3] == 7
    total = [c.value for c in sheet[header + 4]]
    assert total[1] == "Tổng cộng" and total[3] == 12
    money = titles.index("Số tiền phải thu hồi (đồng)")
    assert total[money] == 150_000_000
    assert sheet.cell(header + 4, money + 1).number_format == "#,##0"
    assert "Quý I năm 2026" in str(sheet.cell(2, 1).value)
