"""Text as people paste it (from Word, a PDF, a phone) is stored cleaned and bounded: control characters, which
PostgreSQL, XML (DOCX) and email headers refuse, never reach the workflow; a name stays on one line; a reason or an
item's text too long to carry in the workflow's state is refused, naming the field."""

from __future__ import annotations

from io import BytesIO

import docx
import pytest
from pydantic import ValidationError

from dondoc.letters.docx import letter_docx
from dondoc.letters.text import LetterText
from models import commands as c
from models.spec import MAX_TEXT, ConclusionSpec, printable
from tests.rules.factories import STAFF, action_dict, make_spec, spec_dict, unit_dict


@pytest.mark.parametrize(
    ("pasted", "stored"),
    [
        ("Rà soát hệ thống\x0bcấp tài khoản", "Rà soát hệ thống\ncấp tài khoản"),  # Word's Shift+Enter
        ("dòng một\r\ndòng hai\rdòng ba", "dòng một\ndòng hai\ndòng ba"),
        ("Đã xong\x00", "Đã xong"),
        ("\ufeffBáo cáo\u200b số 12", "Báo cáo số 12"),
        ("cột\tcột", "cột\tcột"),
        ("Trang 1\x0cTrang 2\u2028tiếp", "Trang 1\nTrang 2\ntiếp"),
        ("thu hồi\x07 tiền\x1b", "thu hồi tiền"),
    ],
)
def test_chu_dan_tu_word_duoc_lam_sach_khong_mat_chu(pasted: str, stored: str) -> None:
    assert printable(pasted) == stored


def test_ho_so_luu_noi_dung_da_lam_sach_va_ten_tren_mot_dong() -> None:
    spec = make_spec(
        title="Thanh tra\ntrách nhiệm\x00",
        units=[unit_dict("phong-a", ["a@a.example.vn"], name="Phòng\x0bTài chính", head_title="Chủ tịch\r\nUBND")],
        actions=[action_dict("a-1", "phong-a", text="Rà soát\x0bhồ sơ\x00", ref="2.1\x0b.a")],
    )
    assert spec.title == "Thanh tra trách nhiệm"
    assert (spec.units[0].name, spec.units[0].head_title) == ("Phòng Tài chính", "Chủ tịch UBND")
    assert (spec.actions[0].text, spec.actions[0].ref) == ("Rà soát\nhồ sơ", "2.1 .a")


def test_noi_dung_kien_nghi_qua_dai_bi_tu_choi_neu_ten_truong() -> None:
    with pytest.raises(ValidationError) as caught:
        ConclusionSpec.model_validate(spec_dict(actions=[action_dict("a-1", "phong-a", text="x" * (MAX_TEXT + 1))]))
    assert [(e["loc"], e["type"]) for e in caught.value.errors()] == [(("actions", 0, "text"), "string_too_long")]


@pytest.mark.parametrize(
    "build",
    [
        lambda reason: c.ReviewEvidence(actor=STAFF, evidence_id="ev-1", decision=c.Decision.reject, reason=reason),
        lambda reason: c.ReviewReport(actor=STAFF, report_id="rp-1", decision=c.Decision.reject, reason=reason),
        lambda reason: c.DecideExtension(actor=STAFF, request_id="ext-1", approve=False, reason=reason),
        lambda reason: c.WaiveAction(actor=STAFF, action_id="a-1", reason=reason),
        lambda reason: c.SubmitReport(actor=STAFF, unit="phong-a", files=[], note=reason),
    ],
)
def test_ly_do_va_ghi_chu_co_gioi_han_va_duoc_lam_sach(build: object) -> None:
    assert callable(build)
    with pytest.raises(ValidationError, match="4000"):
        build("x" * (c.MAX_NOTE + 1))
    try:
        command = build("Thiếu\x00 biên bản\x0bký")
    except ValidationError as error:  # SubmitReport needs files: only its note's cleaning matters here
        assert all(e["loc"] != ("note",) for e in error.errors())
        return
    said = getattr(command, "reason", None) or getattr(command, "note", None)
    assert said == "Thiếu biên bản\nký", command


def test_van_ban_word_van_tao_duoc_khi_noi_dung_cu_con_ky_tu_dieu_khien() -> None:
    """A workflow registered before the cleaning may still carry such text: its letters are still written."""
    text = LetterText(
        issuing_parent=None,
        issuing_body="THANH TRA TỈNH",
        number_line="Số:        /",
        place_date="Nam Định, ngày 02 tháng 12 năm 2026",
        subject="đôn đốc",
        addressees=["UBND huyện\x0b A"],
        paragraphs_before=["Nội dung\x00 có ký tự lạ\x1b."],
        table_header=["TT", "Nội dung kiến nghị", "Hạn thực hiện", "Tình trạng"],
        table_rows=[["1", "Rà soát\x0bhồ sơ", "30/06/2025", "Quá hạn 3 ngày"]],
        paragraphs_after=[],
        recipients=["Như trên;"],
        signer_title="CHÁNH THANH TRA",
        signer_name="",
    )
    document = docx.Document(BytesIO(letter_docx(text)))
    assert document.tables[1].cell(1, 1).text == "Rà soát\nhồ sơ"
    assert "Nội dung có ký tự lạ." in [p.text for p in document.paragraphs]
