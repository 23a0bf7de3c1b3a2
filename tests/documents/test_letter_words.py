"""What a letter and a notice say, word for word where the wording is a rule: dates as Nghị định 30/2020 writes them,
an urging letter counting only the urging letters really sent, a deadline the conclusion never set never called
missed, and a file name an office recognises."""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO

import docx
import pytest
from docx.shared import Mm

from dondoc.letters.compose import body, letter_filename, letter_text, letterhead, long_date, row, step_label
from dondoc.letters.docx import letter_docx
from dondoc.notice_mail import render as render_notice
from models import commands as c
from models.mail import EarlierLetter, LetterRequest
from models.policy import Step
from tests.rules.factories import NOW, STAFF, UNIT_A, at, do, make_spec, make_state, reject, submit, unit_dict
from tests.rules.test_notices import OVERDUE, ly_son, request_for
from workflows.conclusion import _batches, _weight
from workflows.rules import decisions, notices


@pytest.mark.parametrize(
    ("day", "written"),
    [
        (date(2018, 5, 31), "ngày 31 tháng 5 năm 2018"),
        (date(2026, 12, 1), "ngày 01 tháng 12 năm 2026"),
        (date(2026, 1, 5), "ngày 05 tháng 01 năm 2026"),
        (date(2026, 2, 28), "ngày 28 tháng 02 năm 2026"),
        (date(2026, 3, 9), "ngày 09 tháng 3 năm 2026"),
        (date(2026, 10, 10), "ngày 10 tháng 10 năm 2026"),
    ],
)
def test_ngay_thang_theo_nghi_dinh_30_chi_them_so_0_cho_ngay_duoi_10_va_thang_1_2(day: date, written: str) -> None:
    assert long_date(day) == written


@pytest.mark.parametrize(
    ("issuer", "parent", "lines"),
    [
        (
            "Thanh tra Bộ Thông tin và Truyền thông",
            "BỘ THÔNG TIN VÀ TRUYỀN THÔNG",
            ("BỘ THÔNG TIN VÀ TRUYỀN THÔNG", "THANH TRA BỘ"),
        ),
        ("Thanh tra tỉnh Quảng Ngãi", "UBND tỉnh Quảng Ngãi", ("UBND TỈNH QUẢNG NGÃI", "THANH TRA TỈNH")),
        (
            "Thanh tra Sở Thông tin và Truyền thông tỉnh Nam Định",
            "SỞ THÔNG TIN VÀ TRUYỀN THÔNG TỈNH NAM ĐỊNH",
            ("SỞ THÔNG TIN VÀ TRUYỀN THÔNG TỈNH NAM ĐỊNH", "THANH TRA SỞ"),
        ),
        ("Thanh tra thành phố Hà Nội", "UBND thành phố Hà Nội", ("UBND THÀNH PHỐ HÀ NỘI", "THANH TRA THÀNH PHỐ")),
        ("Sở Xây dựng tỉnh Quảng Ngãi", "UBND tỉnh Quảng Ngãi", ("UBND TỈNH QUẢNG NGÃI", "SỞ XÂY DỰNG")),
        ("Thanh tra Chính phủ", "Chính phủ", ("CHÍNH PHỦ", "THANH TRA CHÍNH PHỦ")),
        ("Thanh tra tỉnh Quảng Ngãi", "UBND tỉnh Quảng Nam", ("UBND TỈNH QUẢNG NAM", "THANH TRA TỈNH QUẢNG NGÃI")),
        ("Thanh tra tỉnh Quảng Ngãi", None, (None, "THANH TRA TỈNH QUẢNG NGÃI")),
    ],
)
def test_tieu_de_co_quan_ban_hanh_khong_nhac_lai_ten_co_quan_chu_quan(
    issuer: str, parent: str | None, lines: tuple[str | None, str]
) -> None:
    """The letterhead writes the issuing body as offices do under its parent ("UBND TỈNH QUẢNG NGÃI" over "THANH
    TRA TỈNH"), never cutting a place name across two lines; a body that is not the parent's own stays whole."""
    assert letterhead(issuer, parent) == lines


def overdue_request() -> LetterRequest:
    _, request = request_for(ly_son(), OVERDUE)
    assert request.step == Step.overdue
    return request


def sent(step: Step, days_before: int, number: str | None = None) -> EarlierLetter:
    return EarlierLetter(step=step, sent_at=OVERDUE - timedelta(days=days_before), number=number)


def as_step(step: Step, *earlier: EarlierLetter) -> LetterRequest:
    # counted from the letters it cites (the workflow also gives the whole count: tests/rules/test_notices.py)
    return overdue_request().model_copy(update={"step": step, "earlier": list(earlier), "urgings_before": None})


def test_van_ban_don_doc_dem_so_lan_don_doc_da_thuc_su_gui_khong_theo_bac_cua_thang() -> None:
    # a ladder without a first urging rung: its second urging is the unit's first urging letter
    first = as_step(Step.second_urging, sent(Step.overdue, 20))
    assert letter_text(first).subject == "đôn đốc thực hiện Kết luận thanh tra số 15/KL-TTr"
    assert step_label(first) == "Đôn đốc"
    assert "lần thứ hai" not in " ".join(body(first)) and "tiếp tục" not in " ".join(body(first))

    second = as_step(Step.second_urging, sent(Step.overdue, 20), sent(Step.urging, 10, "125/TTr-NV"))
    assert letter_text(second).subject == "đôn đốc lần thứ hai thực hiện Kết luận thanh tra số 15/KL-TTr"
    assert step_label(second) == "Đôn đốc lần 2"
    assert "văn bản đôn đốc số 125/TTr-NV ngày" in " ".join(body(second))
    assert "tiếp tục đề nghị" in " ".join(body(second))

    third = as_step(Step.second_urging, sent(Step.urging, 20), sent(Step.second_urging, 10))
    assert letter_text(third).subject.startswith("đôn đốc lần thứ ba ")
    # an earlier urging letter is cited by its kind, number and date, never as the ladder's "lần thứ hai"
    assert "văn bản đôn đốc lần thứ hai" not in " ".join(body(third))


def test_de_nghi_xu_ly_khong_noi_da_don_doc_khi_chua_co_van_ban_don_doc_nao() -> None:
    never_urged = " ".join(body(as_step(Step.proposal, sent(Step.overdue, 30))))
    assert "Đến nay UBND huyện Lý Sơn vẫn chưa hoàn thành" in never_urged
    assert "đã được đôn đốc" not in never_urged and "chưa thực hiện nhưng" not in never_urged
    urged = " ".join(body(as_step(Step.proposal, sent(Step.urging, 20), sent(Step.second_urging, 10))))
    assert "UBND huyện Lý Sơn đã được đôn đốc 2 lần nhưng đến nay chưa hoàn thành" in urged


def test_khong_de_nghi_xu_ly_trach_nhiem_khi_chi_qua_han_gia_dinh() -> None:
    """Every outstanding item of the unit has an assumed deadline (the conclusion set none): the top rung asks for a
    check and a timetable, never for anyone to be held responsible for lateness."""
    proposal = as_step(Step.proposal, sent(Step.urging, 20), sent(Step.second_urging, 10))
    assumed = proposal.model_copy(update={"items": [i.model_copy(update={"days_overdue": 0}) for i in proposal.items]})
    words = " ".join(body(assumed))
    assert "xử lý trách nhiệm" not in words and "xử lý trách nhiệm" not in letter_text(assumed).subject
    assert "yêu cầu UBND huyện Lý Sơn báo cáo tiến độ, thời hạn hoàn thành" in words
    assert letter_text(assumed).subject == "đề nghị kiểm tra việc thực hiện Kết luận thanh tra số 15/KL-TTr"
    assert step_label(assumed) == "Đề nghị kiểm tra"
    # one deadline set by the conclusion passed: responsibility is asked for
    assert any(line.days_overdue > 0 for line in proposal.items)
    assert "xử lý trách nhiệm của tập thể, cá nhân" in " ".join(body(proposal))


def test_han_bao_cao_gia_dinh_khong_duoc_neu_nhu_han_cua_ket_luan() -> None:
    units = [unit_dict("phong-a", [UNIT_A]), unit_dict("phong-b", ["b@b.example.vn"], report_due="2025-09-30")]
    state = make_state(make_spec(units=units, report_due_assumed=True))
    assert state.units["phong-a"].due_is_assumed
    assert not state.units["phong-b"].due_is_assumed, "a unit's own report deadline is stated, not assumed"
    late = state.units["phong-a"].due + timedelta(days=10)
    report = notices._line(state, "report.phong-a", late)
    assert report is not None and report.due_assumed and report.days_overdue == 0
    assert row(4, report)[2].endswith("(hạn giả định)") and not row(4, report)[3].startswith("Quá hạn")
    stated = notices._line(make_state(make_spec(units=units)), "report.phong-a", late)
    assert stated is not None and stated.days_overdue == 10


def test_so_tien_nam_trong_cau_cua_noi_dung_truoc_dau_cham() -> None:
    kn3 = next(line for line in overdue_request().items if line.target == "kn-3")
    assert row(3, kn3)[1] == "Thu hồi tiền chi sai (số tiền: 125.000.000 đồng)."


def test_ten_tep_van_ban_bang_tieng_viet_khong_dau_khong_co_ma_noi_bo() -> None:
    request = as_step(Step.second_urging, sent(Step.urging, 10))
    day = request.now.astimezone(at(2025, 1, 1).tzinfo).date()
    assert letter_filename(request) == f"van-ban-don-doc-lan-2-ubnd-huyen-ly-son-ngay-{day:%d-%m-%Y}.docx"
    assert "second" not in letter_filename(request) and "urging" not in letter_filename(request)


def test_bang_cua_van_ban_co_han_gia_dinh_van_doc_duoc_ngay_tren_mot_dong() -> None:
    request = overdue_request()
    assert any(line.due_assumed for line in request.items)
    document = docx.Document(BytesIO(letter_docx(letter_text(request))))
    table = document.tables[1]
    widths = [column.width for column in table.columns]
    assert widths[2] >= Mm(27), "the due-date column holds a date on one line"
    assert widths[1] >= Mm(50), "the items' text keeps its room"
    assert sum(widths) <= Mm(165) + Mm(1)
    assert table.cell(3, 2).text == "30/06/2025 (hạn giả định)"


def test_tai_lieu_word_mang_ngay_lap_va_tieng_viet() -> None:
    request = overdue_request()
    properties = docx.Document(BytesIO(letter_docx(letter_text(request)))).core_properties
    assert properties.created is not None and properties.created.date() == request.now.date()
    assert properties.language == "vi-VN"
    assert properties.author == request.tracking_body, "the body's whole name, not the header's short form"


def test_thong_bao_khong_noi_han_gia_dinh_la_han_cua_ket_luan() -> None:
    state = ly_son(issuer="Sở Thông tin và Truyền thông tỉnh Nam Định")  # the Sở concluded, its Thanh tra follows up
    state.decision_notices = True
    reject(submit(state, "kn-3", at(2025, 6, 20)), "kn-3", at(2025, 6, 21), "Thiếu chứng từ")
    (record,) = [n for n in state.notices if n.unit == "ly-son"]
    request = decisions.notice_request(state, record, at(2025, 6, 22))
    (item,) = request.items
    assert item.due_assumed
    text = render_notice(request, None).text
    assert "hạn vẫn là ngày 30/06/2025 (hạn giả định để theo dõi, kết luận không nêu thời hạn)" in text
    assert "Thanh tra tỉnh Nam Định thông báo kết quả xem xét" in text


def test_han_do_can_bo_quyet_dinh_sau_khong_con_la_han_gia_dinh() -> None:
    """kn-3's deadline was assumed; once staff grant an extension, the new deadline is their decision, stated."""
    state = ly_son()
    assert state.actions["kn-3"].due_is_assumed
    do(state, c.RequestExtension(actor=UNIT_A, action_id="kn-3", requested_due=date(2025, 8, 15), reason="Chờ"), NOW)
    do(state, c.DecideExtension(actor=STAFF, request_id="ext-1", approve=True), NOW)
    kn3 = state.actions["kn-3"]
    assert kn3.due_assumed and kn3.due_version == 2 and not kn3.due_is_assumed
    _, request = request_for(state, at(2025, 8, 20, 9))
    line = next(x for x in request.items if x.target == "kn-3")
    assert not line.due_assumed and line.days_overdue == 5
    assert row(3, line)[2] == "15/08/2025"


def test_mot_luot_gui_chia_theo_du_lieu_khong_theo_cach_viet() -> None:
    """Where a pass splits into batches depends on the items' texts, not on how a release words the letters: a
    replayed history schedules the same activities whatever the wording became."""
    request = overdue_request()
    long = request.model_copy(update={"items": [i.model_copy(update={"text": "x" * 60_000}) for i in request.items]})
    worded = long.model_copy(update={"addressees": ["Kính gửi " * 200], "copied_to": ["Nơi nhận " * 200]})
    assert _weight(long) == _weight(worded)
    split = [len(b.requests()) for b in _batches([long] * 5, _weight)]
    assert split == [len(b.requests()) for b in _batches([worded] * 5, _weight)] == [2, 2, 1]
