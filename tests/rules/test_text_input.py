"""Text as people paste it (from Word, a PDF, a phone) is stored cleaned and bounded: control characters, which
PostgreSQL, XML (DOCX) and email headers refuse, never reach the workflow; a name stays on one line; a reason or an
item's text too long to carry in the workflow's state is refused, naming the field."""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO

import docx
import pytest
from pydantic import ValidationError

from dondoc.letters.docx import letter_docx
from dondoc.letters.text import LetterText
from dondoc.web.api.schemas import LetterNumberIn, ReviewIn
from models import commands as c
from models.spec import MAX_TEXT, NEW_INPUT, ConclusionSpec, printable
from models.state import FileRef
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


def test_noi_dung_kien_nghi_qua_dai_bi_tu_choi_khi_nhap_nhung_van_doc_duoc_khi_phat_lai() -> None:
    data = spec_dict(actions=[action_dict("a-1", "phong-a", text="x" * (MAX_TEXT + 1))])
    with pytest.raises(ValidationError) as caught:
        ConclusionSpec.model_validate(data, context=NEW_INPUT)
    assert [(e["loc"], e["type"]) for e in caught.value.errors()] == [(("actions", 0, "text"), "string_too_long")]
    # the same spec read back from an older history (Temporal's converter passes no context) still reads
    assert len(ConclusionSpec.model_validate(data).actions[0].text) == MAX_TEXT + 1


PDF = FileRef(name="bao-cao.pdf", sha256="a" * 64, size=10, content_type="application/pdf")


@pytest.mark.parametrize(
    "build",
    [
        lambda reason: c.ReviewEvidence(actor=STAFF, evidence_id="ev-1", decision=c.Decision.reject, reason=reason),
        lambda reason: c.ReviewReport(actor=STAFF, report_id="rp-1", decision=c.Decision.reject, reason=reason),
        lambda reason: c.DecideExtension(actor=STAFF, request_id="ext-1", approve=False, reason=reason),
        lambda reason: c.WaiveAction(actor=STAFF, action_id="a-1", reason=reason),
        lambda reason: c.SubmitReport(actor=STAFF, unit="phong-a", files=[PDF], note=reason),
    ],
)
def test_ly_do_va_ghi_chu_duoc_lam_sach(build: Callable[[str], c.Command]) -> None:
    command = build("Thiếu\x00 biên bản\x0bký ")
    said = getattr(command, "reason", None) or getattr(command, "note", None)
    assert said == "Thiếu biên bản\nký", command


def test_ly_do_qua_dai_bi_tu_choi_o_noi_nguoi_nhap_khong_o_lenh_da_ghi() -> None:
    """The API's fields are bounded; a command read back from history is not (it was accepted as it is)."""
    too_long = "x" * (c.MAX_NOTE + 1)
    with pytest.raises(ValidationError, match="4000"):
        ReviewIn.model_validate({"decision": "reject", "reason": too_long})
    assert c.ReviewEvidence(actor=STAFF, evidence_id="ev-1", decision=c.Decision.reject, reason=too_long).reason


def test_so_van_ban_chi_co_ky_tu_vo_hinh_bi_tu_choi_khi_nhap() -> None:
    with pytest.raises(ValidationError):
        LetterNumberIn.model_validate({"key": "k", "number": "\u200b\x00"})
    assert LetterNumberIn.model_validate({"key": "k", "number": " 125/TTr-NV\x0b"}).number == "125/TTr-NV"


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
