"""Specification of the conclusion spec: what staff may register, and how every mistake is explained in Vietnamese."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from dondoc.spec_loader import SpecError, load_spec, parse_spec
from models.policy import Step
from models.spec import ActionKind, ActionSpec, PriorStatus, conclusion_slug
from tests.rules.factories import ISSUED, VN, action_dict, spec_dict

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


def test_ho_so_quang_ngai_ghi_tinh_trang_theo_bao_cao_184() -> None:
    spec = load_spec(EXAMPLES / "quang-ngai-312-KL-Ttra.yaml")
    statuses = [a.status for a in spec.actions]
    assert statuses.count(PriorStatus.done) == 7
    assert statuses.count(PriorStatus.partly_done) == 19
    assert statuses.count(PriorStatus.open) == 18
    source = "Báo cáo số 184/BC-UBND ngày 07/8/2018 của UBND tỉnh Quảng Ngãi"
    for action in spec.actions:
        assert action.ref, action.id
        if action.status != PriorStatus.open:
            assert (action.as_of, action.source) == (date(2018, 8, 7), source), action.id
    assert len({a.ref for a in spec.actions}) == len(spec.actions)
    by_id = {a.id: a for a in spec.actions}
    assert by_id["ly-son-chu-ky-so"].ref == "II.2.2" and by_id["ubnd-tinh-trao-doi-van-ban"].ref == "III.3"
    assert by_id["nghia-hanh-thu-cong-vu"].status == PriorStatus.done
    # assumed due dates (the report names no time) are marked; dates the report itself plans are not
    assert sum(a.due_assumed for a in spec.actions) == 34
    assert not by_id["so-vhttdl-tom-luoc"].due_assumed and by_id["so-vhttdl-tom-luoc"].due == date(2018, 8, 31)
    assert by_id["vp-ubnd-cong-khuyet-tat"].due_assumed


def test_ho_so_quang_ngai_co_du_thong_tin_cho_van_ban_don_doc() -> None:
    spec = load_spec(EXAMPLES / "quang-ngai-312-KL-Ttra.yaml")
    assert spec.agency_head_title == "Chủ tịch UBND tỉnh Quảng Ngãi"
    assert spec.signer is not None and (spec.signer.title, spec.signer.name) == ("Chánh Thanh tra", "")
    assert spec.place == "Hà Nội" and spec.tracking_body == "Thanh tra Bộ Thông tin và Truyền thông"
    titles = {u.code: u.head_title for u in spec.units}
    assert titles["ly-son"] == "Chủ tịch UBND huyện Lý Sơn"
    assert titles["so-xd"] == "Giám đốc Sở Xây dựng tỉnh Quảng Ngãi"
    assert titles["van-phong-ubnd"] == "Chánh Văn phòng UBND tỉnh Quảng Ngãi"
    assert all(titles.values())
    supervisors = {u.code: u.supervisor_title for u in spec.units}
    assert supervisors["ly-son"] == "Chủ tịch UBND tỉnh Quảng Ngãi"
    assert supervisors["ubnd-tinh"] == "Bộ trưởng Bộ Thông tin và Truyền thông"
    for unit in spec.units:  # report 184 covers every unit, section by section
        assert unit.report_received is not None
        assert unit.report_received.on == date(2018, 8, 7)
        assert unit.report_received.document.startswith("Báo cáo số 184/BC-UBND ngày 07/8/2018")


def test_ho_so_nam_dinh_co_chuc_danh_va_han_gia_dinh() -> None:
    spec = load_spec(EXAMPLES / "nam-dinh-STTTT-2021.yaml")
    assert spec.agency_head_title == "Giám đốc Sở Thông tin và Truyền thông tỉnh Nam Định"
    assert spec.place == "Nam Định" and spec.signer is not None and spec.signer.title == "Chánh Thanh tra"
    assert [u.head_title for u in spec.units] == [
        "Trưởng phòng Thông tin, Báo chí và Xuất bản",
        "Giám đốc Trung tâm Công nghệ thông tin và Truyền thông",
    ]
    assert all(a.due_assumed for a in spec.actions)  # the conclusion sets no due date at all
    assert spec.report_due_assumed  # nor a deadline for the follow-up report
    assert [a.ref for a in spec.actions] == ["III.2.1-1", "III.2.1-2", "III.2.1-3", "III.2.1-1", "III.2.1-4"]


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
            "actions[1].due_in.days",
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
        pytest.param(  # 23:30 on 01/06 in Vietnam, whatever offset the moment is written in
            lambda d: d["actions"][1].update(due="2025-06-01T16:30:00+00:00"),
            "actions[1].due",
            "hạn 01/06/2025 trước ngày ban hành 02/06/2025",
            id="thoi-diem-utc-la-ngay-truoc-o-viet-nam",
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
        # ---- what was done before registration, and what letters need
        pytest.param(
            lambda d: d["actions"][1].update(status="done", source="Báo cáo số 7/BC-UBND"),
            "actions[1].as_of",
            "cần ngày xác nhận tình trạng khi status là done hoặc partly_done",
            id="da-xong-thieu-ngay-xac-nhan",
        ),
        pytest.param(
            lambda d: d["actions"][1].update(status="partly_done", as_of="2025-07-01"),
            "actions[1].source",
            "cần nêu văn bản nguồn xác nhận tình trạng",
            id="mot-phan-thieu-nguon",
        ),
        pytest.param(
            lambda d: d["actions"][1].update(status="done", as_of="2025-07-01", source="   "),
            "actions[1].source",
            "không được để trống",
            id="nguon-trong",
        ),
        pytest.param(
            lambda d: d["actions"][1].update(status="done", as_of="2025-05-30", source="Báo cáo số 7/BC-UBND"),
            "actions[1].as_of",
            "ngày xác nhận tình trạng 30/05/2025 trước ngày ban hành 02/06/2025",
            id="ngay-xac-nhan-truoc-ngay-ban-hanh",
        ),
        pytest.param(
            lambda d: d["actions"][1].update(status="done", as_of="2205-07-01", source="Báo cáo số 7/BC-UBND"),
            "actions[1].as_of",
            "ngày phải trong khoảng năm 1990–2100",
            id="ngay-xac-nhan-qua-xa",
        ),
        pytest.param(
            lambda d: d["actions"][1].update(as_of="07/8/2025"),
            "actions[1].as_of",
            "không đọc được ngày (định dạng YYYY-MM-DD)",
            id="ngay-xac-nhan-sai-dinh-dang",
        ),
        pytest.param(
            lambda d: d["actions"][1].update(status="xong"),
            "actions[1].status",
            "giá trị 'xong' không tồn tại; chọn một trong: 'open', 'done', 'partly_done'",
            id="tinh-trang-khong-ton-tai",
        ),
        pytest.param(
            lambda d: d["actions"][0].update(status="done", as_of="2025-07-01", source="B" * 301),
            "actions[0].source",
            "quá dài (tối đa 300 ký tự)",
            id="nguon-qua-dai",
        ),
        pytest.param(
            lambda d: d["actions"][0].update(ref="2.1." + "a" * 29),
            "actions[0].ref",
            "quá dài (tối đa 32 ký tự)",
            id="so-muc-qua-dai",
        ),
        pytest.param(
            lambda d: d["actions"][0].update(ref="  "), "actions[0].ref", "không được để trống", id="so-muc-trong"
        ),
        pytest.param(
            lambda d: d["actions"][0].update(due_assumed="có lẽ"),
            "actions[0].due_assumed",
            "phải là true hoặc false",
            id="han-gia-dinh-khong-phai-bool",
        ),
        pytest.param(
            lambda d: d["units"][0].update(report_received={"on": "2025-05-31", "document": "Báo cáo số 7/BC-UBND"}),
            "units[0].report_received.on",
            "ngày nhận báo cáo 31/05/2025 trước ngày ban hành 02/06/2025",
            id="nhan-bao-cao-truoc-ngay-ban-hanh",
        ),
        pytest.param(
            lambda d: d["units"][0].update(report_received={"on": "2025-07-01"}),
            "units[0].report_received.document",
            "thiếu trường bắt buộc",
            id="bao-cao-da-nhan-thieu-so-hieu",
        ),
        pytest.param(
            lambda d: d["units"][1].update(report_received={"on": "2025-07-01", "document": "BC 7", "ngay_nhan": "x"}),
            "units[1].report_received.ngay_nhan",
            "trường không được hỗ trợ",
            id="bao-cao-da-nhan-truong-la",
        ),
        pytest.param(
            lambda d: d["units"][0].update(head_title="Chủ tịch " * 30),
            "units[0].head_title",
            "quá dài (tối đa 200 ký tự)",
            id="chuc-danh-thu-truong-qua-dai",
        ),
        pytest.param(
            lambda d: d.update(agency_head_title=""), "agency_head_title", "không được để trống", id="chuc-danh-trong"
        ),
        pytest.param(
            lambda d: d.update(signer={"name": "Nguyễn Văn A"}),
            "signer.title",
            "thiếu trường bắt buộc",
            id="nguoi-ky-thieu-chuc-danh",
        ),
        pytest.param(
            lambda d: d.update(signer={"title": "Chánh Thanh tra", "chuc_vu": "x"}),
            "signer.chuc_vu",
            "trường không được hỗ trợ",
            id="nguoi-ky-truong-la",
        ),
        pytest.param(
            lambda d: d.update(signer="Chánh Thanh tra"),
            "signer",
            "phải là một nhóm trường",
            id="nguoi-ky-khong-phai-nhom-truong",
        ),
        pytest.param(
            lambda d: d.update(letter_symbol="TTr NV"),
            "letter_symbol",
            "ký hiệu văn bản là phần sau dấu '/', không có dấu '/' hay khoảng trắng",
            id="ky-hieu-co-khoang-trang",
        ),
        pytest.param(
            lambda d: d.update(letter_symbol="15/KL-TTr"),
            "letter_symbol",
            "không có dấu '/'",
            id="ky-hieu-co-ca-so",
        ),
        pytest.param(lambda d: d.update(place=" "), "place", "không được để trống", id="dia-danh-trong"),
        pytest.param(
            lambda d: d.update(inspectorate_parent="X" * 201),
            "inspectorate_parent",
            "quá dài (tối đa 200 ký tự)",
            id="co-quan-chu-quan-qua-dai",
        ),
    ],
)
def test_ho_so_sai_bao_loi_tieng_viet_neu_dung_truong(mutate: Mutation, field: str, fragment: str) -> None:
    problems = problems_of(mutated(mutate))
    matching = [p for p in problems if p.startswith(f"{field}: ")]
    assert matching, f"no problem names {field!r}: {problems}"
    assert any(fragment in p for p in matching), problems


# ---------------------------------------------------------------- prior status, references and letter fields


def test_truong_moi_deu_khong_bat_buoc_va_co_mac_dinh() -> None:
    spec = parse_spec(spec_dict())
    action, unit = spec.actions[0], spec.units[0]
    assert (action.ref, action.status, action.as_of, action.source, action.due_assumed) == (
        None,
        PriorStatus.open,
        None,
        None,
        False,
    )
    assert (unit.head_title, unit.report_received) == (None, None)
    assert (spec.agency_head_title, spec.signer, spec.place, spec.letter_symbol, spec.inspectorate_parent) == (
        None,
        None,
        None,
        None,
        None,
    )


def test_tinh_trang_so_muc_va_han_gia_dinh_duoc_nhan() -> None:
    def prior(d: dict[str, Any]) -> None:
        d["actions"][0].update(
            ref="  2.1.a ",
            status="partly_done",
            as_of="2025-08-07",
            source=" Báo cáo số 184/BC-UBND ngày 07/8/2025 ",
            due_assumed=True,
        )
        d["actions"][1].update(ref="III.2", status="done", as_of="2025-06-02", source="Công văn số 5/UBND")
        d["actions"][2].update(ref="a)", status="open", as_of="2025-08-07", source="Báo cáo số 184/BC-UBND")

    spec = parse_spec(mutated(prior))
    first, second, third = spec.actions
    assert first.ref == "2.1.a" and first.status == PriorStatus.partly_done and first.due_assumed
    assert first.as_of == date(2025, 8, 7) and first.source == "Báo cáo số 184/BC-UBND ngày 07/8/2025"
    assert (second.ref, second.status, second.as_of) == ("III.2", PriorStatus.done, ISSUED)  # the issue day is fine
    assert (third.ref, third.status) == ("a)", PriorStatus.open)  # open may still say as of when and from what
    assert len(parse_spec(mutated(lambda d: d["actions"][0].update(ref="x" * 32))).actions[0].ref or "") == 32


def test_da_xong_thieu_ca_ngay_va_nguon_bao_hai_loi() -> None:
    problems = problems_of(mutated(lambda d: d["actions"][3 - 1].update(status="done")))
    assert problems == [
        "actions[2].as_of: cần ngày xác nhận tình trạng khi status là done hoặc partly_done",
        "actions[2].source: cần nêu văn bản nguồn xác nhận tình trạng (ví dụ báo cáo của đơn vị) khi status là done "
        "hoặc partly_done",
    ]


def test_kien_nghi_them_sau_cung_phai_co_ngay_va_nguon_khi_da_xong() -> None:
    # AddAction validates an ActionSpec alone, without the conclusion around it
    with pytest.raises(ValidationError) as caught:
        ActionSpec.model_validate(action_dict("a-9", "phong-a", status="done"))
    assert {error["loc"] for error in caught.value.errors()} == {("as_of",), ("source",)}
    ok = ActionSpec.model_validate(action_dict("a-9", "phong-a", status="done", as_of="2025-07-01", source="BC 7"))
    assert ok.status == PriorStatus.done


def test_bao_cao_da_nhan_chuc_danh_va_thong_tin_van_ban_duoc_nhan() -> None:
    def letter(d: dict[str, Any]) -> None:
        d["units"][0].update(
            head_title=" Chủ tịch UBND huyện Lý Sơn ",
            report_received={"on": "2025-08-07", "document": "Báo cáo số 184/BC-UBND ngày 07/8/2025"},
        )
        d["units"][1].update(head_title="Giám đốc Sở Xây dựng")
        d.update(
            agency_head_title="Chủ tịch UBND tỉnh Quảng Ngãi",
            signer={"title": "Phó Chánh Thanh tra", "name": "Nguyễn Văn A", "acting_for": "KT. CHÁNH THANH TRA"},
            place="Quảng Ngãi",
            letter_symbol="TTr-NV",
            inspectorate_parent="UBND TỈNH QUẢNG NGÃI",
        )

    spec = parse_spec(mutated(letter))
    assert spec.units[0].head_title == "Chủ tịch UBND huyện Lý Sơn"
    assert spec.units[0].report_received is not None
    assert spec.units[0].report_received.on == date(2025, 8, 7)
    assert spec.units[0].report_received.document == "Báo cáo số 184/BC-UBND ngày 07/8/2025"
    assert spec.units[1].head_title == "Giám đốc Sở Xây dựng" and spec.units[1].report_received is None
    assert spec.agency_head_title == "Chủ tịch UBND tỉnh Quảng Ngãi"
    assert spec.signer is not None
    assert (spec.signer.title, spec.signer.name, spec.signer.acting_for) == (
        "Phó Chánh Thanh tra",
        "Nguyễn Văn A",
        "KT. CHÁNH THANH TRA",
    )
    assert (spec.place, spec.letter_symbol, spec.inspectorate_parent) == (
        "Quảng Ngãi",
        "TTr-NV",
        "UBND TỈNH QUẢNG NGÃI",
    )


def test_nguoi_ky_chua_biet_ten_chi_can_chuc_danh() -> None:
    spec = parse_spec(spec_dict(signer={"title": "Chánh Thanh tra"}))
    assert spec.signer is not None and (spec.signer.name, spec.signer.acting_for) == ("", None)


@pytest.mark.parametrize("typed", ["/TTr-NV", "  /TTr-NV ", "TTr-NV"])
def test_ky_hieu_chep_ca_dau_gach_cheo_van_duoc_nhan(typed: str) -> None:
    assert parse_spec(spec_dict(letter_symbol=typed)).letter_symbol == "TTr-NV"


def test_khoa_on_khong_dat_trong_ngoac_trong_yaml_van_doc_duoc(tmp_path: Path) -> None:
    # YAML 1.1 reads a bare `on:` key as the boolean true
    text = (EXAMPLES / "nam-dinh-STTTT-2021.yaml").read_text(encoding="utf-8")
    block = '    report_received:\n      on: 2021-05-04\n      document: "Báo cáo số 12/BC-TTBCXB"\n'
    text = text.replace("    supervisor: phogiamdoc", block + "    supervisor: phogiamdoc", 1)
    spec = load_spec(write(tmp_path, "kl.yaml", text))
    assert spec.units[0].report_received is not None
    assert spec.units[0].report_received.on == date(2021, 5, 4)


def test_truong_moi_giu_nguyen_qua_json() -> None:
    # the spec travels as JSON into the workflow: every new field comes back as it went
    def everything(d: dict[str, Any]) -> None:
        d["actions"][0].update(ref="2.1.a", status="done", as_of="2025-07-01", source="BC 7", due_assumed=True)
        d["units"][0].update(head_title="Trưởng phòng A", report_received={"on": "2025-07-01", "document": "BC 7"})
        d.update(signer={"title": "Chánh Thanh tra"}, place="Hà Nội", letter_symbol="TTr", inspectorate_parent="X")

    spec = parse_spec(mutated(everything))
    assert parse_spec(json.loads(spec.model_dump_json())) == spec


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
    assert caught.value.problems[0].startswith("tệp sai cú pháp JSON ở dòng 1, cột 24")


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


def test_thoi_diem_viet_theo_utc_la_ngay_ban_hanh_o_viet_nam_thi_hop_le() -> None:
    """00:30 on 02/06 in Vietnam (17:30 UTC on 01/06) is the issued day itself, not the day before."""
    data = spec_dict()
    data["actions"][1]["due"] = "2025-06-01T17:30:00+00:00"
    data["units"][0]["report_due"] = "2025-06-01T17:30:00+00:00"
    spec = parse_spec(data)
    assert spec.issued_on.isoformat() == "2025-06-02"
