"""The read-model projection on SQLite and PostgreSQL: rows match the state, versions never go backwards."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import event, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select

from activities.projection import project
from models import commands as c
from models.state import ActionStatus, ConclusionState, Evidence, ReviewStatus
from models.tables import (
    ActionRow,
    AuditEventRow,
    ConclusionRow,
    EvidenceRow,
    ExtensionRequestRow,
    ReportRow,
    UnitRow,
)
from tests.activities.states import (
    LY_SON,
    RECOVER_AMOUNT,
    RECOVER_ID,
    STAFF,
    History,
    apply,
    at,
    history,
    pdf,
    started,
)

WID = "kl-312-kl-ttra-2018"
LATE = at(2018, 10, 5, 10)  # most actions fell due at the end of 01/10/2018


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


# ---------------------------------------------------------------- rows match the state


def test_conclusion_row_matches_the_state(engine: Engine, follow_up: History) -> None:
    state = follow_up.last
    before = datetime.now(UTC)

    assert project(engine, state, LATE) is True

    row = conclusion(engine)
    assert row.number == "312/KL-Ttra"
    assert (row.issued_on, row.received_on) == (state.issued_on, state.received_on)
    assert row.issuer == row.tracking_body == "Thanh tra Bộ Thông tin và Truyền thông"
    assert row.title == state.title
    assert (row.inspectorate_head, row.agency_head) == (state.inspectorate_head, state.agency_head)
    assert (row.status, row.status_reason, row.closed_at) == ("active", None, None)
    assert row.unit_count == 9
    assert row.action_count == 45  # 44 in the example + the recovery action added
    assert row.open_actions == 42  # 41 open + 1 with evidence awaiting review
    assert row.overdue_actions == 34
    assert row.version == state.version == 18
    # the earliest unresolved deadline after now: the extended one (28/12/2018, end of day)
    assert_same_instant(row.next_deadline, state.actions["ly-son-thu-cong-vu"].due)
    assert row.next_deadline == datetime(2018, 12, 28, 16, 59, 59, tzinfo=UTC)
    assert row.projected_at is not None and row.projected_at >= before - timedelta(seconds=1)


def test_units_match_the_state(engine: Engine, follow_up: History) -> None:
    state = follow_up.last
    project(engine, state, LATE)

    units = by(rows(engine, UnitRow), "code")
    assert set(units) == set(state.units)
    for code, unit in state.units.items():
        row = units[code]
        assert row.name == unit.name
        assert row.contacts == unit.contacts
        assert (row.head, row.supervisor) == (unit.head, unit.supervisor)
        assert row.report_status == unit.report_status.value
        assert_same_instant(row.report_due, unit.due)
    assert units["ly-son"].name == "UBND huyện Lý Sơn"
    assert units["ly-son"].report_status == "accepted"
    assert units["nghia-hanh"].report_status == "returned"
    assert units["nghia-hanh"].report_last_step == "overdue"
    assert units["van-phong-ubnd"].report_status == "awaited"
    assert units["van-phong-ubnd"].report_last_step is None
    assert units["tra-bong"].contacts == ["vanthu@trabong.example.vn"]
    assert units["tra-bong"].head == "pct@trabong.example.vn"
    assert units["ubnd-tinh"].contacts == ["vanthu@vpubnd.quangngai.example.vn", "vanphong@stttt.quangngai.example.vn"]


def test_actions_match_the_state(engine: Engine, follow_up: History) -> None:
    state = follow_up.last
    project(engine, state, LATE)

    actions = by(rows(engine, ActionRow), "action_id")
    assert set(actions) == set(state.actions)
    for action_id, action in state.actions.items():
        row = actions[action_id]
        assert (row.unit, row.kind, row.text) == (action.unit, action.kind.value, action.text)
        assert row.status == action.status.value
        assert row.status_reason == action.status_reason
        assert_same_instant(row.due, action.due)
        assert_same_instant(row.original_due, action.original_due)
        assert_same_instant(row.resolved_at, action.resolved_at)
        assert row.due_version == action.due_version
        assert row.amount_vnd == action.amount_vnd
    statuses = {a: r.status for a, r in actions.items() if r.status != "open"}
    assert statuses == {
        RECOVER_ID: "done",
        "ly-son-eoffice": "evidence_submitted",
        "tra-bong-thu-cong-vu": "waived",
        "so-xd-dvctt": "transferred",
    }
    assert actions["tra-bong-thu-cong-vu"].status_reason == "Nội dung trùng kiến nghị khác"
    extended = actions["ly-son-thu-cong-vu"]
    assert extended.due_version == 2
    assert extended.original_due == datetime(2018, 10, 1, 16, 59, 59, tzinfo=UTC)  # 23:59:59 in Hà Nội
    assert extended.due == datetime(2018, 12, 28, 16, 59, 59, tzinfo=UTC)
    recover = actions[RECOVER_ID]
    assert (recover.kind, recover.amount_vnd) == ("recover", RECOVER_AMOUNT)
    assert recover.resolved_at == at(2018, 7, 12)


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
    expected = expected_overdue(state, now) if overdue_ids == "all-of-01-10" else overdue_ids
    if overdue_ids == "all-of-01-10":
        assert len(expected) == 34
        assert "ly-son-eoffice" in expected  # evidence submitted, not yet reviewed: still overdue
        assert "duc-pho-eoffice" in expected  # an extension requested is not an extension granted
        assert not expected & {RECOVER_ID, "tra-bong-thu-cong-vu", "so-xd-dvctt", "ly-son-thu-cong-vu"}

    project(engine, state, now)

    flagged = {r.action_id for r in rows(engine, ActionRow) if r.overdue}
    assert flagged == expected
    assert conclusion(engine).overdue_actions == len(expected)


def test_a_deadline_is_not_overdue_at_its_own_instant(engine: Engine, follow_up: History) -> None:
    state = follow_up.last
    due = state.actions["so-vhttdl-tom-luoc"].due

    project(engine, state, due)

    assert conclusion(engine).overdue_actions == 0
    assert_same_instant(conclusion(engine).next_deadline, state.actions["ly-son-eoffice"].due)


def test_recovered_amount_sums_accepted_evidence_only(engine: Engine, follow_up: History) -> None:
    state = follow_up.last
    project(engine, state, LATE)

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
            submitted_at=at(2018, 7, 20),
            status=ReviewStatus.accepted,
            reviewed_by=STAFF,
            reviewed_at=at(2018, 7, 21),
        )
    )
    state.version += 1
    project(engine, state, LATE)

    assert by(rows(engine, ActionRow), "action_id")[RECOVER_ID].recovered_vnd == 150_000_000


def test_evidence_reports_and_extensions_match_the_state(engine: Engine, follow_up: History) -> None:
    state = follow_up.last
    project(engine, state, LATE)

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
    assert {k: (r.unit, r.status) for k, r in reports.items()} == {
        "rp-1": ("ly-son", "accepted"),
        "rp-2": ("nghia-hanh", "rejected"),
    }
    for rp in state.reports:
        assert_same_instant(reports[rp.id].submitted_at, rp.submitted_at)
        assert_same_instant(reports[rp.id].reviewed_at, rp.reviewed_at)
        assert reports[rp.id].files == [f.model_dump() for f in rp.files]
    assert reports["rp-2"].reason == "Chưa nêu kết quả từng kiến nghị"

    requests = by(rows(engine, ExtensionRequestRow), "request_id")
    assert set(requests) == {"ext-1", "ext-2"}
    approved, pending = requests["ext-1"], requests["ext-2"]
    assert (approved.action_id, approved.status, approved.requested_due) == (
        "ly-son-thu-cong-vu",
        "approved",
        "2018-12-28",
    )
    assert approved.decided_by == STAFF
    assert_same_instant(approved.decided_at, at(2018, 8, 3))
    assert_same_instant(approved.granted_due, state.actions["ly-son-thu-cong-vu"].due)
    assert_same_instant(approved.requested_at, at(2018, 8, 1))
    assert (pending.status, pending.requested_due, pending.decided_at, pending.granted_due) == (
        "requested",
        "2018-11-30",
        None,
        None,
    )
    assert pending.reason == "Đang nâng cấp phần mềm"


def test_audit_events_match_the_state(engine: Engine, follow_up: History) -> None:
    state = follow_up.last
    project(engine, state, LATE)

    events = sorted(rows(engine, AuditEventRow), key=lambda r: r.seq)
    assert [e.seq for e in events] == list(range(1, 19))
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
    assert sent.data == {"key": "kl-312-kl-ttra-2018/report.nghia-hanh/v1/2-overdue"}
    approved = next(e for e in events if e.kind == "extension_approved")
    assert approved.data == {"due": state.actions["ly-son-thu-cong-vu"].due.isoformat()}


def test_a_withdrawn_conclusion_has_nothing_overdue_and_no_next_deadline(engine: Engine, follow_up: History) -> None:
    withdrawn = apply(follow_up.last, c.Withdraw(actor=STAFF, reason="Kết luận bị hủy"), at(2018, 10, 4))
    project(engine, withdrawn, LATE)

    row = conclusion(engine)
    assert (row.status, row.status_reason, row.overdue_actions, row.next_deadline) == (
        "withdrawn",
        "Kết luận bị hủy",
        0,
        None,
    )
    assert_same_instant(row.closed_at, at(2018, 10, 4))
    assert not any(r.overdue for r in rows(engine, ActionRow))


def test_conclusions_are_projected_independently(engine: Engine, follow_up: History) -> None:
    other = started(workflow_id="kl-312-kl-ttra-2018-ban-sao")
    project(engine, follow_up.last, LATE)
    project(engine, other, LATE)
    project(engine, follow_up.last.model_copy(update={"version": 19}), LATE)

    assert len(rows(engine, ActionRow)) == 45
    assert len(rows(engine, ActionRow, other.workflow_id)) == 44
    assert len(rows(engine, EvidenceRow, other.workflow_id)) == 0
    assert len(rows(engine, AuditEventRow, other.workflow_id)) == 1
    assert len(rows(engine, AuditEventRow)) == 18
    assert conclusion(engine, other.workflow_id).version == 1


# ---------------------------------------------------------------- versions


def test_an_older_version_never_overwrites_a_newer_one(engine: Engine, follow_up: History) -> None:
    v3, v2 = follow_up.at_version(3), follow_up.at_version(2)
    assert project(engine, v3, LATE) is True

    assert project(engine, v2, LATE) is False
    assert project(engine, follow_up.at_version(1), LATE + timedelta(days=1)) is False  # even seen later

    assert conclusion(engine).version == 3
    assert conclusion(engine).action_count == 45
    assert [(r.evidence_id, r.status) for r in rows(engine, EvidenceRow)] == [("ev-1", "submitted")]
    assert by(rows(engine, ActionRow), "action_id")[RECOVER_ID].status == "evidence_submitted"
    assert sorted(r.seq for r in rows(engine, AuditEventRow)) == [1, 2, 3]


AS_OF_NEVER_WRITTEN = (
    "BUG: activities/projection.py never writes ConclusionRow.as_of (missing from `fields`, ~line 65), so "
    "_not_newer (line ~189) always sees as_of=None and every projection of the stored version rewrites it: "
    "a retried activity returns True, and a late one with an earlier `now` rolls overdue flags back"
)


def test_a_retried_projection_of_the_same_version_and_time_writes_nothing(engine: Engine, follow_up: History) -> None:
    v3 = follow_up.at_version(3)
    assert project(engine, v3, LATE) is True

    assert project(engine, v3, LATE) is False
    assert_same_instant(conclusion(engine).as_of, LATE)


def test_the_same_version_seen_earlier_never_rolls_overdue_flags_back(engine: Engine, follow_up: History) -> None:
    state = follow_up.last
    project(engine, state, LATE)

    assert project(engine, state, at(2018, 9, 5)) is False  # a late attempt of an earlier projection

    assert conclusion(engine).overdue_actions == 34
    assert sum(r.overdue for r in rows(engine, ActionRow)) == 34


def test_time_passing_refreshes_overdue_flags_of_the_same_version(engine: Engine, follow_up: History) -> None:
    """The workflow re-projects an unchanged state when its deadline passes, so the overdue flags follow the clock."""
    state = follow_up.last
    project(engine, state, at(2018, 9, 5))
    assert conclusion(engine).overdue_actions == 1
    assert_same_instant(conclusion(engine).next_deadline, state.actions["ly-son-eoffice"].due)

    assert project(engine, state, LATE) is True

    assert conclusion(engine).overdue_actions == 34
    assert sum(r.overdue for r in rows(engine, ActionRow)) == 34
    assert_same_instant(conclusion(engine).next_deadline, state.actions["ly-son-thu-cong-vu"].due)
    assert conclusion(engine).version == state.version
    assert len(rows(engine, AuditEventRow)) == len(state.events)


def test_a_newer_version_replaces_the_children(engine: Engine, follow_up: History) -> None:
    before = follow_up.at_version(5)  # ev-1 rejected, ev-2 submitted
    after = follow_up.at_version(6)  # ev-2 accepted: the recovery is done
    later = follow_up.at_version(7)  # ev-3 appears
    project(engine, before, LATE)
    assert by(rows(engine, ActionRow), "action_id")[RECOVER_ID].status == "evidence_submitted"
    assert by(rows(engine, ActionRow), "action_id")[RECOVER_ID].recovered_vnd == 0

    assert project(engine, after, LATE) is True
    action = by(rows(engine, ActionRow), "action_id")[RECOVER_ID]
    assert (action.status, action.recovered_vnd, action.overdue) == ("done", 100_000_000, False)
    assert {r.evidence_id: r.status for r in rows(engine, EvidenceRow)} == {"ev-1": "rejected", "ev-2": "accepted"}

    assert project(engine, later, LATE) is True
    assert {r.evidence_id: r.status for r in rows(engine, EvidenceRow)} == {
        "ev-1": "rejected",
        "ev-2": "accepted",
        "ev-3": "submitted",
    }
    assert by(rows(engine, ActionRow), "action_id")["ly-son-eoffice"].status == "evidence_submitted"
    assert len(rows(engine, ActionRow)) == 45  # replaced, not appended
    assert conclusion(engine).version == 7


def test_unit_contacts_are_replaced_by_a_newer_version(engine: Engine, follow_up: History) -> None:
    project(engine, follow_up.at_version(17), LATE)
    assert by(rows(engine, UnitRow), "code")["tra-bong"].contacts == ["vanphong@trabong.example.vn"]

    project(engine, follow_up.at_version(18), LATE)

    assert by(rows(engine, UnitRow), "code")["tra-bong"].contacts == ["vanthu@trabong.example.vn"]
    assert len(rows(engine, UnitRow)) == 9


def test_projecting_every_version_in_turn_never_duplicates_audit_events(engine: Engine, follow_up: History) -> None:
    for state in follow_up.states:
        assert project(engine, state, LATE) is True
        project(engine, state, LATE)  # a retried activity
        seqs = [r.seq for r in rows(engine, AuditEventRow)]
        assert sorted(seqs) == [e.seq for e in state.events]
        assert conclusion(engine).version == state.version
    with Session(engine) as session:
        count = session.exec(select(func.count()).select_from(AuditEventRow)).one()
    assert count == 18


def test_skipping_versions_writes_every_missing_audit_event(engine: Engine, follow_up: History) -> None:
    project(engine, follow_up.at_version(1), LATE)
    project(engine, follow_up.at_version(11), LATE)
    project(engine, follow_up.at_version(4), LATE)  # late, refused
    project(engine, follow_up.last, LATE)

    events = sorted(rows(engine, AuditEventRow), key=lambda r: r.seq)
    assert [(e.seq, e.kind) for e in events] == [(e.seq, e.kind) for e in follow_up.last.events]


def test_a_late_projection_racing_a_newer_one_never_goes_backwards(
    database_url: str, engine: Engine, follow_up: History
) -> None:
    """A zombie attempt (v16) reads the stored version, a newer projection (v18) commits, then the zombie writes."""
    old, new = follow_up.at_version(16), follow_up.last
    project(engine, follow_up.at_version(1), LATE)
    read_version = threading.Event()
    resume = threading.Event()

    def pause_late_after_reading(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.current_thread().name == "late" and "FROM conclusions" in statement:
            read_version.set()
            resume.wait(10)

    event.listen(engine, "after_cursor_execute", pause_late_after_reading)
    results: dict[str, bool | BaseException] = {}

    def run(name: str, state: ConclusionState) -> None:
        try:
            results[name] = project(engine, state, LATE)
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
    assert conclusion(engine).version == new.version
    assert by(rows(engine, UnitRow), "code")["tra-bong"].contacts == ["vanthu@trabong.example.vn"]
