"""Specification of what the read model receives after a change (workflows/rules/projection.py): the rows the change
touched, found from the audit events it added; never the whole state, and never one payload too big for Temporal."""

from __future__ import annotations

from datetime import date

from models import commands as c
from models.state import ConclusionState
from tests.rules.factories import (
    NOW,
    STAFF,
    UNIT_A,
    action_dict,
    at,
    do,
    end_of,
    files,
    make_spec,
    make_state,
    send_due,
    submit,
    unit_dict,
)
from workflows.rules import projection, transitions

LATER = at(2025, 6, 10, 9)


def big_state(actions: int = 600) -> ConclusionState:
    units = [
        unit_dict("phong-a", ["a@a.example.vn"], report_due="2025-09-30"),
        unit_dict("phong-b", ["b@b.example.vn"]),
    ]
    specs = [action_dict(f"kn-{i:03d}", "phong-a" if i % 2 else "phong-b", "2025-06-30") for i in range(actions)]
    return make_state(make_spec(units=units, actions=specs))


def last_seq(state: ConclusionState) -> int:
    return state.events[-1].seq


def test_lan_chieu_dau_tien_mang_moi_thu_chia_thanh_goi_250_kien_nghi() -> None:
    state = big_state(600)
    submit(state, "kn-007", NOW)
    payloads = projection.changes(state, 0, NOW)
    assert [len(p.actions) for p in payloads] == [250, 250, 100]
    assert [a.id for p in payloads for a in p.actions] == list(state.actions)  # each once, in order
    assert all(p.header == payloads[0].header for p in payloads)
    header = payloads[0].header
    assert (header.action_count, header.unit_count, header.open_actions, header.version) == (600, 2, 600, state.version)
    assert header.next_deadline == end_of(2025, 6, 30)
    # the submissions travel with their actions; units, reports and events once, with the last payload
    assert [e.id for p in payloads for e in p.evidence] == ["ev-1"]
    assert payloads[0].evidence[0].action_id == "kn-007"
    assert all(p.units == [] and p.events == [] for p in payloads[:-1])
    assert {u.code for u in payloads[-1].units} == {"phong-a", "phong-b"}
    assert [e.seq for e in payloads[-1].events] == [e.seq for e in state.events]


def test_sau_mot_lan_nop_minh_chung_chi_mang_kien_nghi_do() -> None:
    state = big_state(600)
    since = last_seq(state)
    submit(state, "kn-123", LATER)
    (payload,) = projection.changes(state, since, LATER)
    assert [a.id for a in payload.actions] == ["kn-123"]
    assert [e.id for e in payload.evidence] == ["ev-1"]
    assert (payload.units, payload.reports, payload.extension_requests) == ([], [], [])
    assert [(e.kind, e.target) for e in payload.events] == [("evidence_submitted", "kn-123")]
    assert payload.header.version == state.version


def test_khong_co_thay_doi_thi_chi_mang_phan_dau() -> None:
    state = make_state()
    (payload,) = projection.changes(state, last_seq(state), at(2025, 7, 1, 8))
    assert (payload.actions, payload.units, payload.events) == ([], [], [])
    assert payload.header.overdue_actions == 2  # the overdue flags move with time alone


def test_van_ban_da_gui_mang_don_vi_va_moi_noi_dung_trong_van_ban() -> None:
    state = make_state()
    since = last_seq(state)
    send_due(state, at(2025, 7, 1, 8))  # overdue letters: phong-a (a-1), phong-b (b-1)
    (payload,) = projection.changes(state, since, at(2025, 7, 1, 8))
    assert sorted(a.id for a in payload.actions) == ["a-1", "b-1"]
    assert sorted(u.code for u in payload.units) == ["phong-a", "phong-b"]
    assert {e.kind for e in payload.events} == {"notification_sent"}


def test_bao_cao_va_gia_han_mang_dung_dong_cua_chung() -> None:
    state = make_state()
    since = last_seq(state)
    do(state, c.SubmitReport(actor=UNIT_A, unit="phong-b", files=files()), LATER)
    do(state, c.RequestExtension(actor=UNIT_A, action_id="a-2", requested_due=date(2025, 8, 29), reason="x"), LATER)
    (payload,) = projection.changes(state, since, LATER)
    assert [u.code for u in payload.units] == ["phong-b"]
    assert [r.unit for r in payload.reports] == ["phong-b"]
    assert [a.id for a in payload.actions] == ["a-2"]
    assert [r.action_id for r in payload.extension_requests] == ["a-2"]


def test_da_quen_nhat_ky_da_chieu_van_chieu_duoc_thay_doi_sau() -> None:
    state = make_state()
    for i in range(transitions.KEEP_EVENTS + 20):
        do(state, c.ChangeUnitContacts(actor=STAFF, unit="phong-a", contacts=[f"x{i}@x.vn"]), LATER)
    since = last_seq(state)
    transitions.forget_projected(state, since)
    submit(state, "b-1", LATER)
    (payload,) = projection.changes(state, since, LATER)
    assert [a.id for a in payload.actions] == ["b-1"]
    assert [e.seq for e in payload.events] == [since + 1]
