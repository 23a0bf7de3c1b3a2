"""The Quảng Ngãi conclusion followed up over about 100 days on the time-skipping server.

Lý Sơn has one piece of evidence rejected then resubmitted, one action extended after it was urged, and its
report returned then accepted after the second urging; Trà Bồng leaves one action to the last rung of the ladder
before it is waived. Every other unit finishes on the first day. The test asserts every email sent.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select
from temporalio.testing import WorkflowEnvironment

from activities.database import get_engine
from dondoc.settings import Settings
from models import commands as c
from models.labels import VN
from models.policy import Step
from models.state import ActionStatus, ConclusionState, ConclusionStatus, ReportStatus
from models.tables import AuditEventRow, ConclusionRow
from tests.workflow.harness import PDF, MailRecorder, quang_ngai, redated, running

EVIDENCE_REJECTED = "ly-son-thu-cong-vu"  # rejected once, then resubmitted and accepted
EXTENDED = "ly-son-eoffice"  # urged, then extended by 40 days, then done
WAIVED = "tra-bong-thu-cong-vu"  # climbs the whole ladder, then waived
FEATURED = {EVIDENCE_REJECTED, EXTENDED, WAIVED}
STAFF = "thanhtra.vien@mic.example.vn"


def step_time(state: ConclusionState, target: str, step: Step, nth: int = 0) -> object:
    tracked = state.actions[target] if target in state.actions else state.units[target.removeprefix("report.")]
    return [s.at for s in tracked.schedule.steps if s.step == step][nth]


async def test_quang_ngai_follow_up_over_about_100_days(
    time_skipping_env: WorkflowEnvironment, settings: Settings
) -> None:
    env = time_skipping_env
    started = await env.get_current_time()
    start_day = started.astimezone(VN).date()
    spec = redated(quang_ngai(), start_day, {a: 20 for a in FEATURED}, default_days=40)
    units = {u.code: u for u in spec.units}
    recorder = MailRecorder()

    async with running(env, spec, recorder) as run:
        state = await run.state()
        assert len(state.actions) == 44 and len(state.units) == 9

        # Day 0–1: every action but the three featured ones is done, and every report but Lý Sơn's accepted.
        for action in spec.actions:
            if action.id in FEATURED:
                continue
            contact = units[action.unit].contacts[0]
            state = await run.update(
                "submit_evidence", c.SubmitEvidence(actor=contact, action_id=action.id, files=[PDF])
            )
            evidence_id = state.evidence[-1].id
            await run.update(
                "review_evidence", c.ReviewEvidence(actor=STAFF, evidence_id=evidence_id, decision="accept")
            )
        for unit in spec.units:
            if unit.code == "ly-son":
                continue
            state = await run.update(
                "submit_report", c.SubmitReport(actor=unit.contacts[0], unit=unit.code, files=[PDF])
            )
            await run.update(
                "review_report", c.ReviewReport(actor=STAFF, report_id=state.reports[-1].id, decision="accept")
            )
        state = await run.advance(timedelta(days=1))
        assert recorder.sent == [], "nothing is due in the first days"

        # Lý Sơn sends evidence early; staff asks for more.
        lyson = units["ly-son"].contacts[0]
        state = await run.update(
            "submit_evidence", c.SubmitEvidence(actor=lyson, action_id=EVIDENCE_REJECTED, files=[PDF], note="Lần 1")
        )
        state = await run.update(
            "review_evidence",
            c.ReviewEvidence(
                actor=STAFF, evidence_id=state.evidence[-1].id, decision="reject", reason="Thiếu danh sách tài khoản"
            ),
        )
        assert state.actions[EVIDENCE_REJECTED].status == ActionStatus.open

        # Both reminders come for the featured actions (the rejected one is open again, so it is reminded too).
        state = await run.advance_to(step_time(state, EVIDENCE_REJECTED, Step.reminder, 1))  # type: ignore[arg-type]
        state = await run.update(
            "submit_evidence", c.SubmitEvidence(actor=lyson, action_id=EVIDENCE_REJECTED, files=[PDF], note="Lần 2")
        )
        state = await run.update(
            "review_evidence", c.ReviewEvidence(actor=STAFF, evidence_id=state.evidence[-1].id, decision="accept")
        )
        assert state.actions[EVIDENCE_REJECTED].status == ActionStatus.done

        # The extended action is overdue and urged; Lý Sơn asks for 40 more days and staff approves.
        state = await run.advance_to(step_time(state, EXTENDED, Step.urging))  # type: ignore[arg-type]
        old_due = state.actions[EXTENDED].due
        assert state.actions[EXTENDED].last_step == Step.urging
        requested = (old_due + timedelta(days=40)).astimezone(VN).date()
        state = await run.update(
            "request_extension",
            c.RequestExtension(actor=lyson, action_id=EXTENDED, requested_due=requested, reason="Chờ kinh phí"),
        )
        state = await run.update(
            "decide_extension",
            c.DecideExtension(actor=STAFF, request_id=state.extension_requests[-1].id, approve=True),
        )
        assert state.actions[EXTENDED].due_version == 2
        assert state.actions[EXTENDED].due.astimezone(VN).date() >= requested

        # Trà Bồng's action climbs to the proposal to handle responsibility (each step its gap after the letter
        # before it), then is waived.
        while state.actions[WAIVED].last_step != Step.proposal:
            state = await run.advance_to_next_letter(WAIVED)
        state = await run.update(
            "waive_action", c.WaiveAction(actor=STAFF, action_id=WAIVED, reason="Đã chuyển sang kỳ kiểm tra sau")
        )

        # The extended action gets the reminders of its new deadline, then is done.
        state = await run.advance_to(step_time(state, EXTENDED, Step.reminder, 1))  # type: ignore[arg-type]
        state = await run.update("submit_evidence", c.SubmitEvidence(actor=lyson, action_id=EXTENDED, files=[PDF]))
        state = await run.update(
            "review_evidence", c.ReviewEvidence(actor=STAFF, evidence_id=state.evidence[-1].id, decision="accept")
        )

        # Lý Sơn's report climbs to the second urging; it is returned once, then accepted: the conclusion closes.
        while state.units["ly-son"].last_step != Step.second_urging:
            state = await run.advance_to_next_letter("report.ly-son")
        state = await run.update("submit_report", c.SubmitReport(actor=lyson, unit="ly-son", files=[PDF]))
        state = await run.update(
            "review_report",
            c.ReviewReport(actor=STAFF, report_id=state.reports[-1].id, decision="reject", reason="Thiếu số liệu quý"),
        )
        assert state.units["ly-son"].report_status == ReportStatus.returned
        state = await run.update("submit_report", c.SubmitReport(actor=lyson, unit="ly-son", files=[PDF]))
        state = await run.update(
            "review_report", c.ReviewReport(actor=STAFF, report_id=state.reports[-1].id, decision="accept")
        )
        assert state.status == ConclusionStatus.closed

        result = await run.result()  # the workflow completes once closed
        final = await run.state()
        assert result.status == "closed" and final.closed_at is not None
        assert timedelta(days=55) < final.closed_at - started < timedelta(days=110)

    lyson_unit, trabong = units["ly-son"], units["tra-bong"]
    inspectorate, agency = spec.inspectorate_head, spec.agency_head

    def sent(target: str) -> list[tuple[str, list[tuple[str, list[str], list[str]]]]]:
        """(step, [(audience, to, cc) of each copy]) of each letter that listed `target`, in order."""
        return [(m.step.value, [(c.audience.value, c.to, c.cc) for c in m.copies]) for m in recorder.for_target(target)]

    contacts_l, head_l, sup_l = lyson_unit.contacts, lyson_unit.head, lyson_unit.supervisor
    contacts_t, head_t, sup_t = trabong.contacts, trabong.head, trabong.supervisor
    reminder_l = ("reminder", [("unit", contacts_l, [])])
    assert sent(EVIDENCE_REJECTED) == [reminder_l, reminder_l]
    assert sent(EXTENDED) == [
        reminder_l,
        reminder_l,
        ("overdue", [("unit", [*contacts_l, head_l], [])]),
        ("urging", [("unit", [head_l], []), ("oversight", [inspectorate], [])]),
        reminder_l,  # the ladder of the new deadline
        reminder_l,
    ]
    assert sent(WAIVED) == [
        ("reminder", [("unit", contacts_t, [])]),
        ("reminder", [("unit", contacts_t, [])]),
        ("overdue", [("unit", [*contacts_t, head_t], [])]),
        ("urging", [("unit", [head_t], []), ("oversight", [inspectorate], [])]),
        ("second_urging", [("unit", [head_t], []), ("oversight", [sup_t], [])]),
        ("proposal", [("oversight", [agency, inspectorate], [])]),
    ]
    assert sent("report.ly-son") == [
        reminder_l,
        reminder_l,
        ("overdue", [("unit", [*contacts_l, head_l], [])]),
        ("urging", [("unit", [head_l], []), ("oversight", [inspectorate], [])]),
        ("second_urging", [("unit", [head_l], []), ("oversight", [sup_l], [])]),
    ]
    # Lý Sơn's two actions share a deadline: each of their reminders is one letter listing both.
    first_reminder = recorder.for_target(EVIDENCE_REJECTED)[0]
    assert [line.target for line in first_reminder.items] == [EVIDENCE_REJECTED, EXTENDED] or [
        line.target for line in first_reminder.items
    ] == [EXTENDED, EVIDENCE_REJECTED]
    closing = [m for m in recorder.sent if m.step == Step.closing]
    assert len(closing) == 1
    (copy,) = closing[0].copies
    assert {inspectorate, agency} <= set(copy.to) | set(copy.cc)
    assert not set(copy.to) & set(copy.cc), "nobody gets the closing notice twice"
    listed = {line.target for m in recorder.sent for line in m.items}
    assert listed == {*FEATURED, "report.ly-son"}, "units that finished early get no letters"
    assert len({m.key for m in recorder.sent}) == len(recorder.sent), "no letter is sent twice"
    assert all(n == 1 for n in recorder.attempts.values()), "no letter needed a retry"

    # The letter carries what the unit needs: the action, the due date, days overdue, and only letters really sent.
    urging = next(m for m in recorder.for_target(WAIVED) if m.step == Step.urging)
    (line,) = urging.items
    assert urging.unit_name == "UBND huyện Trà Bồng" and line.days_overdue >= 5 and line.text
    assert [e.step for e in urging.earlier] == [Step.reminder, Step.reminder, Step.overdue]
    proposal = next(m for m in recorder.for_target(WAIVED) if m.step == Step.proposal)
    assert [e.step for e in proposal.earlier][-2:] == [Step.urging, Step.second_urging]
    rejected_reminder = recorder.for_target(EVIDENCE_REJECTED)[0]
    assert next(x for x in rejected_reminder.items if x.target == EVIDENCE_REJECTED).last_reason == (
        "Thiếu danh sách tài khoản"
    )

    # Every change records who made it; the read model shows the closed conclusion.
    assert final.status == ConclusionStatus.closed
    with Session(get_engine(settings.sqlalchemy_url)) as session:
        row = session.exec(select(ConclusionRow)).one()
        actors = set(session.exec(select(AuditEventRow.actor)).all())
    assert actors >= {STAFF, lyson, "hệ thống"}
    assert row.status == "closed" and row.overdue_actions == 0 and row.version == final.version
