"""Specification of the conclusion spec: what staff may register, and how every mistake is explained in Vietnamese."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dondoc.spec_loader import SpecError, load_spec, parse_spec
from models.policy import Step
from models.spec import ActionKind, conclusion_slug
from tests.rules.factories import VN, action_dict, spec_dict

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

Mutation = Callable[[dict[str, Any]], None]


def problems_of(data: Any) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_spec(data)
    assert caught.value.problems, "a SpecError always lists at least one problem"
    return caught.value.problems


def mutated(mutate: Mutation) -> dict[str, Any]:
    data = spec_dict()
    mutate(data)
    return data


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- the examples


def test_ho_so_quang_ngai_312_doc_duoc_day_du() -> None:
    spec = load_spec(EXAMPLES / "quang-ngai-312-KL-Ttra.yaml")
    assert spec.number == "312/KL-Ttra"
    assert spec.issued_on == date(2018, 5, 31)
    assert spec.start_day == date(2018, 6, 4)  # received_on counts, not issued_on
    assert len(spec.units) == 9
    assert len(spec.actions) == 44
    assert spec.workflow_id == "kl-312-kl-ttra-2018"
    assert {a.unit for a in spec.actions} <= {u.code for u in spec.units}


def test_ho_so_nam_dinh_du_thao_doc_duoc() -> None:
    spec = load_spec(EXAMPLES / "nam-dinh-STTTT-2021.yaml")
    assert spec.number == "01/KL-STTTT"
    assert spec.start_day == spec.issued_on == date(2021, 3, 19)
    assert [u.code for u in spec.units] == ["phong-ttbcxb", "trung-tam-cntt-tt"]
    assert len(spec.actions) == 5
    assert spec.actions[4].kind == ActionKind.policy
    assert spec.report_due_in.days == 45 and not spec.report_due_in.working
    assert spec.policy is None  # the global ladder applies


def test_ngay_trong_yaml_duoc_doc_thanh_ngay() -> None:
    spec = load_spec(EXAMPLES / "quang-ngai-312-KL-Ttra.yaml")
    assert spec.actions[0].due == date(2018, 9, 30)


# ---------------------------------------------------------------- workflow id


def test_workflow_id_cua_kl_312_la_slug_ascii() -> None:
    assert conclusion_slug("312/KL-Ttra", date(2018, 5, 31)) == "312-kl-ttra-2018"
    assert parse_spec(spec_dict(number="312/KL-Ttra", issued_on="2018-05-31")).workflow_id == "kl-312-kl-ttra-2018"


@pytest.mark.parametrize(
    ("number", "slug"),
    [
        ("25/KL-ĐTT", "25-kl-dtt-2021"),
        ("07/KL-Thanh tra Sở", "07-kl-thanh-tra-so-2021"),
        ("123/KL-TTr Đức Phổ", "123-kl-ttr-duc-pho-2021"),
        ("  09/KL–STTTT ", "09-kl-stttt-2021"),  # en dash, surrounding spaces
    ],
)
def test_so_ket_luan_co_dau_va_chu_d_gach_thanh_slug_ascii(number: str, slug: str) -> None:
    assert conclusion_slug(number, date(2021, 3, 19)) == slug
    assert slug.isascii()


# ---------------------------------------------------------------- invalid specs, field by field


@pytest.mark.parametrize(
    ("mutate", "field", "fragment"),
    [
        pytest.param(
            lambda d: d["actions"][0].update(unit="phong-khong-co"),
            "actions[0].unit",
            "đơn vị 'phong-khong-co' không có trong danh sách units (phong-a, phong-b)",
            id="don-vi-khong-ton-tai",
        ),
        pytest.param(
            lambda d: d["actions"][2].update(id="a-1"),
            "actions[2].id",
            "mã kiến nghị 'a-1' bị trùng",
            id="trung-ma-kien-nghi",
        ),
        pytest.param(
            lambda d: d["units"][1].update(code="phong-a"),
            "units[1].code",
            "mã đơn vị 'phong-a' bị trùng",
            id="trung-ma-don-vi",
        ),
        pytest.param(
            lambda d: d["actions"][1].update(due="9999-12-31"),
            "actions[1].due",
            "ngày phải trong khoảng năm 1990–2100",
            id="ngay-qua-xa",
        ),
        pytest.param(
            lambda d: d["actions"][1].update(due=None, due_in={"days": 3000000}),
            "actions[1].due_in",
            "thời hạn tối đa 3650 ngày (10 năm)",
            id="thoi-han-qua-dai",
        ),
        pytest.param(
            lambda d: d["actions"][1].update(kind="recover", amount_vnd=10**16),
            "actions[1].amount_vnd",
            "không được lớn hơn 1000000000000000",
            id="so-tien-qua-lon",
        ),
        pytest.param(
            lambda d: d["actions"][1].update(due="2025-05-31"),
            "actions[1].due",
            "hạn 31/05/2025 trước ngày ban hành 02/06/2025",
            id="han-truoc-ngay-ban-hanh",
        ),
        pytest.param(
            lambda d: d["actions"][1].update(due="2025-05-31T17:00:00+07:00"),
            "actions[1].due",
            "trước ngày ban hành",
            id="thoi-diem-han-truoc-ngay-ban-hanh",
        ),
        pytest.param(
            lambda d: d["units"][0].update(report_due="2025-01-01"),
            "units[0].report_due",
            "hạn báo cáo trước ngày ban hành",
            id="han-bao-cao-truoc-ngay-ban-hanh",
        ),
        pytest.param(
            lambda d: d.update(received_on="2025-06-01"),
            "received_on",
            "ngày nhận không được trước ngày ban hành",
            id="ngay-nhan-truoc-ngay-ban-hanh",
        ),
        pytest.param(
            lambda d: d["units"][0].update(contacts=["vanthu.phong-a"]),
            "units[0].contacts[0]",
            "'vanthu.phong-a' không phải địa chỉ email hợp lệ",
            id="email-dau-moi-thieu-a-cong",
        ),
        pytest.param(
            lambda d: d["units"][1].update(contacts=["a@b@c.vn"]),
            "units[1].contacts[0]",
            "'a@b@c.vn' không phải địa chỉ email hợp lệ",
            id="email-dau-moi-hai-a-cong",
        ),
        pytest.param(
            lambda d: d.update(inspectorate_head="Chánh Thanh tra"),
            "inspectorate_head",
            "'Chánh Thanh tra' không phải địa chỉ email hợp lệ",
            id="email-chanh-thanh-tra",
        ),
        pytest.param(
            lambda d: d["units"][0].update(head="truong phong@a.vn"),
            "units[0].head",
            "không phải địa chỉ email hợp lệ",
            id="email-thu-truong",
        ),
        pytest.param(
            lambda d: d["actions"][0].update(text="   "),
            "actions[0].text",
            "không được để trống",
            id="noi-dung-trong",
        ),
        pytest.param(lambda d: d.update(title=""), "title", "không được để trống", id="tieu-de-trong"),
        pytest.param(
            lambda d: d["actions"][0].update(kind="phat-tien"),
            "actions[0].kind",
            "giá trị 'phat-tien' không tồn tại; chọn một trong: 'remedy', 'recover'",
            id="loai-kien-nghi-khong-ton-tai",
        ),
        pytest.param(
            lambda d: d.update(issued_on="2021-13-01"),
            "issued_on",
            "không đọc được ngày (định dạng YYYY-MM-DD)",
            id="thang-13",
        ),
        pytest.param(
            lambda d: d.update(issued_on="hôm qua"),
            "issued_on",
            "không đọc được ngày (định dạng YYYY-MM-DD)",
            id="hom-qua",
        ),
        pytest.param(
            lambda d: d["actions"][0].update(due="2025-02-30"),
            "actions[0].due",
            "không đọc được ngày",
            id="han-30-thang-2",
        ),
        pytest.param(
            lambda d: d["actions"][0].update(due_in={"days": 30}),
            "actions[0]",
            "cần đúng một trong hai trường 'due' (ngày hạn) hoặc 'due_in' (thời hạn)",
            id="ca-due-va-due-in",
        ),
        pytest.param(
            lambda d: d["actions"][0].pop("due"),
            "actions[0]",
            "cần đúng một trong hai trường 'due'",
            id="thieu-ca-due-va-due-in",
        ),
        pytest.param(
            lambda d: d["actions"][0].update(due="2025-06-30T17:00:00"),
            "actions[0].due",
            "thời điểm phải có múi giờ",
            id="thoi-diem-khong-mui-gio",
        ),
        pytest.param(
            lambda d: d["actions"][0].update(due=None, due_in={"days": 0}),
            "actions[0].due_in",
            "thời hạn phải lớn hơn 0",
            id="thoi-han-bang-0",
        ),
        pytest.param(
            lambda d: d["actions"][0].update(due=None, due_in={"days": -3}),
            "actions[0].due_in.days",
            "không được âm",
            id="thoi-han-am",
        ),
        pytest.param(
            lambda d: d["actions"][0].update(amount_vnd=1_000_000),
            "actions[0].amount_vnd",
            "chỉ dùng cho kiến nghị loại recover",
            id="so-tien-cho-kien-nghi-khong-thu-hoi",
        ),
        pytest.param(
            lambda d: d["units"][0].update(code="Phòng A"),
            "units[0].code",
            "chỉ gồm chữ thường không dấu",
            id="ma-don-vi-co-dau",
        ),
        pytest.param(lambda d: d.pop("number"), "number", "thiếu trường bắt buộc", id="thieu-so"),
        pytest.param(lambda d: d.update(actions=[]), "actions", "cần ít nhất một phần tử", id="khong-co-kien-nghi"),
        pytest.param(
            lambda d: d["units"][0].update(contacts=[]), "units[0].contacts", "cần ít nhất", id="khong-dau-moi"
        ),
        pytest.param(lambda d: d.update(ghi_chu="x"), "ghi_chu", "trường không được hỗ trợ", id="truong-la"),
    ],
)
def test_ho_so_sai_bao_loi_tieng_viet_neu_dung_truong(mutate: Mutation, field: str, fragment: str) -> None:
    problems = problems_of(mutated(mutate))
    matching = [p for p in problems if p.startswith(f"{field}: ")]
    assert matching, f"no problem names {field!r}: {problems}"
    assert any(fragment in p for p in matching), problems


def test_moi_truong_chi_bao_mot_loi_du_kieu_ngay_hoac_ngay_gio() -> None:
    # `due` is date | datetime: both union branches fail, the user sees one line.
    problems = problems_of(mutated(lambda d: d["actions"][0].update(due="hôm qua")))
    assert problems == ["actions[0].due: không đọc được ngày (định dạng YYYY-MM-DD)"]


def test_moi_loi_tung_truong_duoc_bao_cung_luc() -> None:
    def several(d: dict[str, Any]) -> None:
        d["actions"][0]["kind"] = "khac"
        d["actions"][1]["text"] = ""
        d["inspectorate_head"] = "khong-phai-email"

    problems = problems_of(mutated(several))
    fields = {p.split(": ", 1)[0] for p in problems}
    assert fields == {"actions[0].kind", "actions[1].text", "inspectorate_head"}


def test_moi_loi_doi_chieu_giua_cac_truong_duoc_bao_cung_luc() -> None:
    def several(d: dict[str, Any]) -> None:
        d["actions"][0]["unit"] = "phong-x"
        d["actions"][2]["id"] = "a-2"
        d["actions"][1]["due"] = "2025-01-01"
        d["received_on"] = "2025-05-01"

    problems = problems_of(mutated(several))
    fields = [p.split(": ", 1)[0] for p in problems]
    assert fields == ["received_on", "actions[2].id", "actions[0].unit", "actions[1].due"]


def test_thong_diep_loi_liet_ke_tung_van_de() -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec(mutated(lambda d: d.update(issued_on="hôm qua")))
    text = str(caught.value)
    assert text.startswith("Hồ sơ kết luận không hợp lệ:")
    assert "  - issued_on: không đọc được ngày" in text
    assert isinstance(caught.value, ValueError)


def test_ho_so_khong_phai_nhom_truong_bi_tu_choi() -> None:
    assert problems_of(["number", "issued_on"]) == [
        "tệp phải chứa một nhóm trường (number, issued_on, units, actions …)"
    ]
    assert problems_of("312/KL-Ttra")


def test_thoi_diem_han_co_mui_gio_duoc_giu_nguyen() -> None:
    spec = parse_spec(mutated(lambda d: d["actions"][0].update(due="2025-06-30T17:00:00+07:00")))
    assert spec.actions[0].due == datetime(2025, 6, 30, 17, tzinfo=VN)


def test_thoi_han_tinh_theo_ngay_lam_viec() -> None:
    spec = parse_spec(mutated(lambda d: d["actions"][0].update(due=None, due_in={"days": 30, "working": True})))
    assert spec.actions[0].due_in is not None
    assert spec.actions[0].due_in.days == 30 and spec.actions[0].due_in.working


def test_thoi_diem_han_luc_nua_dem_van_la_thoi_diem() -> None:
    spec = parse_spec(mutated(lambda d: d["actions"][0].update(due="2025-07-01T00:00:00+07:00")))
    assert spec.actions[0].due == datetime(2025, 7, 1, 0, 0, tzinfo=VN)


def test_thoi_diem_nua_dem_khong_mui_gio_bi_tu_choi() -> None:
    problems = problems_of(mutated(lambda d: d["actions"][0].update(due="2025-07-01T00:00:00")))
    assert any(p.startswith("actions[0]") and "múi giờ" in p for p in problems)


# ---------------------------------------------------------------- policy in a spec


def test_chinh_sach_co_bac_duoi_mot_ngay_va_nguoi_nhan_theo_vai_tro_hoac_dia_chi() -> None:
    policy = {
        "steps": [
            {"step": "overdue", "offset": "PT30S", "to": ["contacts", "head"], "cc": ["inspectorate_head"]},
            {"step": "reminder", "offset": "-PT15S", "to": ["contacts", "someone@x.vn"]},
            {"step": "urging", "offset": "P5D", "working": True, "to": ["head"]},
        ]
    }
    spec = parse_spec(spec_dict(policy=policy))
    assert spec.policy is not None
    first, second, third = spec.policy.steps  # sorted by offset
    assert (first.step, first.offset, first.whole_days) == (Step.reminder, timedelta(seconds=-15), None)
    assert first.to == ["contacts", "someone@x.vn"]
    assert (second.step, second.offset, second.whole_days) == (Step.overdue, timedelta(seconds=30), None)
    assert (third.step, third.whole_days, third.working) == (Step.urging, 5, True)


def test_bac_truoc_han_tinh_bang_ngay_nguyen() -> None:
    spec = parse_spec(spec_dict(policy={"steps": [{"step": "reminder", "offset": "-P7D", "to": ["contacts"]}]}))
    assert spec.policy is not None
    assert spec.policy.steps[0].whole_days == -7


@pytest.mark.parametrize("field", ["to", "cc"])
def test_nguoi_nhan_khong_phai_vai_tro_cung_khong_phai_email_bi_tu_choi(field: str) -> None:
    step = {"step": "reminder", "offset": "-P1D", "to": ["contacts"], field: ["contacts", "thu-truong"]}
    problems = problems_of(spec_dict(policy={"steps": [step]}))
    assert any(p.startswith(f"policy.steps[0].{field}: ") for p in problems), problems


def test_loi_nguoi_nhan_neu_dung_muc_sai_va_cac_vai_tro() -> None:
    step = {"step": "reminder", "offset": "-P1D", "to": ["contacts", "thu-truong"]}
    (problem,) = problems_of(spec_dict(policy={"steps": [step]}))
    assert "'thu-truong'" in problem
    assert "'contacts'" not in problem  # a valid role must not be blamed
    assert "inspectorate_head" in problem  # the roles one may use are listed


def test_buoc_ket_thuc_khong_phai_bac_don_doc() -> None:
    problems = problems_of(spec_dict(policy={"steps": [{"step": "closing", "offset": "P1D", "to": ["contacts"]}]}))
    assert problems == ["policy.steps[0].step: 'closing' là thông báo kết thúc, không phải một bậc đôn đốc"]


def test_khoang_thoi_gian_khong_doc_duoc() -> None:
    problems = problems_of(spec_dict(policy={"steps": [{"step": "reminder", "offset": "7 ngày", "to": ["head"]}]}))
    assert problems == ["policy.steps[0].offset: không đọc được khoảng thời gian ISO 8601 (ví dụ -P7D, P1D, PT15S)"]


# ---------------------------------------------------------------- files


@pytest.mark.parametrize(("bad", "label"), [("2021-13-01", "thang-13"), ('"hôm qua"', "chu")])
def test_ngay_sai_trong_van_ban_yaml_neu_dung_truong(tmp_path: Path, bad: str, label: str) -> None:
    text = (EXAMPLES / "nam-dinh-STTTT-2021.yaml").read_text(encoding="utf-8")
    text = text.replace("issued_on: 2021-03-19", f"issued_on: {bad}", 1)
    with pytest.raises(SpecError) as caught:
        load_spec(write(tmp_path, f"{label}.yaml", text))
    assert caught.value.problems == ["issued_on: không đọc được ngày (định dạng YYYY-MM-DD)"]


def test_han_sai_trong_van_ban_yaml_neu_dung_kien_nghi(tmp_path: Path) -> None:
    text = (EXAMPLES / "nam-dinh-STTTT-2021.yaml").read_text(encoding="utf-8")
    text = text.replace("due: 2021-06-30", "due: 2021-13-01", 1)
    with pytest.raises(SpecError) as caught:
        load_spec(write(tmp_path, "kl.yaml", text))
    assert caught.value.problems == ["actions[2].due: không đọc được ngày (định dạng YYYY-MM-DD)"]


def test_ho_so_json_cung_doc_duoc(tmp_path: Path) -> None:
    data = spec_dict(actions=[action_dict("a-1", "phong-a", "2025-06-30T17:00:00+07:00")])
    spec = load_spec(write(tmp_path, "kl.json", json.dumps(data, ensure_ascii=False)))
    assert spec.number == "15/KL-TTr"
    assert spec.actions[0].due == datetime(2025, 6, 30, 17, tzinfo=VN)
    assert spec.units[0].report_due == date(2025, 9, 30)


def test_ho_so_json_sai_cu_phap(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        load_spec(write(tmp_path, "kl.json", '{"number": "15/KL-TTr",'))
    assert caught.value.problems[0].startswith("không đọc được cú pháp YAML/JSON")


def test_tep_yaml_la_danh_sach_bi_tu_choi(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        load_spec(write(tmp_path, "kl.yaml", "- number: 15/KL-TTr\n- issued_on: 2025-06-02\n"))
    assert caught.value.problems == ["tệp phải chứa một nhóm trường (number, issued_on, units, actions …)"]


def test_tep_rong_bi_tu_choi(tmp_path: Path) -> None:
    with pytest.raises(SpecError):
        load_spec(write(tmp_path, "kl.yaml", ""))


def test_tep_khong_ton_tai(tmp_path: Path) -> None:
    missing = tmp_path / "khong-co.yaml"
    with pytest.raises(SpecError) as caught:
        load_spec(missing)
    assert caught.value.problems == [f"không tìm thấy tệp {missing}"]


def test_tep_khong_phai_utf8(tmp_path: Path) -> None:
    path = tmp_path / "kl.yaml"
    path.write_bytes("number: Số 15/KL-TTr".encode("utf-16"))
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert "không phải văn bản UTF-8" in caught.value.problems[0]
