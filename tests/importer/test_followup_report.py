"""Seed 001, the province's report on conclusion 312/KL-Ttra, read per unit: the eight units of its part II and the
province (part III), what each says was done and what remains ("những vấn đề tiếp tục khắc phục"); matched to the
conclusion's units and actions; a report on another conclusion refused with that reason."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from dondoc.importer.extract import read_document
from dondoc.importer.report import (
    FollowUpReport,
    ItemStatus,
    ReportRefused,
    parse_followup_report,
    propose,
    status_of,
    unit_of,
)
from dondoc.spec_loader import load_spec
from tests.conftest import EXAMPLES
from tests.importer.documents import seed


@pytest.fixture(scope="module")
def report() -> FollowUpReport:
    path = seed("001")
    return parse_followup_report(read_document(path.name, path.read_bytes()), "312/KL-Ttra")


def test_the_report_names_the_conclusion_it_reports_on(report: FollowUpReport) -> None:
    assert (report.cited_number, report.cited_day) == ("312/KL-Ttra", date(2018, 5, 31))
    assert report.number is not None and report.number.value == "184/BC-UBND"
    assert report.issued_on is not None and report.issued_on.value == date(2018, 8, 7)


def test_it_splits_into_eight_units_and_the_province(report: FollowUpReport) -> None:
    assert [(u.ref, u.name) for u in report.units] == [
        ("II.1", "Văn phòng UBND tỉnh"),
        ("II.2", "UBND huyện Lý Sơn"),
        ("II.3", "UBND huyện Nghĩa Hành"),
        ("II.4", "UBND huyện Trà Bồng"),
        ("II.5", "UBND huyện Đức Phổ"),
        ("II.6", "Sở Giao thông vận tải"),
        ("II.7", "Sở Văn hóa, Thể thao và Du lịch"),
        ("II.8", "Sở Xây dựng"),
        ("III", "UBND tỉnh Quảng Ngãi"),
    ]
    assert all(u.items for u in report.units)


def test_what_remains_to_remedy_is_open_and_what_is_done_is_proposed(report: FollowUpReport) -> None:
    ly_son = report.units[1]
    remaining = [i for i in ly_son.items if i.ref.startswith("2.2")]
    assert len(remaining) == 6 and {i.status for i in remaining} == {ItemStatus.open}
    assert remaining[1].text.startswith("Rà soát, thống kê, đăng ký cấp mới thư điện tử công vụ")
    first = ly_son.items[0]
    assert (first.ref, first.status) == ("2.1.a-1", ItemStatus.done)
    assert first.topic == "Việc triển khai Cổng thông tin điện tử huyện Lý Sơn"
    assert Counter(i.status for i in report.units[0].items)[ItemStatus.open] == 4  # Văn phòng: 1.2 stays open


def test_status_words() -> None:
    assert status_of("Đã rà soát, thu hồi hơn 4.500 hộp thư.", None) == ItemStatus.done
    assert status_of("Dự kiến hoàn thành trong quý III/2018.", None) == ItemStatus.open
    assert status_of("Đã ban hành kế hoạch; thời gian tới sẽ tập huấn.", None) == ItemStatus.partly_done
    assert status_of("Đã tham mưu ban hành công văn.", ItemStatus.open) == ItemStatus.open  # under 'tiếp tục'


def test_parts_match_the_conclusions_units_and_items_its_actions(report: FollowUpReport) -> None:
    spec = load_spec(EXAMPLES / "quang-ngai-312-KL-Ttra.yaml")
    names = {u.code: u.name for u in spec.units}
    assert [unit_of(u, names) for u in report.units] == [
        "van-phong-ubnd",
        "ly-son",
        "nghia-hanh",
        "tra-bong",
        "duc-pho",
        "so-gtvt",
        "so-vhttdl",
        "so-xd",
        "ubnd-tinh",
    ]
    tra_bong = {a.id: a.text for a in spec.actions if a.unit == "tra-bong"}
    proposals = {p.action_id: p for p in propose(tra_bong, report.units[3].items)}
    portal = proposals["tra-bong-cong-ttdt"]
    assert portal.item is not None and portal.item.status == ItemStatus.done


def test_a_report_on_another_conclusion_is_refused_with_that_reason() -> None:
    path = seed("001")
    with pytest.raises(ReportRefused, match="nói về Kết luận số 312/KL-Ttra, không phải Kết luận số 45/KL-TTr"):
        parse_followup_report(read_document(path.name, path.read_bytes()), "45/KL-TTr")
    periodic = seed("002")
    with pytest.raises(ReportRefused, match="Không thấy văn bản nêu kết luận thanh tra nào"):
        parse_followup_report(read_document(periodic.name, periodic.read_bytes()), "312/KL-Ttra")
    conclusion = seed("000")
    with pytest.raises(ReportRefused, match="Đây là một kết luận thanh tra"):
        parse_followup_report(read_document(conclusion.name, conclusion.read_bytes()), "312/KL-Ttra")
