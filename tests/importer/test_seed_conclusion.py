"""Seed 000 (a draft copy of a conclusion of Sở TT&TT Nam Định) read into a draft: every field with where it came
from, and the warnings a person must see before starting its follow-up."""

from __future__ import annotations

from collections import Counter

import pytest

from dondoc.importer import ConclusionDraft, DeadlinePolicy, WarningCode, import_conclusion
from models.spec import ActionKind
from tests.importer.documents import seed


@pytest.fixture(scope="module")
def draft() -> ConclusionDraft:
    path = seed("000")
    return import_conclusion(path.name, path.read_bytes(), DeadlinePolicy(days=45)).draft


def test_the_header_is_read_with_where_each_field_came_from(draft: ConclusionDraft) -> None:
    assert draft.number is not None and draft.number.value == "/KL-STTTT"
    assert draft.number.place.paragraph == 1 and draft.number.place.excerpt == "Số: /KL-STTTT"
    assert draft.issued_on is None  # the day is blank
    assert draft.place_name is not None and draft.place_name.value == "Nam Định"
    assert draft.issuer is not None and draft.issuer.value == "Sở Thông tin và Truyền thông"
    assert "kết luận như sau" in draft.issuer.place.excerpt
    assert draft.title is not None and draft.title.value.startswith("Thanh tra trách nhiệm của đơn vị, cán bộ")
    assert draft.title.value.endswith("công tác phòng, chống tham nhũng")
    assert draft.decision is not None and draft.decision.value == "Quyết định số 123/QĐ-STTTT ngày 24/2/2021"


def test_the_inspected_units_with_the_short_names_the_document_defines(draft: ConclusionDraft) -> None:
    inspected = [u for u in draft.units if u.inspected]
    assert [u.name for u in inspected] == [
        "Phòng Thông tin, Báo chí và Xuất bản",
        "Trung tâm Công nghệ thông tin và Truyền thông",
    ]
    assert "Phòng TT,BC&XB" in inspected[0].aliases
    assert "Trung tâm CNTT&TT" in inspected[1].aliases
    assert [u.code for u in inspected] == ["phong-tt-bc-xb", "trung-tam-cntt-tt"]


def test_each_action_with_its_unit_and_its_number_in_the_document(draft: ConclusionDraft) -> None:
    by_ref = Counter(a.ref for a in draft.actions)
    # the three "-" under 2.1 go to both units point 2.1 names; the fourth names its own unit
    assert by_ref == {"2.1-1": 2, "2.1-2": 2, "2.1-3": 2, "2.1-4": 1, "2.2-2": 1}
    fourth = next(a for a in draft.actions if a.ref == "2.1-4")
    assert fourth.unit == "trung-tam-cntt-tt"
    assert fourth.text.startswith("Trung tâm CNTT&TT phối hợp với Văn phòng Sở")
    first = [a for a in draft.actions if a.ref == "2.1-1"]
    assert {a.unit for a in first} == {"phong-buu-chinh-vien-thong", "phong-cong-nghe-thong-tin"}
    assert all(a.addressee == "phòng Bưu chính Viễn thông và phòng Công nghệ thông tin" for a in first)
    assert all(a.kind == ActionKind.remedy for a in draft.actions)
    # no deadline stated and the day blank: the policy default, counted from the day staff will enter, assumed
    assert all(a.due is None and a.due_in_days == 45 and a.due_assumed for a in draft.actions)
    assert len({a.id for a in draft.actions}) == len(draft.actions)
    assert first[0].place.excerpt.startswith("- Tiếp tục duy trì")


def test_the_follow_up_body_recipients_and_signer(draft: ConclusionDraft) -> None:
    assert draft.tracking_body is not None and draft.tracking_body.value == "Thanh tra Sở"
    assert draft.tracking_body.place.excerpt.startswith("- Theo dõi, đôn đốc")
    assert [r.value for r in draft.recipients] == [
        "Thanh tra tỉnh",
        "Phòng TT,BC&XB",
        "Trung tâm CNTT&TT",
        "Website Sở",
    ]
    assert draft.signer_title is not None and draft.signer_title.value == "Giám đốc"
    assert draft.signer_name is not None and draft.signer_name.value == "Vũ Trọng Quế"
    assert draft.signer_acting_for is None


def test_warnings_blank_number_and_day_wrong_units_and_a_unit_left_without_action(draft: ConclusionDraft) -> None:
    codes = Counter(w.code for w in draft.warnings)
    assert codes == {
        WarningCode.blank_number: 1,
        WarningCode.blank_day: 1,
        WarningCode.unit_not_inspected: 3,
        WarningCode.unit_without_action: 1,
        WarningCode.assumed_due: 1,
    }
    outsiders = [w for w in draft.warnings if w.code == WarningCode.unit_not_inspected]
    assert "Phòng Bưu chính Viễn thông" in outsiders[0].message and "2.1-1, 2.1-2, 2.1-3" in outsiders[0].message
    assert "Phòng Công nghệ thông tin" in outsiders[1].message
    assert "Thanh tra Sở" in outsiders[2].message and "theo dõi, đôn đốc" in outsiders[2].message
    alone = next(w for w in draft.warnings if w.code == WarningCode.unit_without_action)
    assert "Phòng Thông tin, Báo chí và Xuất bản" in alone.message
    blank_day = next(w for w in draft.warnings if w.code == WarningCode.blank_day)
    assert blank_day.place is not None and blank_day.place.paragraph == 2


def test_the_spec_shape_leaves_out_what_the_document_cannot_tell(draft: ConclusionDraft) -> None:
    data = draft.spec_data()
    assert data["number"] == "/KL-STTTT" and "issued_on" not in data
    assert data["place"] == "Nam Định"
    assert [u["code"] for u in data["units"]][:2] == ["phong-tt-bc-xb", "trung-tam-cntt-tt"]
    assert all("contacts" not in u for u in data["units"])
    assert all(a["due_in"] == {"days": 45, "working": False} and a["due_assumed"] for a in data["actions"])
