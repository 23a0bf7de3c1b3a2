"""Continue-as-new, forced by a low history limit, carries everything over and keeps updates idempotent."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from activities.database import get_engine
from dondoc.settings import Settings
from dondoc.spec_loader import load_spec
from models import commands as c
from models.labels import VN
from models.state import ConclusionStatus
from models.tables import AuditEventRow
from models.workflow_io import FollowUpOptions
from tests.workflow.harness import EXAMPLES, PDF, MailRecorder, redated, running
from workflows.rules import transitions

STAFF = "thanhtra@stttt.namdinh.example.vn"


async def test_forced_continue_as_new_loses_nothing(time_skipping_env: WorkflowEnvironment, settings: Settings) -> None:
    env = time_skipping_env
    start_day = (await env.get_current_time()).astimezone(VN).date()
    spec = redated(load_spec(EXAMPLES / "nam-dinh-STTTT-2021.yaml"), start_day, {}, default_days=10)
    recorder = MailRecorder()
    async with running(env, spec, recorder, FollowUpOptions(history_limit=40)) as run:
        state = await run.state()
        first_run_id = run.handle.result_run_id
        first_action = spec.actions[0]
        contact = next(u.contacts[0] for u in spec.units if u.code == first_action.unit)

        # Many rounds of evidence asked for again, with time passing in between, across several runs.
        for round_number in range(6):
            state = await run.update(
                "submit_evidence",
                c.SubmitEvidence(actor=contact, action_id=first_action.id, files=[PDF], note=f"lần {round_number}"),
            )
            state = await run.update(
                "review_evidence",
                c.ReviewEvidence(actor=STAFF, evidence_id=state.evidence[-1].id, decision="reject", reason="thiếu"),
            )
            await run.advance(timedelta(days=3))

        # The same update id applied again after continue-as-new changes nothing.
        # (Letters the day's skip makes due are sent before `settled`; the time of day the test runs decides whether
        # any are, so the replay is compared with the state just before it.)
        await run.update(
            "waive_action", c.WaiveAction(actor=STAFF, action_id=spec.actions[1].id, reason="trùng"), "waive-1"
        )
        settled = await run.advance(timedelta(days=1))
        again = await run.update(
            "waive_action", c.WaiveAction(actor=STAFF, action_id=spec.actions[1].id, reason="trùng"), "waive-1"
        )
        assert again.version == settled.version
        assert sum(1 for e in again.events if e.kind == "action_waived") == 1

        for action in spec.actions:
            if action.id == spec.actions[1].id:
                continue
            owner = next(u.contacts[0] for u in spec.units if u.code == action.unit)
            state = await run.update("submit_evidence", c.SubmitEvidence(actor=owner, action_id=action.id, files=[PDF]))
            await run.update(
                "review_evidence", c.ReviewEvidence(actor=STAFF, evidence_id=state.evidence[-1].id, decision="accept")
            )
        for unit in spec.units:
            state = await run.update(
                "submit_report", c.SubmitReport(actor=unit.contacts[0], unit=unit.code, files=[PDF])
            )
            state = await run.update(
                "review_report", c.ReviewReport(actor=STAFF, report_id=state.reports[-1].id, decision="accept")
            )
        result = await run.result()
        final = await run.state()

        first_history = await env.client.get_workflow_handle(run.handle.id, run_id=first_run_id).fetch_history()
        assert first_history.events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW

    assert result.status == final.status == ConclusionStatus.closed
    with Session(get_engine(settings.sqlalchemy_url)) as session:
        events = session.exec(select(AuditEventRow).order_by(col(AuditEventRow.seq))).all()
    assert [e.seq for e in events] == list(range(1, len(events) + 1)), "no audit event lost in SQL"
    assert len(final.events) <= transitions.KEEP_EVENTS + 10, "the workflow keeps only the latest events"
    assert len(final.evidence) == 6 + len(spec.actions) - 1
    assert sum(1 for e in events if e.kind == "evidence_rejected") == 6
    assert len({n.key for n in final.letters}) == len(final.letters)
    assert sorted(m.key for m in recorder.sent) == sorted(n.key for n in final.letters), "each sent once"
