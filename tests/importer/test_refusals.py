"""Documents that are not conclusions are refused with what they look like instead: the follow-up report (seed 001)
names the conclusion it reports on; periodic reports (seeds 002–004) are called reports."""

from __future__ import annotations

import pytest

from dondoc.importer import NotAConclusion, import_conclusion, import_text
from tests.importer.documents import seed


def test_a_follow_up_report_is_refused_naming_the_conclusion_it_reports_on() -> None:
    path = seed("001")
    with pytest.raises(NotAConclusion) as refused:
        import_conclusion(path.name, path.read_bytes())
    assert refused.value.looks_like == "followup_report"
    assert refused.value.cited_conclusion == "312/KL-Ttra"
    assert "Báo cáo số 184/BC-UBND" in refused.value.message
    assert "Kết luận số 312/KL-Ttra" in refused.value.message
    assert "không phải kết luận thanh tra" in refused.value.message


@pytest.mark.parametrize(
    ("prefix", "words"),
    [
        ("002", "Báo cáo số 298/BC-STTTT-VP “Tình hình thực hiện nhiệm vụ phát triển kinh tế - xã hội"),
        ("003", "Báo cáo “Công tác Quản lý nhà nước về Thông tin và Truyền thông trên địa bàn huyện Đình Lập"),
        ("004", "Báo cáo “Sơ kết công tác thi đua, khen thưởng 6 tháng đầu năm"),
    ],
)
def test_a_periodic_report_is_refused_as_a_report(prefix: str, words: str) -> None:
    path = seed(prefix)
    with pytest.raises(NotAConclusion) as refused:
        import_conclusion(path.name, path.read_bytes())
    assert refused.value.looks_like == "report"
    assert refused.value.message.startswith("Đây là báo cáo, không phải kết luận thanh tra")
    assert words in refused.value.message


def test_a_decision_and_an_unknown_text_are_refused_with_what_they_are() -> None:
    with pytest.raises(NotAConclusion) as decision:
        import_text(
            "Số: 12/QĐ-TTr\n\nHà Nội, ngày 3 tháng 4 năm 2024\n\nQUYẾT ĐỊNH\n\nVề việc thanh tra tại UBND huyện A"
        )
    assert decision.value.looks_like == "decision"
    assert decision.value.message.startswith("Đây là quyết định, không phải kết luận thanh tra")
    with pytest.raises(NotAConclusion) as unknown:
        import_text("Danh sách mua sắm tháng 5\n\nbút bi, giấy A4")
    assert unknown.value.looks_like == "unknown"
    assert "Không nhận ra văn bản này là kết luận thanh tra" in unknown.value.message
