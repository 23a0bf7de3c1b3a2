"""The read-model projection on SQLite and PostgreSQL: it receives what changed, never the whole state.

The first projection of a conclusion carries every row, in parts small enough for Temporal's payload limit; later
ones carry only the rows a change touched and the new audit events. Rows match the state, versions never go
backwards, events are never duplicated, and overdue flags follow the workflow's clock without any change.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import delete, event, func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel, col, select
from structlog.testing import capture_logs
from temporalio.testing import ActivityEnvironment

from activities import projection as projection_activity
from activities.projection import project
from models import commands as c
from models.spec import ConclusionSpec
from models.state import ActionStatus, ConclusionState, Evidence, NotificationStatus, ReviewStatus
from models.tables import (
    ActionRow,
    AuditEventRow,
    ConclusionRow,
    EvidenceRow,
    ExtensionRequestRow,
    NotificationRow,
    ReportRow,
    UnitRow,
)
from models.workflow_io import ProjectionInput
from tests.activities.states import (
    LY_SON,
    OVERDUE_AT,
    RECOVER_AMOUNT,
    RECOVER_ID,
    RECOVER_REF,
    STAFF,
    START,
    WID,
    History,
    applied,
    at,
    history,
    letter,
    outbox_copy,
    pdf,
    quang_ngai_spec,
    settle,
    started,
)
from workflows.rules import projection
from workflows.rules.projection import ROWS_PER_PROJECTION

LATE = at(2018, 10, 5, 10)  # most actions fell due at the end of 01/10/2018
TABLES: tuple[type[SQLModel], ...] = (UnitRow, ActionRow, EvidenceRow, ReportRow, ExtensionRequestRow, AuditEventRow)
PAYLOAD_LIMIT = 2 * 1024 * 1024  # Temporal's limit per payload


@pytest.fixture(scope="module")
def follow_up() -> History:
    return history()


T = TypeVar("T", bound=SQLModel)


def rows(engine: Engine, table: type[T], workflow_id: str = WID) -> list[T]:
    with Session(engine) as session:
        column = col(table.workflow_id)  # type: ignore[attr-defined]
        return list(session.exec(select(table).where(column == workflow_id)).all())


def conclusion(engine: Engine, workflow_id: str = WID) -> ConclusionRow:
    with Session(engine) as session:
        row = session.get(ConclusionRow, workflow_id)
    assert row is not None
    return row


def by(items: list[Any], attr: str) -> dict[str, Any]:
    return {getattr(i, attr): i for i in items}


def snapshot(engine: Engine, workflow_id: str = WID) -> dict[str, Any]:
    """Everything SQL holds about a conclusion (but when it was last written), to compare."""
    out: dict[str, Any] = {"conclusion": conclusion(engine, workflow_id).model_dump(exclude={"projected_at"})}
    for table in TABLES:
        dumped = [r.model_dump() for r in rows(engine, table, workflow_id)]
        out[table.__name__] = sorted(dumped, key=repr)
    return out


def last_seq(state: ConclusionState) -> int:
    return state.events[-1].seq


def whole(engine: Engine, state: ConclusionState, now: datetime) -> list[bool]:
    """The first projection of `state`: every part of it, in order."""
    return [project(engine, part) for part in projection.changes(state, 0, now)]


def delta(state: ConclusionState, since: ConclusionState, now: datetime) -> ProjectionInput:
    """The one projection bringing SQL from `since` (projected) to `state`."""
    (payload,) = projection.changes(state, last_seq(since), now)
    return payload


def assert_same_instant(stored: datetime | None, expected: datetime | None) -> None:
    """Stored times come back aware (UTC) and denote the same instant as the state's."""
    if expected is None:
        assert stored is None
        return
    assert stored is not None
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
    assert stored == expected


def expected_overdue(state: ConclusionState, now: datetime) -> set[str]:
    return {
        a.id
        for a in state.actions.values()
        if a.status in (ActionStatus.open, ActionStatus.evidence_submitted) and a.due < now
    }


def large_spec(count: int, repeat: int = 3) -> ConclusionSpec:
    """The example with `count` actions spread over its units, each text `repeat` times the example's (three
    times: ~550 characters, a long paragraph)."""
    spec = quang_ngai_spec()
    base = spec.actions
    actions = [
        base[i % len(base)].model_copy(
            update={
                "id": f"kien-nghi-{i:04d}",
                "ref": f"IV.{i}",
                "text": " ".join([base[i % len(base)].text] * repeat),
            }
        )
        for i in range(count)
    ]
    return spec.model_copy(update={"actions": actions})


# ---------------------------------------------------------------- rows match the state


def test_conclusion_row_matches_the_state(engine: Engine, follow_up: History) -> None:
    state = follow_up.last
    before = datetime.now(UTC)

    assert whole(engine, state, LATE) == [True]

    row = conclusion(engine)
    assert row.number == "312/KL-Ttra"
    assert (row.issued_on, row.received_on) == (state.issued_on, state.received_on)
    assert row.issuer == row.tracking_body == "Thanh tra Bộ Thông tin và Truyền thông"
    assert row.title == state.title
    assert (row.inspectorate_head, row.agency_head) == (state.inspectorate_head, state.agency_head)
    assert (row.status, row.status_reason, row.closed_at) == ("active", None, None)
    assert row.unit_count == 9
    assert row.action_count == 45  # 44 in the example + the recovery action added
    assert row.open_actions == 35  # 34 open + 1 with evidence awaiting review
    assert row.overdue_actions == 27 == len(expected_overdue(state, LATE))
    assert row.version == state.version == 26
    assert_same_instant(row.as_of, LATE)
    # the earliest unresolved deadline after now: the extended one (28/12/2018, end of day)
    assert_same_instant(row.next_deadline, state.actions["ly-son-thu-cong-vu"].due)
    assert row.next_deadline == datetime(2018, 12, 28, 16, 59, 59, tzinfo=UTC)
    assert row.projected_at is not None and row.projected_at >= before - timedelta(seconds=1)


def test_units_match_the_state(engine: Engine, follow_up: History) -> None:
    state = follow_up.last.model_copy(deep=True)
    state.units["tra-bong"].due_assumed = True  # its report deadline an assumption: SQL says so
    whole(engine, state, LATE)

    units = by(rows(engine, UnitRow), "code")
    assert set(units) == set(state.units)
    for code, unit in state.units.items():
        row = units[code]
        assert row.name == unit.name
        assert row.contacts == unit.contacts
        assert (row.head, row.head_title, row.supervisor) == (unit.head, unit.head_title, unit.supervisor)
        assert row.report_status == unit.report_status.value
        assert_same_instant(row.report_due, unit.due)
        assert row.report_due_assumed == unit.due_is_assumed
    assert units["tra-bong"].report_due_assumed and not units["ly-son"].report_due_assumed
    assert units["ly-son"].name == "UBND huyện Lý Sơn"
    assert units["ly-son"].head_title == "Chủ tịch UBND huyện Lý Sơn"
    assert units["ly-son"].report_status == "accepted"
    assert units["nghia-hanh"].report_status == "returned"
    assert units["nghia-hanh"].report_last_step == "overdue"
    assert units["van-phong-ubnd"].report_status == "submitted"
    assert units["van-phong-ubnd"].report_last_step is None
    assert units["tra-bong"].contacts == ["vanthu@trabong.example.vn"]
    assert units["tra-bong"].head == "pct@trabong.example.vn"
    assert units["ubnd-tinh"].contacts == ["vanthu@vpubnd.quangngai.example.vn", "vanphong@stttt.quangngai.example.vn"]


def test_actions_match_the_state(engine: Engine, follow_up: History) -> None:
    state = follow_up.last
    whole(engine, state, LATE)

    actions = by(rows(engine, ActionRow), "action_id")
    assert set(actions) == set(state.actions)
    for action_id, action in state.actions.items():
        row = actions[action_id]
        assert (row.unit, row.ref, row.kind, row.text) == (action.unit, action.ref, action.kind.value, action.text)
        assert (row.status, row.status_reason, row.progress) == (
            action.status.value,
            action.status_reason,
            action.progress,
        )
        assert_same_instant(row.due, action.due)
        assert_same_instant(row.original_due, action.original_due)
        assert_same_instant(row.resolved_at, action.resolved_at)
        assert (row.due_version, row.due_assumed) == (action.due_version, action.due_is_assumed)
        assert row.amount_vnd == action.amount_vnd
    extended = state.actions["ly-son-thu-cong-vu"]  # assumed in the spec, then extended by staff: stated now
    assert extended.due_assumed and extended.due_version == 2 and not actions[extended.id].due_assumed
    statuses = {a: r.status for a, r in actions.items() if r.status != "open"}
    assert statuses == {
        RECOVER_ID: "done",
        "ly-son-eoffice": "evidence_submitted",
        "tra-bong-thu-cong-vu": "waived",
        "so-xd-dvctt": "transferred",
        # done before registration, as Báo cáo 184/BC-UBND says
        "nghia-hanh-thu-cong-vu": "done",
        "tra-bong-cong-ttdt": "done",
        "so-gtvt-cong-cau-truc": "done",
        "so-gtvt-eoffice": "done",
        "so-xd-cong-ttdt": "done",
        "so-xd-van-ban-dien-tu": "done",
        "ubnd-tinh-trao-doi-van-ban": "done",
    }
    assert actions["tra-bong-thu-cong-vu"].status_reason == "Nội dung trùng kiến nghị khác"
    eoffice = actions["ly-son-eoffice"]
    assert (eoffice.ref, eoffice.due_assumed) == ("II.2.1.c", True)
    assert eoffice.progress is not None and eoffice.progress.startswith("Đã thực hiện một phần")
    assert (actions["nghia-hanh-moi-truong"].ref, actions["nghia-hanh-moi-truong"].due_assumed) == ("II.3.a-2", False)
    extended = actions["ly-son-thu-cong-vu"]
    assert extended.due_version == 2
    assert extended.original_due == datetime(2018, 10, 1, 16, 59, 59, tzinfo=UTC)  # 23:59:59 in Hà Nội
    assert extended.due == datetime(2018, 12, 28, 16, 59, 59, tzinfo=UTC)
    recover = actions[RECOVER_ID]
    assert (recover.ref, recover.kind, recover.amount_vnd) == (RECOVER_REF, "recover", RECOVER_AMOUNT)
    assert recover.resolved_at == at(2018, 8, 17)


@pytest.mark.parametrize(
    ("now", "overdue_ids"),
    [
        pytest.param(at(2018, 8, 20), set(), id="before-any-due"),
        pytest.param(at(2018, 9, 5), {"so-vhttdl-tom-luoc"}, id="after-31-08"),
        pytest.param(at(2018, 10, 2, 0, 0), "all-of-01-10", id="just-after-01-10"),
        pytest.param(LATE, "all-of-01-10", id="days-later"),
    ],
)
def test_overdue_flags_and_count_at_now(
    engine: Engine, follow_up: History, now: datetime, overdue_ids: set[str] | str
) -> None:
    state = follow_up.last
    expected = expected_overdue(state, now) if isinstance(overdue_ids, str) else overdue_ids
    if isinstance(overdue_ids, str):
        assert len(expected) == 27
        assert "ly-son-eoffice" in expected  # evidence submitted, not yet reviewed: still overdue
        assert "duc-pho-eoffice" in expected  # an extension requested is not an extension granted
        assert not expected & {RECOVER_ID, "tra-bong-thu-cong-vu", "so-xd-dvctt", "ly-son-thu-cong-vu"}

    whole(engine, state, now)

    flagged = {r.action_id for r in rows(engine, ActionRow) if r.overdue}
    assert flagged == expected
    assert conclusion(engine).overdue_actions == len(expected)


def test_a_deadline_is_not_overdue_at_its_own_instant(engine: Engine, follow_up: History) -> None:
    state = follow_up.last
    due = state.actions["so-vhttdl-tom-luoc"].due

    whole(engine, state, due)

    assert conclusion(engine).overdue_actions == 0
    assert not any(r.overdue for r in rows(engine, ActionRow))
    assert_same_instant(conclusion(engine).next_deadline, state.actions["ly-son-eoffice"].due)


def test_recovered_amount_sums_accepted_evidence_only(engine: Engine, follow_up: History) -> None:
    state = follow_up.last
    whole(engine, state, LATE)

    actions = by(rows(engine, ActionRow), "action_id")
    # ev-1 (60 triệu) was rejected, ev-2 (100 triệu) accepted, ev-3 (5 triệu, another action) awaits review
    assert actions[RECOVER_ID].recovered_vnd == 100_000_000
    assert actions["ly-son-eoffice"].recovered_vnd == 0
    assert sum(r.recovered_vnd for r in actions.values()) == 100_000_000


def test_recovered_amount_adds_several_accepted_evidence(engine: Engine, follow_up: History) -> None:
    state = follow_up.last.model_copy(deep=True)
    # e.g. a conclusion imported with two accepted instalments for the same recovery
    state.evidence.append(
        Evidence(
            id="ev-4",
            action_id=RECOVER_ID,
            files=[pdf("gnt-3.pdf")],
            recovered_vnd=50_000_000,
            submitted_by=LY_SON,
            submitted_at=at(2018, 9, 10),
            status=ReviewStatus.accepted,
            reviewed_by=STAFF,
            reviewed_at=at(2018, 9, 11),
        )
    )
    state.version += 1
    whole(engine, state, LATE)

    assert by(rows(engine, ActionRow), "action_id")[RECOVER_ID].recovered_vnd == 150_000_000


def test_evidence_reports_and_extensions_match_the_state(engine: Engine, follow_up: History) -> None:
    state = follow_up.last
    whole(engine, state, LATE)

    evidence = by(rows(engine, EvidenceRow), "evidence_id")
    assert set(evidence) == {"ev-1", "ev-2", "ev-3"}
    for ev in state.evidence:
        row = evidence[ev.id]
        assert (row.action_id, row.status, row.note) == (ev.action_id, ev.status.value, ev.note)
        assert row.files == [f.model_dump() for f in ev.files]
        assert (row.recovered_vnd, row.submitted_by, row.reviewed_by) == (
            ev.recovered_vnd,
            ev.submitted_by,
            ev.reviewed_by,
        )
        assert_same_instant(row.submitted_at, ev.submitted_at)
        assert_same_instant(row.reviewed_at, ev.reviewed_at)
        assert row.reason == ev.reason
    assert [evidence[i].status for i in ("ev-1", "ev-2", "ev-3")] == ["rejected", "accepted", "submitted"]
    assert evidence["ev-1"].reason == "Thiếu giấy nộp tiền vào ngân sách"
    assert [f["name"] for f in evidence["ev-2"].files] == ["gnt-2.pdf", "bang-ke.pdf"]

    reports = by(rows(engine, ReportRow), "report_id")
    assert len(reports) == 9  # Báo cáo 184/BC-UBND, received for every unit before registration
    assert {k: (r.unit, r.status) for k, r in reports.items() if r.status != "submitted"} == {
        "rp-2": ("ly-son", "accepted"),
        "rp-3": ("nghia-hanh", "rejected"),
    }
    for rp in state.reports:
        assert_same_instant(reports[rp.id].submitted_at, rp.submitted_at)
        assert_same_instant(reports[rp.id].reviewed_at, rp.reviewed_at)
        assert reports[rp.id].files == [f.model_dump() for f in rp.files]
        assert reports[rp.id].note == rp.note
    assert reports["rp-3"].reason == "Chưa nêu kết quả từng kiến nghị"
    assert reports["rp-2"].note == "Báo cáo số 184/BC-UBND ngày 07/8/2018 của UBND tỉnh Quảng Ngãi, mục II.2"

    requests = by(rows(engine, ExtensionRequestRow), "request_id")
    assert set(requests) == {"ext-1", "ext-2"}
    approved, pending = requests["ext-1"], requests["ext-2"]
    assert (approved.action_id, approved.status, approved.requested_due) == (
        "ly-son-thu-cong-vu",
        "approved",
        "2018-12-28",
    )
    assert approved.decided_by == STAFF
    assert_same_instant(approved.decided_at, at(2018, 8, 29))
    assert_same_instant(approved.granted_due, state.actions["ly-son-thu-cong-vu"].due)
    assert_same_instant(approved.requested_at, at(2018, 8, 27))
    assert (pending.status, pending.requested_due, pending.decided_at, pending.granted_due) == (
        "requested",
        "2018-11-30",
        None,
        None,
    )
    assert pending.reason == "Đang nâng cấp phần mềm"


def test_audit_events_match_the_state(engine: Engine, follow_up: History) -> None:
    state = follow_up.last
    whole(engine, state, LATE)

    events = sorted(rows(engine, AuditEventRow), key=lambda r: r.seq)
    assert [e.seq for e in events] == list(range(1, 26))
    for row, ev in zip(events, state.events, strict=True):
        assert (row.seq, row.actor, row.kind, row.target, row.message) == (
            ev.seq,
            ev.actor,
            ev.kind,
            ev.target,
            ev.message,
        )
        assert row.data == ev.data
        assert_same_instant(row.at, ev.at)
    kinds = [e.kind for e in events]
    assert kinds[0] == "started" and "notification_sent" in kinds and kinds[-1] == "contacts_changed"
    sent = next(e for e in events if e.kind == "notification_sent")
    assert sent.data == {"key": f"{WID}/nghia-hanh/overdue/1", "items": ["report.nghia-hanh"]}
    approved = next(e for e in events if e.kind == "extension_approved")
    assert approved.data == {"due": state.actions["ly-son-thu-cong-vu"].due.isoformat()}


def test_conclusions_are_projected_independently(engine: Engine, follow_up: History) -> None:
    other = started(workflow_id=f"{WID}-ban-sao")
    whole(engine, follow_up.last, LATE)
    whole(engine, other, LATE)
    newer = applied(follow_up.last, c.WaiveAction(actor=STAFF, action_id="ly-son-chu-ky-so", reason="Trùng"), LATE)
    project(engine, delta(newer, follow_up.last, LATE))

    assert len(rows(engine, ActionRow)) == 45
    assert len(rows(engine, ActionRow, other.workflow_id)) == 44
    assert by(rows(engine, ActionRow, other.workflow_id), "action_id")["ly-son-chu-ky-so"].status == "open"
    assert len(rows(engine, EvidenceRow, other.workflow_id)) == 0
    assert len(rows(engine, AuditEventRow, other.workflow_id)) == 10  # started, 9 reports received
    assert len(rows(engine, AuditEventRow)) == 26
    assert conclusion(engine, other.workflow_id).version == other.version == 10


# ---------------------------------------------------------------- the first projection, in parts


def test_a_large_first_projection_arrives_in_parts_well_under_the_payload_limit(engine: Engine) -> None:
    state = started(spec=large_spec(600))
    assert len(state.actions) == 600

    parts = projection.changes(state, 0, LATE)

    assert [len(p.actions) for p in parts] == [ROWS_PER_PROJECTION, ROWS_PER_PROJECTION, 100]
    sizes = [len(p.model_dump_json().encode()) for p in parts]
    assert max(sizes) < PAYLOAD_LIMIT / 2, sizes
    assert [len(p.units) for p in parts] == [0, 0, 9]  # units, reports and events come with the last part
    assert [len(p.events) for p in parts] == [0, 0, len(state.events)]
    assert [len(p.reports) for p in parts] == [0, 0, 9]
    assert {a for p in parts for a in (x.id for x in p.actions)} == set(state.actions)
    assert all(p.header.version == state.version for p in parts)

    assert project(engine, parts[0]) is True
    assert len(rows(engine, ActionRow)) == ROWS_PER_PROJECTION
    assert [project(engine, p) for p in parts[1:]] == [True, True]  # the same version and time: every part writes

    actions = by(rows(engine, ActionRow), "action_id")
    assert set(actions) == set(state.actions)
    assert actions["kien-nghi-0599"].ref == "IV.599"
    assert actions["kien-nghi-0599"].text == state.actions["kien-nghi-0599"].text
    assert len(rows(engine, UnitRow)) == 9 and len(rows(engine, ReportRow)) == 9
    assert len(rows(engine, AuditEventRow)) == len(state.events)
    row = conclusion(engine)
    assert (row.action_count, row.version) == (600, state.version)
    assert row.overdue_actions == len(expected_overdue(state, LATE)) == sum(r.overdue for r in actions.values())


def test_no_part_of_a_first_projection_nears_the_payload_limit_whatever_the_texts() -> None:
    state = started(spec=large_spec(300, repeat=60))  # ~11 000 characters an item: a few pages each

    parts = projection.changes(state, 0, LATE)

    assert max(len(p.model_dump_json().encode()) for p in parts) < PAYLOAD_LIMIT / 2


def test_a_small_first_projection_is_one_payload_with_everything(follow_up: History) -> None:
    state = follow_up.last

    (payload,) = projection.changes(state, 0, LATE)

    assert {a.id for a in payload.actions} == set(state.actions)
    assert {u.code for u in payload.units} == set(state.units)
    assert [e.id for e in payload.evidence] == ["ev-1", "ev-2", "ev-3"]
    assert len(payload.reports) == 9 and len(payload.extension_requests) == 2
    assert [e.seq for e in payload.events] == [e.seq for e in state.events]


# ---------------------------------------------------------------- later projections: only what changed


def test_an_evidence_submission_projects_only_that_action_its_evidence_and_the_new_event(
    engine: Engine, follow_up: History
) -> None:
    before = follow_up.at_version(15)  # the recovery accepted
    after = follow_up.at_version(16)  # ev-3 submitted for ly-son-eoffice
    whole(engine, before, LATE)
    untouched = snapshot(engine)

    payload = delta(after, before, LATE)

    assert [a.id for a in payload.actions] == ["ly-son-eoffice"]
    assert [e.id for e in payload.evidence] == ["ev-3"]
    assert [(e.seq, e.kind, e.target) for e in payload.events] == [(16, "evidence_submitted", "ly-son-eoffice")]
    assert (payload.units, payload.reports, payload.extension_requests) == ([], [], [])
    assert payload.header.version == 16

    assert project(engine, payload) is True

    now = snapshot(engine)
    action = by(rows(engine, ActionRow), "action_id")["ly-son-eoffice"]
    assert action.status == "evidence_submitted"
    assert by(rows(engine, EvidenceRow), "evidence_id")["ev-3"].recovered_vnd == 5_000_000
    assert sorted(r.seq for r in rows(engine, AuditEventRow)) == list(range(1, 17))
    assert now["conclusion"]["version"] == 16
    assert now["conclusion"]["open_actions"] == untouched["conclusion"]["open_actions"] == 37  # still awaiting review
    # everything else is as it was
    for table in (UnitRow, ReportRow, ExtensionRequestRow):
        assert now[table.__name__] == untouched[table.__name__]
    others = [r for r in now["ActionRow"] if r["action_id"] != "ly-son-eoffice"]
    assert others == [r for r in untouched["ActionRow"] if r["action_id"] != "ly-son-eoffice"]


def test_a_letter_projects_its_unit_and_every_item_it_listed(engine: Engine) -> None:
    state = started()
    whole(engine, state, at(2018, 9, 20, 7))
    before = state.model_copy(deep=True)
    request = letter(state, "ly-son", at(2018, 9, 20, 8))
    settle(state, request, at(2018, 9, 20, 8))

    payload = delta(state, before, at(2018, 9, 20, 8))

    items = [line.target for line in request.items]
    assert items == ["ly-son-eoffice", "ly-son-thu-cong-vu", "ly-son-chu-ky-so"]
    assert sorted(a.id for a in payload.actions) == sorted(items)
    assert [u.code for u in payload.units] == ["ly-son"]
    assert [r.id for r in payload.reports] == ["rp-2"]
    assert [e.kind for e in payload.events] == ["notification_sent"]

    project(engine, payload)

    steps = {r.action_id: r.last_step for r in rows(engine, ActionRow) if r.unit == "ly-son"}
    assert steps == {a: ("reminder" if a in items else None) for a in steps}


def test_projecting_every_change_in_turn_ends_where_the_whole_projection_does(
    engine: Engine, follow_up: History
) -> None:
    states = follow_up.states
    whole(engine, states[0], LATE)
    for earlier, state in itertools.pairwise(states):
        assert project(engine, delta(state, earlier, LATE)) is True
    by_deltas = snapshot(engine)

    with Session(engine) as session:
        for table in (*TABLES, ConclusionRow):
            session.execute(delete(table).where(col(table.workflow_id) == WID))  # type: ignore[arg-type, attr-defined]
        session.commit()
    whole(engine, follow_up.last, LATE)

    assert snapshot(engine) == by_deltas


# ---------------------------------------------------------------- versions


def test_an_older_version_never_overwrites_a_newer_one(engine: Engine, follow_up: History) -> None:
    v12, v13 = follow_up.at_version(12), follow_up.at_version(13)  # ev-1 submitted, then rejected
    whole(engine, follow_up.at_version(11), LATE)
    project(engine, delta(v12, follow_up.at_version(11), LATE))
    assert project(engine, delta(v13, v12, LATE)) is True
    stored = snapshot(engine)

    assert project(engine, delta(v12, follow_up.at_version(11), LATE)) is False  # a late retry of v12
    assert project(engine, delta(v12, follow_up.at_version(11), LATE + timedelta(days=1))) is False  # even seen later
    assert all(project(engine, part) is False for part in projection.changes(follow_up.at_version(11), 0, LATE))

    assert snapshot(engine) == stored
    assert conclusion(engine).version == 13
    assert [(r.evidence_id, r.status) for r in rows(engine, EvidenceRow)] == [("ev-1", "rejected")]
    assert by(rows(engine, ActionRow), "action_id")[RECOVER_ID].status == "open"


def test_a_retried_projection_rewrites_the_same_rows_and_adds_no_event(engine: Engine, follow_up: History) -> None:
    """Parts of one first projection share version and time, so the same payload written again is accepted; it
    upserts the same rows and skips events SQL already holds."""
    before, after = follow_up.at_version(15), follow_up.at_version(16)
    whole(engine, before, LATE)
    payload = delta(after, before, LATE)
    assert project(engine, payload) is True
    stored = snapshot(engine)

    assert project(engine, payload) is True

    assert snapshot(engine) == stored
    assert len(rows(engine, AuditEventRow)) == 16
    assert_same_instant(conclusion(engine).as_of, LATE)


def test_the_same_version_seen_earlier_never_rolls_overdue_flags_back(engine: Engine, follow_up: History) -> None:
    state = follow_up.last
    whole(engine, state, LATE)

    late_retry = projection.changes(state, last_seq(state), at(2018, 9, 5))
    assert [project(engine, part) for part in late_retry] == [False]  # a late attempt of an earlier projection

    assert conclusion(engine).overdue_actions == 27
    assert sum(r.overdue for r in rows(engine, ActionRow)) == 27
    assert_same_instant(conclusion(engine).as_of, LATE)


def test_time_passing_refreshes_overdue_flags_without_any_change(engine: Engine, follow_up: History) -> None:
    """The workflow projects an unchanged state when a deadline passes: a payload with no rows at all, and the
    flags follow the clock in SQL."""
    state = follow_up.last
    whole(engine, state, at(2018, 9, 5))
    assert conclusion(engine).overdue_actions == 1
    assert {r.action_id for r in rows(engine, ActionRow) if r.overdue} == {"so-vhttdl-tom-luoc"}
    assert_same_instant(conclusion(engine).next_deadline, state.actions["ly-son-eoffice"].due)

    (payload,) = projection.changes(state, last_seq(state), LATE)
    assert (payload.units, payload.actions, payload.evidence, payload.reports, payload.events) == ([], [], [], [], [])
    assert project(engine, payload) is True

    assert {r.action_id for r in rows(engine, ActionRow) if r.overdue} == expected_overdue(state, LATE)
    assert conclusion(engine).overdue_actions == 27
    assert_same_instant(conclusion(engine).next_deadline, state.actions["ly-son-thu-cong-vu"].due)
    assert conclusion(engine).version == state.version
    assert len(rows(engine, AuditEventRow)) == len(state.events)


def test_a_withdrawn_conclusion_has_nothing_overdue_and_no_next_deadline(engine: Engine, follow_up: History) -> None:
    whole(engine, follow_up.last, LATE)
    assert sum(r.overdue for r in rows(engine, ActionRow)) == 27
    withdrawn = applied(follow_up.last, c.Withdraw(actor=STAFF, reason="Kết luận bị hủy"), at(2018, 10, 4))

    payload = delta(withdrawn, follow_up.last, LATE)
    assert (payload.actions, [e.kind for e in payload.events]) == ([], ["withdrawn"])
    project(engine, payload)

    row = conclusion(engine)
    assert (row.status, row.status_reason, row.overdue_actions, row.next_deadline) == (
        "withdrawn",
        "Kết luận bị hủy",
        0,
        None,
    )
    assert_same_instant(row.closed_at, at(2018, 10, 4))
    assert not any(r.overdue for r in rows(engine, ActionRow))


def test_re_projecting_events_never_duplicates_them(engine: Engine, follow_up: History) -> None:
    """Every change projected twice (a retried activity), then again from far back (a run that restarted from an
    older mark): each event is in SQL once."""
    states = follow_up.states
    whole(engine, states[0], LATE)
    for earlier, state in itertools.pairwise(states):
        payload = delta(state, earlier, LATE)
        assert project(engine, payload) is True
        assert project(engine, payload) is True
        assert sorted(r.seq for r in rows(engine, AuditEventRow)) == [e.seq for e in state.events]
    assert all(project(engine, part) for part in projection.changes(follow_up.last, 3, LATE))

    with Session(engine) as session:
        count = session.exec(select(func.count()).select_from(AuditEventRow)).one()
    assert count == len(follow_up.last.events) == 25


def test_a_late_projection_racing_a_newer_one_never_goes_backwards(
    database_url: str, engine: Engine, follow_up: History
) -> None:
    """A zombie attempt (v24) reads the stored version, a newer projection (v26) commits, then the zombie writes."""
    first = follow_up.states[0]
    old, new = delta(follow_up.at_version(24), first, LATE), delta(follow_up.last, first, LATE)
    whole(engine, first, LATE)
    read_version = threading.Event()
    resume = threading.Event()

    def pause_late_after_reading(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.current_thread().name == "late" and "FROM conclusions" in statement:
            read_version.set()
            resume.wait(10)

    event.listen(engine, "after_cursor_execute", pause_late_after_reading)
    results: dict[str, bool | BaseException] = {}

    def run(name: str, payload: ProjectionInput) -> None:
        try:
            results[name] = project(engine, payload)
        except BaseException as error:  # a refused write is fine (the activity retries); recorded for the asserts
            results[name] = error

    try:
        late = threading.Thread(target=run, args=("late", old), name="late")
        late.start()
        assert read_version.wait(10)
        newer = threading.Thread(target=run, args=("newer", new), name="newer")
        newer.start()
        newer.join(1.5)  # PostgreSQL: blocked behind the late attempt's row lock; SQLite: done
        resume.set()
        late.join(10)
        newer.join(10)
    finally:
        resume.set()
        event.remove(engine, "after_cursor_execute", pause_late_after_reading)

    assert results.get("newer") is True, results
    assert conclusion(engine).version == follow_up.last.version
    assert by(rows(engine, UnitRow), "code")["tra-bong"].contacts == ["vanthu@trabong.example.vn"]


def test_an_added_action_is_projected_with_its_reference(engine: Engine, follow_up: History) -> None:
    first, added = follow_up.states[0], follow_up.at_version(11)
    whole(engine, first, LATE)

    payload = delta(added, first, LATE)
    assert [a.id for a in payload.actions] == [RECOVER_ID]
    project(engine, payload)

    row = by(rows(engine, ActionRow), "action_id")[RECOVER_ID]
    assert (row.ref, row.kind, row.amount_vnd, row.status) == (RECOVER_REF, "recover", RECOVER_AMOUNT, "open")
    assert conclusion(engine).action_count == 45


def test_a_letter_the_workflow_gave_up_on_leaves_no_copy_pending_in_the_outbox(engine: Engine) -> None:
    """Retries ran out (or a copy was refused for good): the copies still pending go no further, so the outbox and
    the pages say failed, with the relay's last answer, and staff can send the letter again."""
    state = started()
    whole(engine, state, START)
    request = letter(state, "ly-son", OVERDUE_AT)
    other = "kl-312-kl-ttra-2018/nghia-hanh/overdue/1"
    full = "452 4.2.2 Mailbox full, try again later"
    with Session(engine) as session:
        session.add(outbox_copy(request.key, "unit", "pending", full))
        session.add(outbox_copy(request.key, "oversight", "sent", "2.0.0 Ok"))
        session.add(outbox_copy(other, "unit", "pending", None))
        session.commit()
    before = state.model_copy(deep=True)
    settle(state, request, OVERDUE_AT + timedelta(days=2), NotificationStatus.failed)

    project(engine, delta(state, before, OVERDUE_AT + timedelta(days=2)))

    with Session(engine) as session:
        found = {r.key: (r.status, r.smtp_answer) for r in session.exec(select(NotificationRow)).all()}
    assert found == {
        f"{request.key}/unit": ("failed", full),
        f"{request.key}/oversight": ("sent", "2.0.0 Ok"),
        f"{other}/unit": ("pending", None),
    }


async def test_a_projection_that_keeps_failing_is_counted_and_reported_as_stuck(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Retried without end, so the pages catch up once the database takes it; after about two minutes of failures
    the log says which conclusion's pages are behind, and the failures are counted for an alert."""

    def database_refuses(*_args: object) -> bool:
        raise OperationalError("INSERT INTO actions", {}, ConnectionRefusedError("read model unreachable"))

    monkeypatch.setattr(projection_activity, "project", database_refuses)
    (payload,) = projection.changes(started(), 0, LATE)
    environment = ActivityEnvironment()
    failures_before = REGISTRY.get_sample_value("dondoc_projection_failures_total") or 0.0

    seen: list[tuple[int, str, str]] = []
    for attempt in (1, projection_activity.STUCK_AFTER_ATTEMPTS):
        environment.info = dataclasses.replace(environment.info, attempt=attempt)
        with capture_logs() as logs, pytest.raises(OperationalError):
            await environment.run(projection_activity.project_state, payload)
        seen += [(attempt, line["log_level"], line["event"]) for line in logs]

    assert seen == [(1, "warning", "projection_failed"), (8, "error", "projection_stuck")]
    assert REGISTRY.get_sample_value("dondoc_projection_failures_total") == failures_before + 2


def test_a_whole_projection_has_every_row_again_and_no_audit_event(follow_up: History) -> None:
    """What `dondoc reproject` writes: all rows from the state; the trail stays as SQL has it (an event written again
    could undo what was done since)."""
    state = follow_up.last

    parts = projection.whole(state, LATE)

    assert {a.id for p in parts for a in p.actions} == set(state.actions)
    assert {u.code for p in parts for u in p.units} == set(state.units)
    assert sum(len(p.evidence) for p in parts) == len(state.evidence)
    assert all(p.events == [] for p in parts)
