"""What real conclusions contain besides seed 000: a header block in capitals, numbering "a)", "+", "*", amounts to
recover with their words, deadlines, discipline, sanctions, policy and transfer, a one-line "Giao … theo dõi, đôn
đốc", a deputy signing, line breaks inside sentences and page numbers left by a PDF."""

from __future__ import annotations

from datetime import date

import pytest

from dondoc.importer import ConclusionDraft, WarningCode, import_text
from dondoc.importer.amounts import amounts_in, words_value
from dondoc.importer.text import RawLine, drop_page_artefacts, paragraphs
from models.spec import ActionKind

CONCLUSION = """UBND TỈNH QUẢNG NGÃI
THANH TRA TỈNH

Số: 45/KL-TTr

Quảng Ngãi, ngày 12 tháng 9 năm 2023

KẾT LUẬN THANH TRA

Về việc quản lý, sử dụng kinh phí xây dựng nông thôn mới tại UBND huyện Lý Sơn và UBND huyện Trà Bồng

Thực hiện Quyết định số 210/QĐ-TTr ngày 05/6/2023 của Chánh Thanh tra tỉnh về thanh tra việc quản lý, sử dụng
kinh phí xây dựng nông thôn mới;

Từ ngày 12/6/2023 đến ngày 20/7/2023, Đoàn thanh tra đã tiến hành thanh tra đối với UBND huyện Lý Sơn và UBND huyện Trà Bồng.

Chánh Thanh tra tỉnh kết luận như sau:

I. KHÁI QUÁT CHUNG

Hai huyện được giao kinh phí theo kế hoạch.

II. KẾT QUẢ KIỂM TRA, XÁC MINH

1. Chi sai chế độ 120.000.000 đồng.

III. KIẾN NGHỊ BIỆN PHÁP XỬ LÝ

1. Yêu cầu UBND huyện Lý Sơn:

a) Thu hồi số tiền 120.000.000 đồng (bằng chữ: một trăm hai mươi triệu đồng) nộp vào tài khoản tạm giữ của
Thanh tra tỉnh trước ngày 30/11/2023.

b) Tổ chức kiểm điểm trách nhiệm đối với tập thể, cá nhân có liên quan trong thời hạn 30 ngày làm việc.

c) Chấn chỉnh công tác quản lý:

+ Rà soát hồ sơ thanh toán các công trình;

+ Hoàn thành việc lập hồ sơ quyết toán trong quý IV/2023.

2. Yêu cầu UBND huyện Trà Bồng thu hồi số tiền 35.500.000 đồng (bằng chữ: ba mươi lăm triệu đồng) nộp ngân sách nhà nước.

3. Kiến nghị Chủ tịch UBND tỉnh:

* Chỉ đạo sửa đổi, bổ sung quy định về định mức hỗ trợ xây dựng nông thôn mới;

* Xử phạt vi phạm hành chính đối với nhà thầu thi công theo quy định;

* Chuyển hồ sơ vụ việc sai phạm tại xã An Vĩnh đến Cơ quan Cảnh sát điều tra Công an tỉnh để điều tra.

4. Giao Phòng Nghiệp vụ 2 theo dõi, đôn đốc việc thực hiện kết luận này./.

Nơi nhận:
- Chủ tịch UBND tỉnh;
- UBND huyện Lý Sơn;
- UBND huyện Trà Bồng;
- Lưu: VT, NV2.

KT. CHÁNH THANH TRA
PHÓ CHÁNH THANH TRA

Nguyễn Văn An
"""


@pytest.fixture(scope="module")
def draft() -> ConclusionDraft:
    return import_text(CONCLUSION).draft


def test_the_header_block_number_date_title_and_decision(draft: ConclusionDraft) -> None:
    assert draft.number is not None and draft.number.value == "45/KL-TTr"
    assert draft.issued_on is not None and draft.issued_on.value == date(2023, 9, 12)
    assert draft.issuer is not None and draft.issuer.value == "Thanh tra tỉnh"
    assert draft.title is not None
    assert draft.title.value.startswith("quản lý, sử dụng kinh phí xây dựng nông thôn mới tại UBND huyện Lý Sơn")
    assert draft.decision is not None and draft.decision.value == "Quyết định số 210/QĐ-TTr ngày 05/6/2023"


def test_lettered_and_plus_items_with_kinds_amounts_and_deadlines(draft: ConclusionDraft) -> None:
    actions = {a.ref: a for a in draft.actions}
    recover = actions["III.1.a"]
    assert (recover.unit, recover.kind, recover.amount_vnd) == ("ubnd-huyen-ly-son", ActionKind.recover, 120_000_000)
    assert recover.due == date(2023, 11, 30) and recover.due_text == "trước ngày 30/11/2023"
    assert "nộp vào tài khoản tạm giữ của Thanh tra tỉnh" in recover.text  # the line break inside it is joined
    discipline = actions["III.1.b"]
    assert discipline.kind == ActionKind.discipline
    assert (discipline.due_in_days, discipline.due_working) == (30, True)
    assert actions["III.1.c-1"].kind == ActionKind.remedy and actions["III.1.c-1"].unit == "ubnd-huyen-ly-son"
    assert actions["III.1.c-2"].due == date(2023, 12, 31)
    assert "III.1.c" not in actions  # a heading with items under it is not an action itself


def test_a_one_line_directive_and_star_items_addressed_to_the_province(draft: ConclusionDraft) -> None:
    actions = {a.ref: a for a in draft.actions}
    tra_bong = actions["III.2"]
    assert (tra_bong.unit, tra_bong.kind, tra_bong.amount_vnd) == (
        "ubnd-huyen-tra-bong",
        ActionKind.recover,
        35_500_000,
    )
    assert [actions[f"III.3-{n}"].kind for n in (1, 2, 3)] == [
        ActionKind.policy,
        ActionKind.sanction,
        ActionKind.transfer,
    ]
    assert {actions[f"III.3-{n}"].addressee for n in (1, 2, 3)} == {"Chủ tịch UBND tỉnh"}
    assert draft.tracking_body is not None and draft.tracking_body.value == "Phòng Nghiệp vụ 2"
    assert "III.4" not in actions


def test_warnings_for_the_amount_in_words_and_the_province_not_inspected(draft: ConclusionDraft) -> None:
    mismatch = [w for w in draft.warnings if w.code == WarningCode.amount_mismatch]
    assert len(mismatch) == 1
    assert "35.500.000" in mismatch[0].message and "ba mươi lăm triệu đồng" in mismatch[0].message
    outsiders = [w for w in draft.warnings if w.code == WarningCode.unit_not_inspected]
    assert len(outsiders) == 1 and "Chủ tịch UBND tỉnh" in outsiders[0].message
    assert not [w for w in draft.warnings if w.code in (WarningCode.blank_day, WarningCode.blank_number)]


def test_a_deputy_signs_for_the_head(draft: ConclusionDraft) -> None:
    assert draft.signer_acting_for is not None and draft.signer_acting_for.value == "KT. CHÁNH THANH TRA"
    assert draft.signer_title is not None and draft.signer_title.value == "Phó Chánh Thanh tra"
    assert draft.signer_name is not None and draft.signer_name.value == "Nguyễn Văn An"
    assert [r.value for r in draft.recipients] == ["Chủ tịch UBND tỉnh", "UBND huyện Lý Sơn", "UBND huyện Trà Bồng"]


def test_no_action_found_is_a_warning_not_a_failure() -> None:
    draft = import_text("Số: 3/KL-TTr\n\nHà Nội, ngày 2 tháng 3 năm 2024\n\nKẾT LUẬN\n\nVề việc kiểm tra\n").draft
    assert WarningCode.no_action in {w.code for w in draft.warnings}
    assert WarningCode.no_inspected_units in {w.code for w in draft.warnings}


def test_words_of_amounts() -> None:
    assert words_value("Mười hai triệu ba trăm bốn mươi lăm nghìn đồng") == 12_345_000
    assert words_value("một trăm linh năm triệu đồng") == 105_000_000
    assert words_value("hai tỷ ba trăm triệu đồng") == 2_300_000_000
    assert words_value("hai mươi mốt nghìn") == 21_000
    assert words_value("không rõ") is None
    (amount,) = amounts_in("nộp 1.500.000 đồng (Bằng chữ: Một triệu năm trăm nghìn đồng).")
    assert (amount.figure, amount.disagrees) == (1_500_000, False)


def test_pdf_lines_join_into_paragraphs_and_page_numbers_go() -> None:
    pages = [
        [
            "KẾT LUẬN",
            "Yêu cầu UBND huyện A thực hiện việc rà soát toàn bộ hồ sơ các công trình xây",
            "dựng đã quyết toán.",
            "1",
        ],
        ["- 2 -", "- Báo cáo kết quả về Thanh tra tỉnh trước ngày 30/6/2024.", "2"],
        ["Trang 3", "Nơi nhận:"],
    ]
    lines = [RawLine(text, page=n) for n, page in enumerate(drop_page_artefacts(pages), start=1) for text in page]
    assert [p.text for p in paragraphs(lines)] == [
        "KẾT LUẬN",
        "Yêu cầu UBND huyện A thực hiện việc rà soát toàn bộ hồ sơ các công trình xây dựng đã quyết toán.",
        "- Báo cáo kết quả về Thanh tra tỉnh trước ngày 30/6/2024.",
        "Nơi nhận:",
    ]
